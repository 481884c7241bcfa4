package eraser_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// recordingReceipts puts every receipt except those of the message ids in
// fail, and remembers the kind of each receipt asked for (the one the
// handler set as due).
type recordingReceipts struct {
	fail   map[string]bool
	panics bool
	kinds  []string
}

func (r *recordingReceipts) Put(_ context.Context, report *eraser.Report, indexes []int) []error {
	if r.panics {
		panic("receipts exploded")
	}
	errs := make([]error, len(indexes))
	for j, i := range indexes {
		m := &report.Messages[i]
		r.kinds = append(r.kinds, m.MessageID+":"+string(m.Receipt))
		if r.fail[m.MessageID] {
			errs[j] = errors.New("PutEvents: ThrottlingException")
		}
	}
	return errs
}

func TestReceipts(t *testing.T) {
	erased := eraser.MessageResult{MessageID: "ok", Outcome: eraser.Erased, Lineage: eraser.Lineage{ReceiveCount: 1}}
	invalid := eraser.MessageResult{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid"), Lineage: eraser.Lineage{ReceiveCount: 1}}
	content := eraser.MessageResult{MessageID: "odd", Outcome: eraser.Failed, Class: erasure.Content, Err: errors.New("90033"), Lineage: eraser.Lineage{ReceiveCount: 1}}
	retry := eraser.MessageResult{MessageID: "later", Outcome: eraser.Failed, Class: erasure.Retryable, Err: errors.New("502"), Lineage: eraser.Lineage{ReceiveCount: 1}}
	// gaveUp failed on the receive after which SQS would move it to the
	// DLQ: the function dead-letters it and upstream learns a person must
	// look.
	gaveUp := eraser.MessageResult{MessageID: "last", Outcome: eraser.Failed, Class: erasure.Retryable, Err: errors.New("91000"), Lineage: eraser.Lineage{ReceiveCount: 30, LastReceive: true}}
	tests := []struct {
		name       string
		queue      bool
		fail       map[string]bool
		refuse     map[string]bool // dead letters SQS refuses, by message id
		panics     bool
		wantKinds  []string
		wantOrders []string
		wantFailed []string
	}{
		{
			name: "without dead-lettering only erased messages get a receipt", queue: false,
			wantKinds:  []string{"ok:Erasure Completed"},
			wantFailed: []string{"bad", "odd", "later", "last"},
		},
		{
			name: "with dead-lettering hopeless messages get a rejection, the end of the schedule a failure", queue: true,
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected", "last:Erasure Failed"},
			wantOrders: []string{"bad:dead-letter:invalid", "odd:dead-letter:content", "last:dead-letter:retryable", "later:delay:30s"},
			wantFailed: []string{"later"},
		},
		{
			// Never announced before its copy is in the DLQ.
			name: "a dead letter refused at the end of the schedule gets no receipt", queue: true, refuse: map[string]bool{"last": true},
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected"},
			wantOrders: []string{"bad:dead-letter:invalid", "odd:dead-letter:content", "last:dead-letter:retryable", "later:delay:30s", "last:delay:1h0m0s"},
			wantFailed: []string{"later", "last"},
		},
		{
			name: "an Erasure Failed not put fails its message", queue: true, fail: map[string]bool{"last": true},
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected", "last:Erasure Failed"},
			wantOrders: []string{"bad:dead-letter:invalid", "odd:dead-letter:content", "last:dead-letter:retryable", "later:delay:30s", "last:delay:1h0m0s"},
			wantFailed: []string{"later", "last"},
		},
		{
			// The rejection comes after the dead letter: one not put leaves
			// the message in the DLQ and unacknowledged, to come back
			// (delayed) for its receipt.
			name: "a receipt not put fails its message, which is not acknowledged", queue: true,
			fail:       map[string]bool{"ok": true, "bad": true},
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected", "last:Erasure Failed"},
			wantOrders: []string{"bad:dead-letter:invalid", "odd:dead-letter:content", "last:dead-letter:retryable", "ok:delay:30s", "bad:delay:30s", "later:delay:30s"},
			wantFailed: []string{"ok", "bad", "later"},
		},
		{
			name: "a panic while putting fails every message that needed a receipt", queue: false, panics: true,
			wantFailed: []string{"ok", "bad", "odd", "later", "last"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := []eraser.MessageResult{erased, invalid, content, retry, gaveUp}
			batch := eraser.Batch{Messages: make([]eraser.Message, len(results))}
			for i, r := range results {
				batch.Messages[i] = eraser.Message{ID: r.MessageID, Lineage: r.Lineage}
			}
			rec := &recordingReceipts{fail: tt.fail, panics: tt.panics}
			h := &eraser.Handler{Processor: &cannedProcessor{report: &eraser.Report{Messages: results}}, Receipts: rec}
			q := &recordingQueue{messages: batch.Messages, fail: func(o eraser.Order) error {
				if o.Action == eraser.DeadLetter && tt.refuse[batch.Messages[o.Message].ID] {
					return errors.New("AccessDenied")
				}
				return nil
			}}
			var queue eraser.Queue // nil unless the case has one: no dead-lettering
			if tt.queue {
				queue = q
			}
			report, err := h.Handle(context.Background(), batch, queue)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.kinds, tt.wantKinds) {
				t.Errorf("receipts %q, want %q", rec.kinds, tt.wantKinds)
			}
			if got := q.summary(); !slices.Equal(got, tt.wantOrders) {
				t.Errorf("orders %q, want %q", got, tt.wantOrders)
			}
			if failed := report.FailedMessages(); !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %q, want %q", failed, tt.wantFailed)
			}
		})
	}
}

