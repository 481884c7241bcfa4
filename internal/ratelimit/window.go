// Package ratelimit keeps the function inside Tencent's "100 calls per
// second" with a sliding window: no window of length Per holds more than
// Limit calls, counted when each request has actually been written to the
// connection.
//
// Why not golang.org/x/time/rate: a token bucket of rate r and burst b lets
// b + r calls into one second. To promise at most 100 it must give up
// either rate (burst 1 wastes every moment no call is ready, such as the
// gaps between invocations) or headroom. A window of the last Limit send
// times keeps the exact promise and lets a batch use time the previous one
// left idle.
//
// Why count at the write: a call admitted at t may reach the server much
// later (a new TLS connection, a busy scheduler). If the window counted the
// admission, the call Limit places later, admitted at t + Per, could arrive
// less than a second after it. Counting the moment the request was written
// leaves only the network's uneven delay, which the margin in Per covers.
package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errDeadline means the wait for a slot would outlast the context's
// deadline; nothing was waited for and no slot was taken.
var errDeadline = errors.New("ratelimit: no slot before the deadline")

// Window is a sliding-window limiter. It is safe for concurrent use.
type Window struct {
	per time.Duration
	now func() time.Time

	mu   sync.Mutex
	ring []*Slot // the last limit slots, oldest at next
	next int
}

// Slot is one admitted call. Its holder must call Sent when the request has
// been written, or Release if it never was; until then the call limit
// places later waits, because the window cannot know when this one counts.
type Slot struct {
	w       *Window
	at      time.Time
	settled chan struct{}
	once    sync.Once
}

// newWindow allows limit calls in any window of length per. per should be
// a little longer than the server's window, to cover uneven network delay.
func newWindow(limit int, per time.Duration) *Window {
	return &Window{per: per, now: time.Now, ring: make([]*Slot, max(limit, 1))}
}

// Acquire blocks until a call may be sent and returns its slot. It fails at
// once with errDeadline when the slot would come after ctx's deadline, and
// with the context's error when ctx ends while waiting.
func (w *Window) Acquire(ctx context.Context) (*Slot, error) {
	deadline, _ := ctx.Deadline()
	for {
		slot, pending := w.reserve(w.now(), deadline)
		if pending != nil {
			// The call limit places back has not been written yet.
			select {
			case <-pending.settled:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if slot == nil {
			return nil, errDeadline
		}
		if d := slot.at.Sub(w.now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				slot.Release()
				return nil, ctx.Err()
			}
		}
		return slot, nil
	}
}

// Wait takes a slot and counts it at once: for callers that send right
// away and cannot observe the write.
func (w *Window) Wait(ctx context.Context) error {
	slot, err := w.Acquire(ctx)
	if err == nil {
		slot.Sent()
	}
	return err
}

// reserve takes the earliest slot at or after now: now itself, or one
// window after the call limit places back. It returns that call's slot
// instead when it is still unsettled, and nil, nil when the slot would come
// after deadline (zero: none).
func (w *Window) reserve(now, deadline time.Time) (slot, pending *Slot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	if prev := w.ring[w.next]; prev != nil {
		select {
		case <-prev.settled:
		default:
			return nil, prev
		}
		if free := prev.at.Add(w.per); free.After(now) {
			at = free
		}
	}
	if !deadline.IsZero() && at.After(deadline) {
		return nil, nil
	}
	slot = &Slot{w: w, at: at, settled: make(chan struct{})}
	w.ring[w.next] = slot
	w.next = (w.next + 1) % len(w.ring)
	return slot, nil
}

// Sent records that the request was written now; the window counts the call
// from this moment.
func (s *Slot) Sent() {
	s.once.Do(func() {
		s.w.mu.Lock()
		if now := s.w.now(); now.After(s.at) {
			s.at = now
		}
		s.w.mu.Unlock()
		close(s.settled)
	})
}

// Release settles a slot whose request was never written (or whose write
// was already counted): the call counts from its admission. Calling it
// after Sent does nothing, so `defer slot.Release()` is always safe.
func (s *Slot) Release() {
	s.once.Do(func() { close(s.settled) })
}
