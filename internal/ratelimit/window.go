// Package ratelimit keeps the function inside Tencent's "100 calls per
// second" with a sliding window: no window of length Per ever holds more
// than Limit calls.
//
// Why not golang.org/x/time/rate: a token bucket of rate r and burst b lets
// b + r calls into one second. To promise at most 100 it must give up
// either rate (burst 1 wastes every moment no call is ready, such as the
// gaps between invocations) or headroom. A window of the last Limit send
// times keeps the exact promise and lets a batch use time the previous one
// left idle.
package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrDeadline means the wait for a slot would outlast the context's
// deadline; nothing was waited for and no slot was taken.
var ErrDeadline = errors.New("ratelimit: no slot before the deadline")

// Window is a sliding-window limiter. It is safe for concurrent use; callers
// are served in the order they call Wait.
type Window struct {
	limit int
	per   time.Duration
	now   func() time.Time

	mu   sync.Mutex
	sent []time.Time // ring of the last limit slots, oldest at next
	next int
}

// NewWindow allows limit calls in any window of length per. per should be
// a little longer than the server's window, so that calls delayed unevenly
// on the way cannot arrive closer together than they were sent.
func NewWindow(limit int, per time.Duration) *Window {
	return &Window{limit: limit, per: per, now: time.Now, sent: make([]time.Time, max(limit, 1))}
}

// Wait blocks until a call may be sent, and takes the slot. It fails at once
// with ErrDeadline when the slot comes after ctx's deadline, and with the
// context's error when ctx ends while waiting (the slot is then lost, which
// only makes the limiter more careful).
func (w *Window) Wait(ctx context.Context) error {
	now := w.now()
	deadline, _ := ctx.Deadline()
	at, ok := w.reserve(now, deadline)
	if !ok {
		return ErrDeadline
	}
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// reserve takes the earliest slot at or after now: now itself, or one
// window after the call limit calls ago. It takes nothing and reports false
// when that slot is after deadline (zero: none).
func (w *Window) reserve(now, deadline time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	if free := w.sent[w.next].Add(w.per); !w.sent[w.next].IsZero() && free.After(now) {
		at = free
	}
	if !deadline.IsZero() && at.After(deadline) {
		return time.Time{}, false
	}
	w.sent[w.next] = at
	w.next = (w.next + 1) % len(w.sent)
	return at, true
}
