package eraser_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestBudgetSteps: the end's steps end in order, each before the deadline
// by what the steps after it keep, and processing stops before the first
// of them has its reserve; what grows with the batch grows as the CPU
// share shrinks.
func TestBudgetSteps(t *testing.T) {
	deadline := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	start := deadline.Add(-10 * time.Second)
	const messages, accounts = 100, 100_000
	for _, share := range []float64{0, 0.5, 128.0 / 1769} {
		b := eraser.Budget{CPUShare: share}
		cutoff := b.Cutoff(deadline, start, messages, accounts)
		prev := cutoff
		for s := eraser.StepReceipts; s <= eraser.StepSource; s++ {
			at := b.StepDeadline(deadline, s, messages, accounts)
			if !at.After(prev) {
				t.Errorf("share %v: step %d ends at %v, not after the one before it (%v)", share, s, at, prev)
			}
			if !at.Before(deadline) {
				t.Errorf("share %v: step %d ends at the deadline: nothing is kept for the response", share, s)
			}
			prev = at
		}
		// The steps' own time: from the cutoff to the last step's end.
		if got := b.StepDeadline(deadline, eraser.StepReceipts, messages, accounts).Sub(cutoff); got < eraser.DefaultMinCallBudget {
			t.Errorf("share %v: the first step keeps %v, less than a call", share, got)
		}
	}
	// The part that grows with the batch is CPU: at half a CPU, twice as
	// long.
	full, half := eraser.Budget{}, eraser.Budget{CPUShare: 0.5}
	if f, h := full.ForBatch(messages, accounts), half.ForBatch(messages, accounts); f <= 0 || h != 2*f {
		t.Errorf("batch reserve %v at a full CPU, %v at half of one; want twice as much", f, h)
	}
	if more, fewer := full.ForBatch(messages, 2*accounts), full.ForBatch(messages, accounts); more <= fewer {
		t.Errorf("twice the accounts keep %v, not more than %v", more, fewer)
	}
	// A long invocation keeps DefaultMarginFraction of its time at least.
	long := deadline.Add(-100 * time.Second)
	if got, want := deadline.Sub(full.Cutoff(deadline, long, 0, 0)), time.Duration(eraser.DefaultMarginFraction*float64(100*time.Second)); got < want {
		t.Errorf("a 100 s invocation keeps %v after processing, want at least %v", got, want)
	}
}

// stallingReceipts stands in for a PutEvents that never answers: it
// waits for its context to end and fails every receipt.
type stallingReceipts struct {
	mu   sync.Mutex
	left []time.Duration // the time each call had
}

func (r *stallingReceipts) Put(ctx context.Context, _ *eraser.Report, indexes []int) []error {
	if d, ok := ctx.Deadline(); ok {
		r.mu.Lock()
		r.left = append(r.left, time.Until(d))
		r.mu.Unlock()
	}
	<-ctx.Done()
	return repeatErr(ctx.Err(), len(indexes))
}

// stallingQueue stands in for an SQS that never answers copies (Requeue,
// DeadLetter) but takes delays, and remembers how much time each delay
// call had.
type stallingQueue struct {
	mu         sync.Mutex
	delays     []eraser.Order
	delayLeft  time.Duration
	stalledFor []eraser.Action
}

