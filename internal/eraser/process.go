package eraser

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/batch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/message"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

var (
	errFIFOBlocked = errors.New("an earlier message of this FIFO batch failed; delivered again to keep the order")
	errDryRun      = errors.New("dry run: no call was sent")
	errNotSent     = errors.New("not sent before the invocation ended")
)

// invocation is the state of one Process call: concurrent invocations share
// only the Processor, its limiter and its attribute-name cache.
type invocation struct {
	p      *Processor
	cutoff time.Time

	entries []batch.Entry
	// results[i] is the outcome of entries[i]; its zero value is "not
	// done", so an account nobody reported on can never count as erased.
	results []entryResult

	calls, retries, rateLimited, splits atomic.Int64

	// keyMu serialises re-reads of the signing key after a signature
	// error; keyStale is set once a re-read did not yield a usable key, so
	// the other calls of this invocation fail without reading it again.
	keyMu    sync.Mutex
	keyStale bool
}

type entryResult struct {
	erased bool
	class  string
	err    error
}

// Process handles the records of one SQS batch. fifo applies AWS's rule for
// FIFO sources: after the first failed message, every later one fails too.
func (p *Processor) Process(ctx context.Context, records []events.SQSMessage, fifo bool) *Report {
	start := p.now()
	run := &invocation{p: p, cutoff: p.cutoff(ctx, start)}
	report := &Report{Messages: make([]MessageResult, len(records)), DryRun: p.DryRun}
	for i, rec := range records {
		report.Messages[i].MessageID = rec.MessageId
	}

	requests := run.parse(ctx, records, report, fifo)
	run.entries = batch.Plan(requests)
	run.results = make([]entryResult, len(run.entries))
	calls := batch.Pack(run.entries, erasure.MaxAccountsPerCall)
	report.Accounts = len(run.entries)
	report.PlannedCalls = len(calls)

	if p.DryRun {
		run.failAll(ClassDryRun, errDryRun)
		logPlan(ctx, p.logger(), calls)
	} else {
		run.sendAll(ctx, calls)
	}

	run.settle(report, fifo)
	report.Calls = int(run.calls.Load())
	report.Retries = int(run.retries.Load())
	report.RateLimited = int(run.rateLimited.Load())
	report.Splits = int(run.splits.Load())
	report.Duration = p.now().Sub(start)
	return report
}

// parse validates every record and resolves its attribute set. Failures are
// written into report; the valid requests are returned for planning.
func (run *invocation) parse(ctx context.Context, records []events.SQSMessage, report *Report, fifo bool) []batch.Request {
	requests := make([]batch.Request, 0, len(records))
	var (
		appNames []string
		namesErr error
		fetched  bool
	)
	names := func() ([]string, error) {
		if !fetched {
			fetched = true
			appNames, namesErr = run.p.appAttrNames(ctx, run)
		}
		return appNames, namesErr
	}
	blocked := false
	for i, rec := range records {
		m := &report.Messages[i]
		req, err := message.Parse(rec.Body)
		m.Request = req // on error, the audit fields that could be read
		if blocked {
			m.Outcome, m.Class, m.Err = Failed, ClassFIFOBlocked, errFIFOBlocked
			continue
		}
		if err == nil {
			err = run.checkAttrs(req, names)
		}
		if err != nil {
			var invalid *message.Error
			if errors.As(err, &invalid) {
				m.Outcome, m.Class = Invalid, ClassInvalid
			} else {
				m.Outcome, m.Class = Failed, tim.Classify(err).String()
			}
			m.Err = err
			blocked = fifo
			continue
		}
		attrs := req.Attrs
		if attrs == nil {
			attrs = run.p.DefaultAttrs
		}
		if attrs == nil {
			attrs, _ = names() // checkAttrs made sure this succeeded
		}
		requests = append(requests, batch.Request{Message: i, Accounts: req.Accounts, Attrs: attrs})
	}
	return requests
}

