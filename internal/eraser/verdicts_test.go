package eraser_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// stepLog records, in order, what the receipts and the queue were asked to
// do, so a test can tell which came first.
type stepLog struct{ steps []string }

type loggedReceipts struct {
	log  *stepLog
	fail map[string]bool
}

func (r loggedReceipts) Put(_ context.Context, report *eraser.Report, indexes []int) []error {
	errs := make([]error, len(indexes))
	for j, i := range indexes {
		m := &report.Messages[i]
		r.log.steps = append(r.log.steps, m.MessageID+":"+string(m.Receipt))
		if r.fail[m.MessageID] {
			errs[j] = errors.New("PutEvents: ThrottlingException")
		}
	}
	return errs
}

type loggedQueue struct {
	log      *stepLog
	q        *recordingQueue
	recorded int
}

func (l *loggedQueue) HandOff(ctx context.Context, orders []eraser.Order) []error {
	errs := l.q.HandOff(ctx, orders)
	l.log.steps = append(l.log.steps, l.q.summary()[l.recorded:]...)
	l.recorded = len(l.q.orders)
	return errs
}

// TestRejectedReceiptFollowsTheDeadLetter: "Erasure Rejected" is
// put only once the message's copy is in the DLQ, never for a message
// that is only delayed (a refused dead letter, a systemic batch), and
// "Erasure Completed" is put before anything is acknowledged. A rejection
// whose receipt then fails stays in the DLQ and is not acknowledged: it
// comes back, delayed, is dead-lettered again and its receipt tried again.
func TestRejectedReceiptFollowsTheDeadLetter(t *testing.T) {
	invalid := eraser.MessageResult{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid"), Lineage: eraser.Lineage{ReceiveCount: 1}}
	erased := eraser.MessageResult{MessageID: "ok", Outcome: eraser.Erased, Lineage: eraser.Lineage{ReceiveCount: 1}}
	signature := eraser.MessageResult{MessageID: "sig", Outcome: eraser.Failed, Class: erasure.Signature, Err: errors.New("70009"), Lineage: eraser.Lineage{ReceiveCount: 1}}
	dlqDown := func(o eraser.Order) error {
		if o.Action == eraser.DeadLetter {
			return errors.New("AccessDenied")
		}
		return nil
	}
	tests := []struct {
		name        string
		results     []eraser.MessageResult
		systemic    bool
		failQueue   func(eraser.Order) error
		failReceipt map[string]bool
		wantSteps   []string
		wantFailed  []string
		// what the rejected message's Status says
		wantHandOff eraser.HandOff
		wantPending bool
	}{
		{
			name:        "completed before the hand-off, rejected after the dead letter",
			results:     []eraser.MessageResult{invalid, erased},
			wantSteps:   []string{"ok:Erasure Completed", "bad:dead-letter:invalid", "bad:Erasure Rejected"},
			wantFailed:  nil,
			wantHandOff: eraser.DeadLettered,
		},
		{
			name:        "a refused dead letter gets no rejection",
			results:     []eraser.MessageResult{invalid},
			failQueue:   dlqDown,
			wantSteps:   []string{"bad:dead-letter:invalid", "bad:delay:30s"},
			wantFailed:  []string{"bad"},
			wantHandOff: eraser.Delayed,
			wantPending: true,
		},
		{
			name:       "a systemic batch is only delayed: no rejection",
			results:    []eraser.MessageResult{invalid, signature},
			systemic:   true,
			wantSteps:  []string{"bad:delay:30s", "sig:delay:30s"},
			wantFailed: []string{"bad", "sig"},
		},
		{
			name:        "a rejection not put: in the DLQ, yet not acknowledged, delayed to come back for its receipt",
			results:     []eraser.MessageResult{invalid},
			failReceipt: map[string]bool{"bad": true},
			wantSteps:   []string{"bad:dead-letter:invalid", "bad:Erasure Rejected", "bad:delay:30s"},
			wantFailed:  []string{"bad"},
			wantHandOff: eraser.DeadLettered,
			wantPending: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := eraser.Batch{Messages: make([]eraser.Message, len(tt.results))}
			for i, r := range tt.results {
				batch.Messages[i] = eraser.Message{ID: r.MessageID, Lineage: r.Lineage}
			}
			log := &stepLog{}
			q := &loggedQueue{log: log, q: &recordingQueue{messages: batch.Messages, fail: tt.failQueue}}
			h := &eraser.Handler{
				Processor: &cannedProcessor{report: &eraser.Report{Messages: slices.Clone(tt.results), Systemic: tt.systemic}},
				Receipts:  loggedReceipts{log: log, fail: tt.failReceipt},
			}
			report, _ := h.Handle(context.Background(), batch, q)
			if !slices.Equal(log.steps, tt.wantSteps) {
				t.Errorf("steps\n %q\nwant\n %q", log.steps, tt.wantSteps)
			}
			if failed := report.FailedMessages(); !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %q, want %q", failed, tt.wantFailed)
			}
			if tt.systemic {
				return
			}
			s := report.Messages[0].Status()
			if s.HandOff != tt.wantHandOff || s.Pending != tt.wantPending || !s.Failed() {
				t.Errorf("status of the rejected message: handOff %q pending %v failed %v; want %q, %v, failed",
					s.HandOff, s.Pending, s.Failed(), tt.wantHandOff, tt.wantPending)
			}
			if tt.failReceipt != nil && (s.Acknowledged || report.Messages[0].RetryAfter == 0) {
				t.Errorf("acknowledged %v retryAfter %v: a rejection not put must come back, delayed", s.Acknowledged, report.Messages[0].RetryAfter)
			}
		})
	}
}