// TestReceiptNotPutIsAFailureEverywhere: an erased message whose receipt
// could not be put is failed, class receipt, in its Status, so the audit
// line, the metrics and the batch response agree that it comes back.
func TestReceiptNotPutIsAFailureEverywhere(t *testing.T) {
	tests := []struct {
		name        string
		queue       bool
		wantOrders  []string
		wantHandOff eraser.HandOff
	}{
		{name: "without a queue"},
		{name: "with a queue it is delayed, not copied", queue: true, wantOrders: []string{"ok:delay:30s"}, wantHandOff: eraser.Delayed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := eraser.Batch{Messages: []eraser.Message{message("ok", erasureBody("u1"))}}
			results := []eraser.MessageResult{{MessageID: "ok", Outcome: eraser.Erased, Lineage: batch.Messages[0].Lineage}}
			h := &eraser.Handler{
				Processor: &cannedProcessor{report: &eraser.Report{Messages: results}},
				Receipts:  &recordingReceipts{fail: map[string]bool{"ok": true}},
			}
			q := &recordingQueue{messages: batch.Messages}
			var queue eraser.Queue
			if tt.queue {
				queue = q
			}
			report, err := h.Handle(context.Background(), batch, queue)
			if err != nil {
				t.Fatal(err)
			}
			m := &report.Messages[0]
			if m.Receipt != eraser.ReceiptCompleted {
				t.Errorf("receipt due %q, want %q", m.Receipt, eraser.ReceiptCompleted)
			}
			s := m.Status()
			if s.Outcome != eraser.Failed || s.Class != erasure.Receipt || s.Err == nil || !s.Failed() {
				t.Errorf("status %s/%s/%v failed=%v, want failed/receipt with the put's error", s.Outcome, s.Class, s.Err, s.Failed())
			}
			if s.Acknowledged || !s.Pending || s.HandOff != tt.wantHandOff {
				t.Errorf("acknowledged %v pending %v handOff %q; want unacknowledged, pending, %q", s.Acknowledged, s.Pending, s.HandOff, tt.wantHandOff)
			}
			tally := report.Tally()
			if tally.Erased != 0 || tally.Failed != 1 || !maps.Equal(tally.FailedByClass, map[erasure.Class]int{erasure.Receipt: 1}) {
				t.Errorf("tally %+v, want one failure of class receipt", tally)
			}
			if failed := report.FailedMessages(); !slices.Equal(failed, []string{"ok"}) {
				t.Errorf("failed messages %q, want [ok]", failed)
			}
			if got := q.summary(); !slices.Equal(got, tt.wantOrders) {
				t.Errorf("orders %q, want %q", got, tt.wantOrders)
			}
		})
	}
}