// checkAttrs rejects a message naming an attribute the app does not have,
// before it costs a call, and fails a message needing the app's names when
// they cannot be read.
func (run *invocation) checkAttrs(req erasure.Request, names func() ([]string, error)) error {
	if req.Attrs == nil && run.p.DefaultAttrs == nil {
		all, err := names()
		if err != nil {
			return fmt.Errorf("read the app's attribute names: %w", err)
		}
		if len(all) == 0 {
			return errors.New("the app has no attribute names and the message names none")
		}
		return nil
	}
	if req.Attrs == nil {
		return nil
	}
	known, err := names()
	if err != nil {
		// Not fatal: Tencent will reject an unknown name with 90033 and the
		// call is split down to the messages that named it.
		return nil
	}
	for i, a := range req.Attrs {
		if !slices.Contains(known, a) {
			return &message.Error{Field: fmt.Sprintf("attrs[%d]", i), Reason: "is not an attribute name of this app"}
		}
	}
	return nil
}

// sendAll sends the planned calls with at most MaxInFlight in flight.
func (run *invocation) sendAll(ctx context.Context, calls [][]batch.Entry) {
	work := make(chan []int)
	var wg sync.WaitGroup
	for range min(cmp.Or(run.p.MaxInFlight, DefaultMaxInFlight), len(calls)) {
		wg.Go(func() {
			for idx := range work {
				run.send(ctx, idx, 0)
			}
		})
	}
	next := 0
	for _, call := range calls {
		idx := make([]int, len(call))
		for j := range idx {
			idx[j] = next + j
		}
		next += len(call)
		work <- idx
	}
	close(work)
	wg.Wait()
}

// failAll marks every entry not yet decided as failed.
func (run *invocation) failAll(class string, err error) {
	for i := range run.results {
		if !run.results[i].erased && run.results[i].err == nil {
			run.results[i] = entryResult{class: class, err: err}
		}
	}
}

// settle maps entry results back to messages.
func (run *invocation) settle(report *Report, fifo bool) {
	run.failAll(ClassDeadline, errNotSent)
	for i, e := range run.entries {
		res := run.results[i]
		if res.erased {
			report.AccountsErased++
			continue
		}
		for _, mi := range e.Messages {
			m := &report.Messages[mi]
			if m.Outcome == "" {
				m.Outcome, m.Class, m.Err = Failed, res.class, res.err
			}
		}
	}
	firstFailed := -1
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Outcome == "" {
			m.Outcome = Erased
		}
		if m.Outcome != Erased && firstFailed < 0 {
			firstFailed = i
		}
	}
	if fifo && firstFailed >= 0 {
		for i := firstFailed + 1; i < len(report.Messages); i++ {
			if m := &report.Messages[i]; m.Outcome == Erased {
				m.Outcome, m.Class, m.Err = Failed, ClassFIFOBlocked, errFIFOBlocked
			}
		}
	}
	report.Systemic = systemic(report.Messages)
}

// systemic tells whether every valid message failed, all for a reason that
// fails every message alike. Invalid messages and those held back by the
// FIFO rule do not count: one bad message must not keep Lambda from backing
// off when the key is wrong.
func systemic(messages []MessageResult) bool {
	found := false
	for _, m := range messages {
		switch {
		case m.Class == ClassFIFOBlocked || m.Outcome == Invalid:
		case m.Outcome == Erased || !isSystemic(m.Class):
			return false
		default:
			found = true
		}
	}
	return found
}

// logPlan writes the calls a dry run would have made: sizes, never IDs.
func logPlan(ctx context.Context, logger *slog.Logger, calls [][]batch.Entry) {
	accounts := 0
	for i, call := range calls {
		attrs := map[string]bool{}
		for _, e := range call {
			for _, a := range e.Attrs {
				attrs[a] = true
			}
		}
		accounts += len(call)
		logger.InfoContext(ctx, "dry run: planned call", "call", i+1, "accounts", len(call), "attrNames", len(attrs))
	}
	logger.InfoContext(ctx, "dry run: nothing sent, nothing acknowledged", "calls", len(calls), "accounts", accounts)
}

func isSystemic(class string) bool {
	return class == tim.SignatureInvalid.String() || class == tim.Configuration.String()
}