func (q *stallingQueue) HandOff(ctx context.Context, orders []eraser.Order) []error {
	if orders[0].Action != eraser.Delay {
		q.mu.Lock()
		q.stalledFor = append(q.stalledFor, orders[0].Action)
		q.mu.Unlock()
		<-ctx.Done()
		return repeatErr(ctx.Err(), len(orders))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if d, ok := ctx.Deadline(); ok {
		q.delayLeft = time.Until(d)
	}
	q.delays = append(q.delays, orders...)
	return make([]error, len(orders))
}

func repeatErr(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// timedObserver remembers how long before the deadline it was told.
type timedObserver struct{ left time.Duration }

func (o *timedObserver) Observe(ctx context.Context, _ *eraser.Report) {
	if d, ok := ctx.Deadline(); ok {
		o.left = time.Until(d)
	}
}

// TestSlowCallsKeepTheEndsBudget: receipts and copies that never answer
// take only their own step's time. The delays and the report still run
// with time left, Handle returns before the deadline, and every message
// whose receipt or copy was not taken is reported failed, never
// acknowledged.
func TestSlowCallsKeepTheEndsBudget(t *testing.T) {
	report := &eraser.Report{Accounts: 3, Messages: []eraser.MessageResult{
		{MessageID: "erased", Outcome: eraser.Erased, Lineage: eraser.Lineage{ReceiveCount: 1}},
		{MessageID: "invalid", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("bad type"), Lineage: eraser.Lineage{ReceiveCount: 1}},
		{MessageID: "unreached", Outcome: eraser.Failed, Class: erasure.Deadline, Unreached: true, Err: errors.New("not sent"), Lineage: eraser.Lineage{ReceiveCount: 1}},
	}}
	receipts, queue, observer := &stallingReceipts{}, &stallingQueue{}, &timedObserver{}
	// Each of the six steps keeps 200 ms.
	budget := eraser.Budget{SafetyMargin: 1200 * time.Millisecond, MinCallBudget: 100 * time.Millisecond}
	h := &eraser.Handler{
		Processor:  &cannedProcessor{report: report},
		Receipts:   receipts,
		Observers:  []eraser.Observer{observer},
		TimeBudget: budget,
	}
	const timeout = 2 * time.Second
	ctx := withDeadline(t, timeout)
	deadline, _ := ctx.Deadline()
	got, err := h.Handle(ctx, eraser.Batch{Messages: []eraser.Message{{ID: "erased"}, {ID: "invalid"}, {ID: "unreached"}}}, queue)
	returned := time.Now()
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !returned.Before(deadline) {
		t.Fatalf("Handle returned %v after the deadline", returned.Sub(deadline))
	}
	if want := []string{"erased", "invalid", "unreached"}; !slices.Equal(got.FailedMessages(), want) {
		t.Errorf("failed %q, want %q: nothing whose receipt or copy was not taken may be acknowledged", got.FailedMessages(), want)
	}
	if len(queue.stalledFor) != 1 || len(receipts.left) != 1 {
		t.Errorf("stalled hand-offs %v and receipt calls %d, want one of each", queue.stalledFor, len(receipts.left))
	}
	// Every message not acknowledged is delayed by the schedule, in the
	// delay step's own time.
	if len(queue.delays) != 3 {
		t.Errorf("delayed %d messages, want 3", len(queue.delays))
	}
	n, a := len(report.Messages), report.Accounts
	for _, c := range []struct {
		what string
		left time.Duration
		step eraser.Step
	}{
		{"the delays", queue.delayLeft, eraser.StepDelay},
		{"the report", observer.left, eraser.StepReport},
	} {
		// The step was given at least its own reserve: from the end of the
		// step before it to its own end.
		before := budget.StepDeadline(deadline, c.step-1, n, a)
		own := budget.StepDeadline(deadline, c.step, n, a).Sub(before)
		if c.left < own-100*time.Millisecond {
			t.Errorf("%s had %v, less than their reserve of %v", c.what, c.left, own)
		}
	}
	for i, m := range got.Messages {
		if s := m.Status(); s.Acknowledged || !s.Delayed {
			t.Errorf("message %d (%s): acknowledged %v, delayed %v", i, m.MessageID, s.Acknowledged, s.Delayed)
		}
	}
}

// stalledKeyReads stands in for a Secrets Manager that never answers the
// re-read of the signing key after a signature rejection.
type stalledKeyReads struct {
	eraser.Credentials
	reads atomic.Int64
}

func (s *stalledKeyReads) SignatureRejected(ctx context.Context, _ string) error {
	s.reads.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// TestKeyReReadStopsAtTheCutoff: Tencent rejects the signature, and the
// re-read of the key hangs. The read waits no longer than the cutoff, so
// processing leaves the end its time, and the message fails.
func TestKeyReReadStopsAtTheCutoff(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	// A first batch reads and caches the app's attribute names, so that
	// the next one's first call is a removal.
	if r := f.p.Process(withDeadline(t, 3*time.Second), eraser.Batch{Messages: []eraser.Message{message("m0", erasureBody("k0"))}}); len(r.FailedMessages()) != 0 {
		t.Fatalf("the first batch failed: %+v", r.Messages[0])
	}
	f.stub.SetKey([]byte("another-key-another-key-another!!"))
	creds := &stalledKeyReads{Credentials: f.p.Credentials}
	f.p.Credentials = creds
	ctx := withDeadline(t, 3*time.Second)
	deadline, _ := ctx.Deadline()
	r := f.p.Process(ctx, eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("k1"))}})
	end := time.Until(deadline)
	if keep := eraser.DefaultSafetyMargin; end < keep {
		t.Errorf("processing returned %v before the deadline, less than the end's %v", end, keep)
	}
	if creds.reads.Load() == 0 {
		t.Fatal("the key was never re-read; the test did not reach the case")
	}
	// Its class is the read's (deadline) or the rejection's: either way it
	// fails, and comes back.
	if m := r.Messages[0]; m.Outcome != eraser.Failed || m.Class != erasure.Signature && m.Class != erasure.Deadline {
		t.Errorf("message %s/%s, want failed for its signature or the deadline", m.Outcome, m.Class)
	}
}
