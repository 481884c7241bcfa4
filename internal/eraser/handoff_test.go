package eraser_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// recordingQueue takes every order except those fail picks, and remembers
// them. messages is the batch the orders' indexes refer to.
type recordingQueue struct {
	mu       sync.Mutex
	messages []eraser.Message
	orders   []eraser.Order
	fail     func(eraser.Order) error
	panics   bool
}

func (q *recordingQueue) HandOff(_ context.Context, orders []eraser.Order) []error {
	if q.panics {
		panic("queue exploded")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	errs := make([]error, len(orders))
	for i, o := range orders {
		q.orders = append(q.orders, o)
		if q.fail != nil {
			errs[i] = q.fail(o)
		}
	}
	return errs
}

// summary renders the orders as "id:action[:detail]" for comparison.
func (q *recordingQueue) summary() []string {
	var out []string
	for _, o := range q.orders {
		id := q.messages[o.Message].ID
		switch o.Action {
		case eraser.Requeue:
			out = append(out, fmt.Sprintf("%s:requeue:%d", id, o.Lineage.Requeues))
		case eraser.DeadLetter:
			out = append(out, fmt.Sprintf("%s:dead-letter:%s", id, o.Class))
		case eraser.Delay:
			out = append(out, fmt.Sprintf("%s:delay:%s", id, o.Delay))
		}
	}
	return out
}

func TestHandOff(t *testing.T) {
	failed := func(id string, class erasure.Class, receives int) eraser.MessageResult {
		return eraser.MessageResult{MessageID: id, Outcome: eraser.Failed, Class: class, Err: errors.New(string(class)), Lineage: eraser.Lineage{OriginalMessageID: id, ReceiveCount: receives}}
	}
	unreached := func(id string, requeues int) eraser.MessageResult {
		m := failed(id, erasure.Deadline, 1)
		m.Unreached, m.Lineage.Requeues = true, requeues
		return m
	}
	invalid := eraser.MessageResult{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: &erasure.Error{Field: "type", Reason: "is required"}, Lineage: eraser.Lineage{ReceiveCount: 1}}
	erased := eraser.MessageResult{MessageID: "ok", Outcome: eraser.Erased, Lineage: eraser.Lineage{ReceiveCount: 1}}
	withReceives := func(m eraser.MessageResult, receives int) eraser.MessageResult {
		m.Lineage.ReceiveCount = receives
		return m
	}
	// lastReceive marks m as received for the last time before the
	// source's redrive would move it to the DLQ without a reason.
	lastReceive := func(m eraser.MessageResult) eraser.MessageResult {
		m.Lineage.LastReceive = true
		return m
	}
	refuseRequeues := func(o eraser.Order) error {
		if o.Action == eraser.Requeue {
			return errors.New("throttled")
		}
		return nil
	}
	dlqDown := func(o eraser.Order) error {
		if o.Action == eraser.DeadLetter {
			return errors.New("AccessDenied")
		}
		return nil
	}
	tests := []struct {
		name       string
		ordered    bool
		results    []eraser.MessageResult
		systemic   bool
		dryRun     bool
		fail       func(eraser.Order) error
		panics     bool
		wantOrders []string
		wantFailed []string
		wantErr    error
	}{
		{name: "erased: nothing to hand on", results: []eraser.MessageResult{erased}, wantFailed: []string{}},
		{
			name:       "invalid and content are dead-lettered on their first receive and acknowledged",
			results:    []eraser.MessageResult{erased, invalid, failed("c", erasure.Content, 1)},
			wantOrders: []string{"bad:dead-letter:invalid", "c:dead-letter:content"},
			wantFailed: []string{},
		},
		{
			name:       "unreached is requeued and acknowledged",
			results:    []eraser.MessageResult{unreached("u", 0), unreached("v", 3)},
			wantOrders: []string{"u:requeue:1", "v:requeue:4"},
			wantFailed: []string{},
		},
		{
			name:       "requeues are bounded: past the bound an unreached message is delayed",
			results:    []eraser.MessageResult{unreached("u", eraser.MaxRequeues)},
			wantOrders: []string{"u:delay:30s"},
			wantFailed: []string{"u"},
		},
		{
			name:       "failures come back after min(base*2^(n-1), max)",
			results:    []eraser.MessageResult{failed("a", erasure.Retryable, 1), failed("b", erasure.RateLimited, 3), failed("c", erasure.Deadline, 9)},
			wantOrders: []string{"a:delay:30s", "b:delay:2m0s", "c:delay:1h0m0s"},
			wantFailed: []string{"a", "b", "c"},
		},
		{
			// Order first, and the schedule like any failure: without a
			// delay they would come back each visibility timeout and reach
			// the DLQ in hours.
			name: "FIFO: unreached and blocked messages fail and are delayed by the schedule, none copied", ordered: true,
			results:    []eraser.MessageResult{failed("a", erasure.Retryable, 2), unreached("u", 0), failed("b", erasure.FIFOBlocked, 3)},
			wantOrders: []string{"a:delay:1m0s", "u:delay:30s", "b:delay:2m0s"},
			wantFailed: []string{"a", "u", "b"},
		},
		{
			name:    "a dead letter SQS refused fails and is delayed",
			results: []eraser.MessageResult{invalid}, fail: dlqDown,
			wantOrders: []string{"bad:dead-letter:invalid", "bad:delay:30s"},
			wantFailed: []string{"bad"},
		},
		{
			// Else it would come back after the queue's visibility timeout,
			// every receive counting, with no backoff.
			name:    "a refused requeue fails and is delayed",
			results: []eraser.MessageResult{unreached("u", 0), unreached("v", 2)}, fail: refuseRequeues,
			wantOrders: []string{"u:requeue:1", "v:requeue:3", "u:delay:30s", "v:delay:30s"},
			wantFailed: []string{"u", "v"},
		},
		{
			name:    "a refused requeue of a message received again is delayed by its receive count",
			results: []eraser.MessageResult{withReceives(unreached("u", 1), 3)}, fail: refuseRequeues,
			wantOrders: []string{"u:requeue:2", "u:delay:2m0s"},
			wantFailed: []string{"u"},
		},
		{
			name: "systemic: every message is delayed, none handed on", systemic: true,
			results:    []eraser.MessageResult{failed("a", erasure.Signature, 1), failed("b", erasure.Signature, 2), invalid},
			wantOrders: []string{"a:delay:30s", "b:delay:1m0s", "bad:delay:30s"},
			wantFailed: []string{"a", "b", "bad"},
			wantErr:    eraser.ErrSystemic,
		},
		{
			// A dry run judges nothing: no copy, only the schedule's delay,
			// so that it spends no receives towards the DLQ within a day.
			name: "dry run: every message is delayed, none copied", dryRun: true,
			results:    []eraser.MessageResult{failed("a", erasure.DryRun, 1), invalid},
			wantOrders: []string{"a:delay:30s", "bad:delay:30s"},
			wantFailed: []string{"a", "bad"},
		},
		{
			// SQS's redrive would move it with no reason; the function
			// dead-letters it itself, with its last class and reason.
			name:       "last receive: a failure is dead-lettered with its class and acknowledged",
			results:    []eraser.MessageResult{erased, lastReceive(failed("a", erasure.Retryable, 30)), failed("b", erasure.Retryable, 29)},
			wantOrders: []string{"a:dead-letter:retryable", "b:delay:1h0m0s"},
			wantFailed: []string{"b"},
		},
		{
			name: "last receive: a systemic failure is dead-lettered too, the rest only delayed", systemic: true,
			results:    []eraser.MessageResult{lastReceive(failed("a", erasure.Signature, 30)), failed("b", erasure.Signature, 2)},
			wantOrders: []string{"a:dead-letter:signature", "b:delay:1m0s"},
			wantFailed: []string{"b"},
			wantErr:    eraser.ErrSystemic,
		},
		{
			// A requeued copy starts its own count; it is not a failure.
			name:       "last receive: an unreached message is still requeued",
			results:    []eraser.MessageResult{lastReceive(unreached("u", 0))},
			wantOrders: []string{"u:requeue:1"},
			wantFailed: []string{},
		},
		{
			name:       "last receive: an unreached message past the requeue bound is dead-lettered",
			results:    []eraser.MessageResult{lastReceive(unreached("u", eraser.MaxRequeues))},
			wantOrders: []string{"u:dead-letter:deadline"},
			wantFailed: []string{},
		},
		{
			name: "last receive on a FIFO queue: the failure and those blocked behind it are dead-lettered", ordered: true,
			results:    []eraser.MessageResult{lastReceive(failed("a", erasure.Retryable, 30)), lastReceive(failed("b", erasure.FIFOBlocked, 30)), failed("c", erasure.FIFOBlocked, 1)},
			wantOrders: []string{"a:dead-letter:retryable", "b:dead-letter:fifo_blocked", "c:delay:30s"},
			wantFailed: []string{"c"},
		},
		{
			name:    "last receive: a dead letter SQS refused fails and is delayed",
			results: []eraser.MessageResult{lastReceive(failed("a", erasure.Retryable, 30))}, fail: dlqDown,
			wantOrders: []string{"a:dead-letter:retryable", "a:delay:1h0m0s"},
			wantFailed: []string{"a"},
		},
		{
			name: "a panicking queue fails what it was given", panics: true,
			results:    []eraser.MessageResult{erased, invalid, unreached("u", 0)},
			wantFailed: []string{"bad", "u"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := eraser.Batch{Messages: make([]eraser.Message, len(tt.results)), Ordered: tt.ordered}
			for i, r := range tt.results {
				batch.Messages[i] = eraser.Message{ID: r.MessageID, Lineage: r.Lineage}
			}
			report := &eraser.Report{Messages: slices.Clone(tt.results), Systemic: tt.systemic, DryRun: tt.dryRun}
			q := &recordingQueue{messages: batch.Messages, fail: tt.fail, panics: tt.panics}
			h := &eraser.Handler{Processor: &cannedProcessor{report: report}}
			out, err := h.Handle(context.Background(), batch, q)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := q.summary(); !slices.Equal(got, tt.wantOrders) {
				t.Errorf("orders\n %q\nwant\n %q", got, tt.wantOrders)
			}
			failed := out.FailedMessages()
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %q, want %q", failed, tt.wantFailed)
			}
			for _, m := range report.Messages {
				ack := m.Status().Acknowledged
				if ack == slices.Contains(failed, m.MessageID) {
					t.Errorf("%s: acknowledged %v but listed as failed %v", m.MessageID, ack, !ack)
				}
				if (tt.fail != nil || tt.panics) && !ack && m.HandOffErr == nil {
					t.Errorf("%s: SQS refused it but no HandOffErr was recorded", m.MessageID)
				}
			}
		})
	}
}

