package sqsq_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// TestLastReceive: a message failing on the receive SQS's redrive would be
// its last (ApproximateReceiveCount has reached the source queue's
// maxReceiveCount, read once per queue) is dead-lettered by the function
// with its class and reason, and acknowledged; when the policy cannot be
// read, the function behaves as before and says so once.
func TestLastReceive(t *testing.T) {
	tests := []struct {
		name         string
		maxReceives  int    // the source queue's maxReceiveCount; 0: no redrive policy
		fault        string // GetQueueAttributes fails with this code
		receives     int
		wantFailed   bool
		wantDLQ      int
		wantWarnings int
	}{
		{name: "the last receive is dead-lettered with its reason", maxReceives: 3, receives: 3, wantDLQ: 1},
		{name: "past the last receive too (the count is approximate)", maxReceives: 3, receives: 4, wantDLQ: 1},
		{name: "before the last receive it is delayed", maxReceives: 3, receives: 2, wantFailed: true},
		{name: "a queue without a redrive policy: delayed", receives: 30, wantFailed: true},
		{name: "a policy that cannot be read: delayed, logged once", maxReceives: 3, fault: "AccessDenied", receives: 3, wantFailed: true, wantWarnings: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.maxReceives > 0 {
				f.srv.SetRedrivePolicy(f.url, "arn:aws:sqs:us-east-1:123456789012:erasures-dlq", tt.maxReceives)
			}
			if tt.fault != "" {
				f.srv.SetFailure("GetQueueAttributes", tt.fault)
			}
			var logs capture.Buffer
			f.q.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			failing := &failingProcessor{}
			h := &sqsq.Handler{Eraser: &eraser.Handler{Processor: failing}, Queue: f.q}
			// Two invocations: the policy is read once, and a failure to
			// read it is logged once.
			for range 2 {
				event := events.SQSEvent{Records: f.receive(t, bodies(1)...)}
				event.Records[0].Attributes["ApproximateReceiveCount"] = strconv.Itoa(tt.receives)
				resp, err := h.Handle(ctx(t), event)
				if err != nil {
					t.Fatal(err)
				}
				if failed := len(itemIDs(resp)) == 1; failed != tt.wantFailed {
					t.Errorf("reported failed %v, want %v", failed, tt.wantFailed)
				}
				if got := failing.batch.Messages[0].Lineage.LastReceive; got != (tt.wantDLQ > 0) {
					t.Errorf("LastReceive = %v", got)
				}
			}
			dlq := f.srv.Messages(f.dlqURL)
			if len(dlq) != 2*tt.wantDLQ {
				t.Fatalf("%d dead letters, want %d", len(dlq), 2*tt.wantDLQ)
			}
			for _, m := range dlq {
				if m.Attributes[sqsq.AttrClass].StringValue != "retryable" || !strings.Contains(m.Attributes[sqsq.AttrReason].StringValue, "91000") {
					t.Errorf("dead letter without its class and reason: %+v", m.Attributes)
				}
			}
			if got := f.srv.Calls("GetQueueAttributes"); tt.maxReceives > 0 && tt.fault == "" && got != 1 {
				t.Errorf("GetQueueAttributes calls = %d, want 1 for two invocations", got)
			}
			if got := strings.Count(logs.String(), "RedrivePolicy"); got != tt.wantWarnings {
				t.Errorf("%d lines name the RedrivePolicy, want %d:\n%s", got, tt.wantWarnings, logs.String())
			}
		})
	}
}

// failingProcessor fails every message as Tencent answering 91000 to
// every try would, and remembers the batch.
type failingProcessor struct{ batch eraser.Batch }

func (p *failingProcessor) Process(_ context.Context, batch eraser.Batch) *eraser.Report {
	p.batch = batch
	report := &eraser.Report{Messages: make([]eraser.MessageResult, len(batch.Messages))}
	for i, msg := range batch.Messages {
		report.Messages[i] = eraser.MessageResult{MessageID: msg.ID, Lineage: msg.Lineage, Outcome: eraser.Failed,
			Class: erasure.Retryable, Err: errors.New("tim: ErrorCode 91000: internal error")}
	}
	return report
}

func TestParseMaxReceiveCount(t *testing.T) {
	tests := []struct {
		policy string
		want   int
		ok     bool
	}{
		{`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":30}`, 30, true},
		{`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":"5"}`, 5, true}, // as some emulators give it
		{`{"maxReceiveCount":0}`, 0, false},
		{`{"deadLetterTargetArn":"x"}`, 0, false},
		{`not json`, 0, false},
	}
	for _, tt := range tests {
		got, err := sqsq.ParseMaxReceiveCount(tt.policy)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("%s: %d, %v; want %d, ok %v", tt.policy, got, err, tt.want, tt.ok)
		}
	}
}
