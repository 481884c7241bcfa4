// Package awsbatch is the batch machinery the AWS-calling packages share:
// it cuts entries into calls within a service's limits, makes the calls a
// few at a time, and reads what was done from their errors and answers.
// It calls no service: the packages that use it (sqsq, receipts) build
// the entries, make the calls and keep their own error types.
package awsbatch

import (
	"golang.org/x/sync/errgroup"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Limits bound one batch call.
type Limits struct {
	Entries int // entries per call
	Bytes   int // bytes per call, as the size function of Split counts them
}

// Split cuts items into calls of at most lim.Entries items and lim.Bytes
// bytes, keeping their order. An item larger than lim.Bytes makes a call
// of its own: callers refuse such items before, the service would too.
// The calls share items' backing array.
func Split[T any](items []T, lim Limits, size func(T) int) [][]T {
	var calls [][]T
	start, bytes := 0, 0
	for i, it := range items {
		n := size(it)
		if i > start && (i-start == lim.Entries || bytes+n > lim.Bytes) {
			calls = append(calls, items[start:i:i])
			start, bytes = i, 0
		}
		bytes += n
	}
	if start < len(items) {
		calls = append(calls, items[start:])
	}
	return calls
}

// Run makes call(b) for every batch, at most maxInFlight at a time, and
// returns each call's error, in the order of batches, once every call has
// returned. A call that panics returns a *PanicError instead: a panic in a
// goroutine would end the process, and its entries may not have been
// taken.
func Run[B any](batches []B, maxInFlight int, call func(B) error) []error {
	errs := make([]error, len(batches))
	var g errgroup.Group
	g.SetLimit(max(maxInFlight, 1))
	for i, b := range batches {
		g.Go(func() error {
			errs[i] = protect(call, b)
			return nil
		})
	}
	_ = g.Wait() // every call returns nil to the group: errs holds the errors
	return errs
}

// protect makes one call of Run, its panic becoming its error.
func protect[B any](call func(B) error, b B) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = erasure.Panicked("", v)
		}
	}()
	return call(b)
}