// TestFIFOBlocksEverythingAfterTheFirstFailure: on a FIFO queue
// every message after the first failure is reported failed, blocked, an
// invalid one included (not dead-lettered in that invocation), and each is
// delayed by the schedule like any failure.
func TestFIFOBlocksEverythingAfterTheFirstFailure(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.stub.FailAccounts(timtest.CodeInternal, "down")
	msgs := []eraser.Message{
		message("1", erasureBody("f1")),
		message("2", erasureBody("down")),
		message("3", `{"type":"nope","accounts":["f3"]}`),
		message("4", erasureBody("f4")),
	}
	msgs[3].Lineage.ReceiveCount = 3
	q := &recordingQueue{messages: msgs}
	h := &eraser.Handler{Processor: f.p}
	r, err := h.Handle(context.Background(), eraser.Batch{Messages: msgs, Ordered: true}, q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.FailedMessages(), []string{"2", "3", "4"}; !slices.Equal(got, want) {
		t.Errorf("failed = %v, want %v", got, want)
	}
	for _, m := range r.Messages[2:] {
		if s := m.Status(); s.Class != erasure.FIFOBlocked || s.HandOff != eraser.Delayed {
			t.Errorf("message %s: %s/%s, handOff %q; want blocked and delayed", m.MessageID, s.Outcome, s.Class, s.HandOff)
		}
	}
	if got, want := q.summary(), []string{"2:delay:30s", "3:delay:30s", "4:delay:2m0s"}; !slices.Equal(got, want) {
		t.Errorf("orders %q, want %q", got, want)
	}
	checkPromise(t, f.stub, r)
}

// TestDryRunDelaysEveryMessage: a dry run on a real queue must not spend a
// message's receives towards the DLQ within a day, so it delays every
// message by the schedule, and nothing else: no receipt, no dead letter,
// no requeue.
func TestDryRunDelaysEveryMessage(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.DryRun = true
	msgs := []eraser.Message{message("1", erasureBody("d1")), message("bad", "{"), message("3", erasureBody("d3"))}
	msgs[2].Lineage.ReceiveCount = 4
	q := &recordingQueue{messages: msgs}
	rec := &recordingReceipts{}
	h := &eraser.Handler{Processor: f.p, Receipts: rec}
	r, err := h.Handle(context.Background(), eraser.Batch{Messages: msgs}, q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.summary(), []string{"1:delay:30s", "bad:delay:30s", "3:delay:4m0s"}; !slices.Equal(got, want) {
		t.Errorf("orders %q, want %q", got, want)
	}
	if len(rec.kinds) != 0 {
		t.Errorf("receipts %q in a dry run", rec.kinds)
	}
	if got, want := r.FailedMessages(), []string{"1", "bad", "3"}; !slices.Equal(got, want) {
		t.Errorf("failed = %v, want %v", got, want)
	}
	if n := removeCalls(f.stub); n != 0 {
		t.Errorf("%d removal calls in a dry run", n)
	}
}
