package telemetry

import "time"

// SetClock sets the clock that stamps a's lines.
func SetClock(a *Audit, now func() time.Time) { a.now = now }

// FlushSize is how much of a batch's lines is kept before they are written.
const FlushSize = flushSize
