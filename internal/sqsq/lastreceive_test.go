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

// systemicProcessor fails every message for a systemic reason.
type systemicProcessor struct{}

func (systemicProcessor) Process(_ context.Context, batch eraser.Batch) *eraser.Report {
	report := &eraser.Report{Messages: make([]eraser.MessageResult, len(batch.Messages)), Systemic: true}
	for i, msg := range batch.Messages {
		report.Messages[i] = eraser.MessageResult{MessageID: msg.ID, Lineage: msg.Lineage, Outcome: eraser.Failed,
			Class: erasure.Signature, Err: errors.New("tim: ErrorCode 70001: signature rejected")}
	}
	return report
}

// TestSystemicLastReceiveIsDeleted: a systemic batch ends the invocation
// in an error, so Lambda deletes none of it. A message on its last receive
// is dead-lettered with its reason all the same; the handler deletes it
// itself, or SQS's redrive would move it to the DLQ a second time, without
// a reason. The rest of the batch is only delayed.
func TestSystemicLastReceiveIsDeleted(t *testing.T) {
	f := newFixture(t)
	f.srv.SetRedrivePolicy(f.url, "arn:aws:sqs:us-east-1:123456789012:erasures-dlq", 3)
	deleter := &recordingDeleter{}
	h := &sqsq.Handler{Eraser: &eraser.Handler{Processor: systemicProcessor{}}, Queue: f.q, Deleter: deleter}
	event := events.SQSEvent{Records: f.receive(t, bodies(2)...)}
	event.Records[0].Attributes["ApproximateReceiveCount"] = "3"
	resp, err := h.Handle(ctx(t), event)
	if !errors.Is(err, eraser.ErrSystemic) {
		t.Fatalf("err = %v, want ErrSystemic", err)
	}
	last, other := event.Records[0].MessageId, event.Records[1].MessageId
	if got := itemIDs(resp); len(got) != 1 || got[0] != other {
		t.Errorf("failures %v, want [%s]", got, other)
	}
	if dlq := f.srv.Messages(f.dlqURL); len(dlq) != 1 || dlq[0].Attributes[sqsq.AttrClass].StringValue != string(erasure.Signature) {
		t.Fatalf("dead letters %+v, want the last receive's, class signature", dlq)
	}
	if len(deleter.deleted) != 1 || deleter.deleted[0] != last {
		t.Errorf("deleted %v, want the dead-lettered %s alone", deleter.deleted, last)
	}
	if _, delayed := f.srv.Visibility(event.Records[1].ReceiptHandle); !delayed {
		t.Error("the other message was not delayed")
	}
}
