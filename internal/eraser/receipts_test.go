package eraser_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// recordingReceipts puts every receipt except those of the message ids in
// fail, and remembers the kind of each receipt asked for.
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
		r.kinds = append(r.kinds, m.MessageID+":"+eraser.ReceiptKind(m, true))
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
	tests := []struct {
		name       string
		queue      bool
		fail       map[string]bool
		panics     bool
		wantKinds  []string
		wantOrders []string
		wantFailed []string
	}{
		{
			name: "without dead-lettering only erased messages get a receipt", queue: false,
			wantKinds:  []string{"ok:Erasure Completed"},
			wantFailed: []string{"bad", "odd", "later"},
		},
		{
			name: "with dead-lettering hopeless messages get a rejection", queue: true,
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected"},
			wantOrders: []string{"bad:dead-letter:invalid", "odd:dead-letter:content", "later:delay:30s"},
			wantFailed: []string{"later"},
		},
		{
			name: "a receipt not put fails its message, which is neither dead-lettered nor acknowledged", queue: true,
			fail:       map[string]bool{"ok": true, "bad": true},
			wantKinds:  []string{"ok:Erasure Completed", "bad:Erasure Rejected", "odd:Erasure Rejected"},
			wantOrders: []string{"odd:dead-letter:content", "ok:delay:30s", "bad:delay:30s", "later:delay:30s"},
			wantFailed: []string{"ok", "bad", "later"},
		},
		{
			name: "a panic while putting fails every message that needed a receipt", queue: false, panics: true,
			wantFailed: []string{"ok", "bad", "odd", "later"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := []eraser.MessageResult{erased, invalid, content, retry}
			records := make([]events.SQSMessage, len(results))
			for i, r := range results {
				records[i] = events.SQSMessage{MessageId: r.MessageID, EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:erasure"}
			}
			rec := &recordingReceipts{fail: tt.fail, panics: tt.panics}
			h := &eraser.Handler{Processor: &cannedProcessor{report: &eraser.Report{Messages: results}}, Receipts: rec}
			q := &recordingQueue{}
			if tt.queue {
				h.Queue = q
			}
			resp, err := h.Handle(context.Background(), events.SQSEvent{Records: records})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.kinds, tt.wantKinds) {
				t.Errorf("receipts %q, want %q", rec.kinds, tt.wantKinds)
			}
			if got := q.summary(); !slices.Equal(got, tt.wantOrders) {
				t.Errorf("orders %q, want %q", got, tt.wantOrders)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("batchItemFailures %q, want %q", failed, tt.wantFailed)
			}
		})
	}
}
