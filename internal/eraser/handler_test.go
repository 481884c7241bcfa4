package eraser_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// cannedProcessor returns a fixed report and remembers how it was called.
type cannedProcessor struct {
	report *eraser.Report
	fifo   bool
	calls  int
}

func (c *cannedProcessor) Process(_ context.Context, _ []events.SQSMessage, fifo bool) *eraser.Report {
	c.calls++
	c.fifo = fifo
	return c.report
}

type countingObserver struct{ seen int }

func (o *countingObserver) Observe(context.Context, *eraser.Report) { o.seen++ }

func TestHandle(t *testing.T) {
	standard := "arn:aws:sqs:us-east-1:123456789012:erasure"
	tests := []struct {
		name       string
		arn        string
		results    []eraser.MessageResult
		systemic   bool
		wantFailed []string
		wantErr    error
		wantFIFO   bool
	}{
		{
			name:       "all erased",
			arn:        standard,
			results:    []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}, {MessageID: "b", Outcome: eraser.Erased}},
			wantFailed: []string{},
		},
		{
			name: "partial failure lists exactly the failed messages",
			arn:  standard,
			results: []eraser.MessageResult{
				{MessageID: "a", Outcome: eraser.Erased},
				{MessageID: "b", Outcome: eraser.Invalid, Class: erasure.Invalid},
				{MessageID: "c", Outcome: eraser.Failed, Class: "retryable"},
			},
			wantFailed: []string{"b", "c"},
		},
		{
			name:       "systemic failure returns an error",
			arn:        standard,
			results:    []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Failed, Class: "signature"}},
			systemic:   true,
			wantFailed: []string{"a"},
			wantErr:    eraser.ErrSystemic,
		},
		{
			name:       "a failed message without id fails the batch",
			arn:        standard,
			results:    []eraser.MessageResult{{MessageID: "", Outcome: eraser.Invalid}},
			wantFailed: []string{},
			wantErr:    eraser.ErrMissingMessageID,
		},
		{
			name:       "fifo queue detected from the ARN",
			arn:        standard + ".fifo",
			results:    []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}},
			wantFailed: []string{},
			wantFIFO:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := &cannedProcessor{report: &eraser.Report{Messages: tt.results, Systemic: tt.systemic}}
			obs := &countingObserver{}
			h := &eraser.Handler{Processor: proc, Observers: []eraser.Observer{obs}}
			var records []events.SQSMessage
			for _, r := range tt.results {
				records = append(records, events.SQSMessage{MessageId: r.MessageID, EventSourceARN: tt.arn})
			}
			resp, err := h.Handle(context.Background(), events.SQSEvent{Records: records})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			if got == nil {
				got = []string{}
			}
			if tt.wantErr != eraser.ErrMissingMessageID && !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failures = %v, want %v", got, tt.wantFailed)
			}
			if proc.fifo != tt.wantFIFO {
				t.Errorf("fifo = %v, want %v", proc.fifo, tt.wantFIFO)
			}
			if obs.seen != 1 {
				t.Errorf("observer saw %d reports, want 1", obs.seen)
			}
		})
	}
}

func TestHandleUnconfiguredFailsEverything(t *testing.T) {
	cfgErr := errors.New("SECRET_ID is required")
	rec := &recordingObserver{}
	h := &eraser.Handler{ConfigErr: cfgErr, Observers: []eraser.Observer{rec}}
	event := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}}}
	resp, err := h.Handle(context.Background(), event)
	if !errors.Is(err, cfgErr) {
		t.Fatalf("err = %v, want the configuration error", err)
	}
	if len(resp.BatchItemFailures) != 2 {
		t.Errorf("failures = %v, want both messages", resp.BatchItemFailures)
	}
	// The audit trail must account for messages the function could not run.
	if rec.report == nil || len(rec.report.Messages) != 2 {
		t.Fatalf("observer saw %+v, want a report of both messages", rec.report)
	}
	for _, m := range rec.report.Messages {
		if m.Outcome != eraser.Failed || m.Class != "configuration" || !errors.Is(m.Err, cfgErr) {
			t.Errorf("message %s: %s/%s/%v", m.MessageID, m.Outcome, m.Class, m.Err)
		}
	}
}

type recordingObserver struct{ report *eraser.Report }

func (r *recordingObserver) Observe(_ context.Context, report *eraser.Report) { r.report = report }

type panickingProcessor struct{ calls int }

func (p *panickingProcessor) Process(context.Context, []events.SQSMessage, bool) *eraser.Report {
	p.calls++
	if p.calls == 1 {
		panic("secret-key-material in a careless panic")
	}
	return &eraser.Report{Messages: []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}, {MessageID: "b", Outcome: eraser.Erased}}}
}

type panickingObserver struct{}

func (panickingObserver) Observe(context.Context, *eraser.Report) { panic("observer bug") }

// TestHandlePanics injects a panic that escapes the processor and one in an
// observer: every message of the batch fails, class internal, the panic is
// logged once without its value, and the handler serves the next batch.
func TestHandlePanics(t *testing.T) {
	tests := []struct {
		name      string
		processor eraser.BatchProcessor
		observers []eraser.Observer
	}{
		{"processor", &panickingProcessor{}, nil},
		{"observer", &cannedProcessor{report: &eraser.Report{Messages: []eraser.MessageResult{
			{MessageID: "a", Outcome: eraser.Erased}, {MessageID: "b", Outcome: eraser.Erased}}}}, []eraser.Observer{panickingObserver{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs capture.Buffer
			rec := &recordingObserver{}
			h := &eraser.Handler{
				Processor: tt.processor,
				Observers: append(tt.observers, rec),
				Logger:    slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			event := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}}}
			resp, err := h.Handle(context.Background(), event)
			if err != nil {
				t.Fatalf("err = %v; a panic fails messages, not the invocation", err)
			}
			if len(resp.BatchItemFailures) != 2 {
				t.Errorf("failures = %v, want both messages", resp.BatchItemFailures)
			}
			if rec.report == nil {
				t.Fatal("the other observers did not run")
			}
			if tt.name == "processor" {
				for _, m := range rec.report.Messages {
					if m.Outcome != eraser.Failed || m.Class != erasure.Internal {
						t.Errorf("message %s: %s/%s", m.MessageID, m.Outcome, m.Class)
					}
				}
			}
			out := logs.String()
			if strings.Count(out, "recovered from a panic") != 1 || strings.Contains(out, "secret-key-material") {
				t.Errorf("want one panic line without the panic's text, got:\n%s", out)
			}
			if tt.name == "processor" {
				if resp, err := h.Handle(context.Background(), event); err != nil || len(resp.BatchItemFailures) != 0 {
					t.Errorf("next batch: %v %v", resp.BatchItemFailures, err)
				}
			}
		})
	}
}