// TestHandOffOrdersCarryTheMessageAndReason: a dead-letter order names its
// message by index and carries its lineage, class and reason. (That the
// queue gets the record's body and receipt handle is sqsq's to test.)
func TestHandOffOrdersCarryTheMessageAndReason(t *testing.T) {
	lineage := eraser.Lineage{OriginalMessageID: "orig", ReceiveCount: 1}
	batch := eraser.Batch{Messages: []eraser.Message{message("ok", erasureBody("u1")), {ID: "bad", Body: "{", Lineage: lineage}}}
	long := &erasure.Error{Field: "accounts", Reason: strings.Repeat("x", 5000)}
	report := &eraser.Report{Messages: []eraser.MessageResult{
		{MessageID: "ok", Outcome: eraser.Erased, Lineage: batch.Messages[0].Lineage},
		{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: long, Lineage: lineage},
	}}
	q := &recordingQueue{messages: batch.Messages}
	h := &eraser.Handler{Processor: &cannedProcessor{report: report}}
	if _, err := h.Handle(context.Background(), batch, q); err != nil {
		t.Fatal(err)
	}
	if len(q.orders) != 1 {
		t.Fatalf("orders %+v, want one dead letter", q.orders)
	}
	o := q.orders[0]
	if o.Message != 1 || q.messages[o.Message].Body != "{" || o.Lineage.OriginalMessageID != "orig" || o.Class != erasure.Invalid {
		t.Errorf("order lost the message, lineage or class: %+v", o)
	}
	if !strings.HasPrefix(o.Reason, "invalid message: accounts") || len(o.Reason) > 1100 {
		t.Errorf("reason %d bytes: %.60q", len(o.Reason), o.Reason)
	}
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		backoff erasure.Schedule
		n       int
		want    time.Duration
	}{
		{erasure.Schedule{}, 1, 30 * time.Second},
		{erasure.Schedule{}, 2, time.Minute},
		{erasure.Schedule{}, 8, time.Hour},
		{erasure.Schedule{}, 1000, time.Hour},
		{erasure.Schedule{Base: time.Second, Max: 2 * time.Second}, 3, 2 * time.Second},
		{erasure.Schedule{Base: 10 * time.Hour, Max: 48 * time.Hour}, 2, 12 * time.Hour}, // SQS's ceiling
		{erasure.Schedule{Base: time.Minute}, 0, time.Minute},
	}
	for _, tt := range tests {
		if got := tt.backoff.Delay(tt.n); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.backoff, tt.n, got, tt.want)
		}
	}
}

