package eraser

import "github.com/attr-eraser/attr-eraser/internal/erasure"

// SetParse replaces erasure.Parse, so a test can make parsing panic.
func SetParse(p *Processor, parse func(string) (erasure.Request, error)) { p.parseHook = parse }
