package receipts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

const (
	// maxEntries is the most entries EventBridge takes in one PutEvents.
	maxEntries = 10
	// maxRequestSize bounds the entries of one PutEvents, as EventBridge
	// counts them (entrySize). The service once allowed 256 KB and now
	// allows 1 MB; the smaller is kept, far above any receipt.
	maxRequestSize = 256 << 10
	// maxInFlight bounds the concurrent PutEvents calls of one Put.
	maxInFlight = 4
)

// item is one receipt's entry.
type item struct {
	pos   int // position in Put's indexes, and of its error
	size  int
	entry types.PutEventsRequestEntry
}

// split cuts items into calls of at most maxEntries entries and
// maxRequestSize bytes, keeping their order.
func split(items []item) [][]item {
	var out [][]item
	var cur []item
	size := 0
	for _, it := range items {
		if len(cur) == maxEntries || (len(cur) > 0 && size+it.size > maxRequestSize) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += it.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// run delivers the batches, maxInFlight at a time; each writes only the
// errors of its own receipts.
func (p *Publisher) run(ctx context.Context, batches [][]item, cutoff time.Time, pol Retry, errs []error) {
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait() // even if this loop panics, no call outlives Put
	for _, b := range batches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.deliver(ctx, b, cutoff, pol, errs)
		})
	}
}

// deliver puts one batch's receipts: it calls PutEvents with those still
// pending until every one is put or has failed for good, backing off
// between calls. It gives up early rather than wait past cutoff.
func (p *Publisher) deliver(ctx context.Context, pending []item, cutoff time.Time, pol Retry, errs []error) {
	for n := 1; ; n++ {
		pending = p.attempt(ctx, pending, cutoff, n, errs)
		if len(pending) == 0 {
			return
		}
		var stop error
		wait := backoff(pol.BaseDelay, pol.MaxDelay, n)
		switch {
		case n >= pol.MaxAttempts:
			stop = ErrAttemptsExhausted
		case !cutoff.IsZero() && time.Now().Add(wait+pol.MinCallTime).After(cutoff):
			stop = ErrNoTimeToRetry
		default:
			stop = sleep(ctx, wait)
		}
		if stop != nil {
			for _, it := range pending {
				e := *errs[it.pos].(*Error)
				e.Err = fmt.Errorf("%w; %w", e.Err, stop)
				errs[it.pos] = &e
			}
			return
		}
	}
}

// attempt makes the n-th PutEvents call of items, records each receipt's
// outcome in errs and returns the receipts worth another call.
func (p *Publisher) attempt(ctx context.Context, items []item, cutoff time.Time, n int, errs []error) (retry []item) {
	entries := make([]types.PutEventsRequestEntry, len(items))
	for i, it := range items {
		entries[i] = it.entry
	}
	out, err := p.call(ctx, cutoff, entries)
	if err != nil {
		e := &Error{Op: OpPutEvents, EventBus: p.EventBus, Code: errorCode(err), Attempts: n, Err: err}
		for _, it := range items {
			errs[it.pos] = e
		}
		if checkRetry(ctx, err) {
			return items
		}
		return nil
	}
	// EventBridge answers entry i at index i; an answer of another length
	// cannot be matched to the entries.
	answered := len(out.Entries) == len(items)
	for i, it := range items {
		var r types.PutEventsResultEntry
		if answered {
			r = out.Entries[i]
		}
		code := aws.ToString(r.ErrorCode)
		switch {
		case code == "" && aws.ToString(r.EventId) != "":
			errs[it.pos] = nil
		case code == "":
			errs[it.pos] = &Error{Op: OpPutEvents, EventBus: p.EventBus, Attempts: n, Err: ErrNotAnswered}
			retry = append(retry, it)
		default:
			msg := cmp.Or(aws.ToString(r.ErrorMessage), "entry failed")
			errs[it.pos] = &Error{Op: OpPutEvents, EventBus: p.EventBus, Code: code, Attempts: n, Err: errors.New(msg)}
			if retryableEntry(code) {
				retry = append(retry, it)
			}
		}
	}
	return retry
}

// call makes one PutEvents call, over by cutoff. A panic becomes its
// error: EventBridge may not have the entries, and a panic in a goroutine
// would end the process.
func (p *Publisher) call(ctx context.Context, cutoff time.Time, entries []types.PutEventsRequestEntry) (out *eventbridge.PutEventsOutput, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, &panicError{v}
		}
	}()
	if !cutoff.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, cutoff)
		defer cancel()
	}
	out, err = p.API.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err == nil && out == nil {
		err = ErrNotAnswered
	}
	return out, err
}
