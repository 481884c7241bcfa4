package ratelimit

import (
	"sync"
	"time"
)

// Limits gives each API its own Window: Tencent counts its calls per second
// per API, so a call to one API must never wait for another's budget. It
// is safe for concurrent use; a nil *Limits means unlimited.
type Limits struct {
	limit int
	per   time.Duration

	mu      sync.Mutex
	windows map[string]*Window
}

// NewLimits allows limit calls in any window of length per, for each API
// separately.
func NewLimits(limit int, per time.Duration) *Limits {
	return &Limits{limit: limit, per: per, windows: map[string]*Window{}}
}

// For returns the window of api, creating it on first use; nil when l is
// nil.
func (l *Limits) For(api string) *Window {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[api]
	if w == nil {
		w = newWindow(l.limit, l.per)
		l.windows[api] = w
	}
	return w
}
