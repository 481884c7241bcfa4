package eraser

import "github.com/attr-eraser/attr-eraser/internal/erasure"

// SetParse replaces message.Parse, so a test can make parsing panic.
func SetParse(p *Processor, parse func(string) (erasure.Request, error)) { p.parseHook = parse }
