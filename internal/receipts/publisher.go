package receipts

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// API is the part of the EventBridge client a Publisher uses;
// *eventbridge.Client satisfies it.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ eraser.Receipts = (*Publisher)(nil)

// Publisher puts receipts on an EventBridge bus. It is safe for concurrent
// use; set the exported fields before first use.
type Publisher struct {
	// API is the EventBridge client. Required.
	API API
	// EventBus is the bus, by name or ARN, every receipt is put on.
	// Required: receipts never go to the default bus by accident.
	EventBus string
	// Keys supplies the audit key. Required.
	Keys telemetry.KeySource
	// Now is the clock of completedAt; nil means time.Now.
	Now func() time.Time
	// Retry tunes the retries; the zero value means the defaults.
	Retry Retry
}

// Retry is how Put retries receipts EventBridge did not take. A zero field
// means its default.
type Retry struct {
	// MaxAttempts bounds the PutEvents calls that carry one receipt, the
	// first included (default 8).
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff: the wait before retry n is
	// random in [0, min(MaxDelay, BaseDelay·2^(n-1))], "full jitter"
	// (defaults 100 ms and 2 s).
	BaseDelay, MaxDelay time.Duration
	// Reserve is the time Put leaves its caller before the context's
	// deadline (default none: the function's handler gives Put a context
	// that ends where its step of the invocation does, so that the steps
	// after it keep theirs; at most half the time left when Put starts):
	// no call runs past the deadline minus Reserve, and no retry starts
	// unless its wait ends at least MinCallTime before that.
	Reserve time.Duration
	// MinCallTime is the least time a retried call is given (default
	// 200 ms).
	MinCallTime time.Duration
}

// Defaults of Retry.
const (
	DefaultMaxAttempts = 8
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMaxDelay    = 2 * time.Second
	DefaultReserve     = 0
	DefaultMinCallTime = 200 * time.Millisecond
)

func (r Retry) withDefaults() Retry {
	return Retry{
		MaxAttempts: cmp.Or(max(r.MaxAttempts, 0), DefaultMaxAttempts),
		BaseDelay:   cmp.Or(max(r.BaseDelay, 0), DefaultBaseDelay),
		MaxDelay:    cmp.Or(max(r.MaxDelay, 0), DefaultMaxDelay),
		Reserve:     cmp.Or(max(r.Reserve, 0), DefaultReserve),
		MinCallTime: cmp.Or(max(r.MinCallTime, 0), DefaultMinCallTime),
	}
}

// New returns a Publisher on an EventBridge client built from cfg, so the
// SDK's default chain decides the endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE,
// AWS_ENDPOINT_URL) as it does the credentials and the region. The client
// makes one attempt per call: Put's own loop retries, within the deadline,
// the calls and the entries that failed.
func New(cfg aws.Config, bus string, keys telemetry.KeySource) *Publisher {
	client := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
		o.RetryMaxAttempts = 1
	})
	return &Publisher{API: client, EventBus: bus, Keys: keys}
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Put puts the receipt due (eraser.MessageResult.Receipt) for each index of
// report.Messages and returns one error
// per index, in order: nil when EventBridge took the receipt, else an
// *Error. A receipt fails alone whenever it can: an entry EventBridge
// rejects fails only its own index, and a failed call only the (at most
// 10) receipts it carried. Failed calls and entries EventBridge calls
// transient are retried while the context's deadline allows.
func (p *Publisher) Put(ctx context.Context, report *eraser.Report, indexes []int) (errs []error) {
	errs = make([]error, len(indexes))
	defer func() {
		// Nothing is in flight here: the calls recover their own panics
		// and are waited for. A panic before them fails every receipt.
		if v := recover(); v != nil {
			e := &Error{Op: OpPut, EventBus: p.EventBus, Err: erasure.Panicked("preparing receipts", v)}
			for i := range errs {
				errs[i] = e
			}
		}
	}()
	if err := p.configured(); err != nil {
		fill(errs, &Error{Op: OpPut, EventBus: p.EventBus, Err: err})
		return errs
	}
	if len(indexes) == 0 {
		return errs
	}
	key, err := p.Keys.AuditKey(ctx)
	if err != nil {
		fill(errs, &Error{Op: OpAuditKey, EventBus: p.EventBus, Err: err})
		return errs
	}
	var parts []string
	var verification string
	if report != nil {
		parts, verification = report.Parts, report.Verification
	}
	at := p.now().UTC().Truncate(time.Millisecond)
	var items []item
	for i, idx := range indexes {
		if report == nil || idx < 0 || idx >= len(report.Messages) || report.Messages[idx].Receipt == "" {
			errs[i] = &Error{Op: OpPut, EventBus: p.EventBus, Err: fmt.Errorf("%w: %d", ErrNoSuchMessage, idx)}
			continue
		}
		entry, size, err := p.entryOf(&report.Messages[idx], parts, verification, key, at)
		switch {
		case err != nil:
			errs[i] = &Error{Op: OpPut, EventBus: p.EventBus, Err: err}
			continue
		case size > maxRequestSize:
			errs[i] = &Error{Op: OpPut, EventBus: p.EventBus,
				Err: fmt.Errorf("%w: %d bytes, EventBridge allows %d", ErrTooLarge, size, maxRequestSize)}
			continue
		}
		items = append(items, item{pos: i, size: size, entry: entry})
	}
	pol := p.Retry.withDefaults()
	p.run(ctx, split(items), cutoff(ctx, pol.Reserve), pol, errs)
	return errs
}

func (p *Publisher) configured() error {
	switch {
	case p.API == nil:
		return fmt.Errorf("%w: no EventBridge client", ErrNotConfigured)
	case p.EventBus == "":
		return fmt.Errorf("%w: no event bus", ErrNotConfigured)
	case p.Keys == nil:
		return fmt.Errorf("%w: no audit key source", ErrNotConfigured)
	}
	return nil
}

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}

// cutoff is when Put's calls must be over: reserve (at most half the time
// left) before ctx's deadline; zero without a deadline.
func cutoff(ctx context.Context, reserve time.Duration) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}
	}
	return deadline.Add(-min(reserve, max(time.Until(deadline), 0)/2))
}
