package receipts

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
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
	return awsbatch.Split(items, awsbatch.Limits{Entries: maxEntries, Bytes: maxRequestSize}, itemSize)
}

func itemSize(it item) int { return it.size }

// run delivers the batches, maxInFlight at a time; each writes only the
// errors of its own receipts. A panic in PutEvents fails only its attempt
// (see call); one in deliver's own code fails the whole batch, receipts
// already put included, which at-least-once delivery allows.
func (p *Publisher) run(ctx context.Context, batches [][]item, cutoff time.Time, pol Retry, errs []error) {
	failures := awsbatch.Run(batches, maxInFlight, func(b []item) error {
		p.deliver(ctx, b, cutoff, pol, errs)
		return nil
	})
	for i, err := range failures {
		if err == nil {
			continue
		}
		e := &Error{Op: OpPutEvents, EventBus: p.EventBus, Err: err}
		for _, it := range batches[i] {
			errs[it.pos] = e
		}
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
		e := &Error{Op: OpPutEvents, EventBus: p.EventBus, Code: awsbatch.ErrorCode(err), Attempts: n, Err: err}
		for _, it := range items {
			errs[it.pos] = e
		}
		if checkRetry(ctx, err) {
			return items
		}
		return nil
	}
	for i, it := range items {
		o := outcome(out, i, len(items))
		cause := o.Cause(ErrNotAnswered)
		if cause == nil {
			errs[it.pos] = nil
			continue
		}
		errs[it.pos] = &Error{Op: OpPutEvents, EventBus: p.EventBus, Code: o.Code, Attempts: n, Err: cause}
		if retryEntry(o) {
			retry = append(retry, it)
		}
	}
	return retry
}

// outcome reads EventBridge's answer for entry i of n: it answers entry i
// at index i, so an answer of another length cannot be matched to the
// entries. An entry with neither an error code nor an event id is not
// answered for.
func outcome(out *eventbridge.PutEventsOutput, i, n int) awsbatch.Outcome {
	if len(out.Entries) != n {
		return awsbatch.Outcome{}
	}
	r := out.Entries[i]
	code := aws.ToString(r.ErrorCode)
	return awsbatch.Outcome{
		Taken:   code == "" && aws.ToString(r.EventId) != "",
		Failed:  code != "",
		Code:    code,
		Message: aws.ToString(r.ErrorMessage),
	}
}

// call makes one PutEvents call, over by cutoff. A panic becomes its
// error, not run's: it fails only the receipts of this attempt, and is
// not retried.
func (p *Publisher) call(ctx context.Context, cutoff time.Time, entries []types.PutEventsRequestEntry) (out *eventbridge.PutEventsOutput, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, erasure.Panicked("calling PutEvents", v)
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