// TestObserverPanicKeepsTheHandOff: an observer that panics after the
// hand-off fails only the messages the queue did not take on durably. A
// requeued or dead-lettered (and rejected) message stays acknowledged, or
// its copy would be made again on every receive.
func TestObserverPanicKeepsTheHandOff(t *testing.T) {
	results := []eraser.MessageResult{
		{MessageID: "ok", Outcome: eraser.Erased, Lineage: eraser.Lineage{ReceiveCount: 1}},
		{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid"), Lineage: eraser.Lineage{ReceiveCount: 1}},
		{MessageID: "u", Outcome: eraser.Failed, Class: erasure.Deadline, Err: errors.New("deadline"), Unreached: true, Lineage: eraser.Lineage{ReceiveCount: 1}},
		{MessageID: "later", Outcome: eraser.Failed, Class: erasure.Retryable, Err: errors.New("502"), Lineage: eraser.Lineage{ReceiveCount: 1}},
	}
	tests := []struct {
		name       string
		receipts   *recordingReceipts
		wantFailed []string
		wantKept   map[string]eraser.HandOff
	}{
		{name: "without receipts", wantFailed: []string{"ok", "later"}, wantKept: map[string]eraser.HandOff{"bad": eraser.DeadLettered, "u": eraser.Requeued}},
		{name: "with receipts", receipts: &recordingReceipts{}, wantFailed: []string{"ok", "later"}, wantKept: map[string]eraser.HandOff{"bad": eraser.DeadLettered, "u": eraser.Requeued}},
		{
			// Its copy is in the DLQ but upstream has not heard: it comes
			// back for its rejection as before, still dead-lettered.
			name: "a rejection not put still fails as before", receipts: &recordingReceipts{fail: map[string]bool{"bad": true}},
			wantFailed: []string{"ok", "bad", "later"}, wantKept: map[string]eraser.HandOff{"bad": eraser.DeadLettered, "u": eraser.Requeued},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := eraser.Batch{Messages: make([]eraser.Message, len(results))}
			for i, r := range results {
				batch.Messages[i] = eraser.Message{ID: r.MessageID, Lineage: r.Lineage}
			}
			q := &recordingQueue{messages: batch.Messages}
			h := &eraser.Handler{
				Processor: &cannedProcessor{report: &eraser.Report{Messages: slices.Clone(results)}},
				Observers: []eraser.Observer{panickingObserver{}},
			}
			if tt.receipts != nil {
				h.Receipts = tt.receipts
			}
			report, err := h.Handle(context.Background(), batch, q)
			if err != nil {
				t.Fatal(err)
			}
			if failed := report.FailedMessages(); !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %q, want %q", failed, tt.wantFailed)
			}
			for _, m := range report.Messages {
				s := m.Status()
				if want, kept := tt.wantKept[m.MessageID]; kept {
					if s.HandOff != want || s.Class == erasure.Internal {
						t.Errorf("%s: hand-off %q class %q, want %q kept with its own class", m.MessageID, s.HandOff, s.Class, want)
					}
					continue
				}
				if s.Acknowledged || s.Class != erasure.Internal {
					t.Errorf("%s: acknowledged %v class %q, want failed, class internal", m.MessageID, s.Acknowledged, s.Class)
				}
			}
		})
	}
}
