package eraser_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// cannedProcessor returns a fixed report.
type cannedProcessor struct{ report *eraser.Report }

func (c *cannedProcessor) Process(context.Context, eraser.Batch) *eraser.Report { return c.report }

// batchOf is a batch of messages with these ids and nothing else.
func batchOf(ids ...string) eraser.Batch {
	b := eraser.Batch{Messages: make([]eraser.Message, len(ids))}
	for i, id := range ids {
		b.Messages[i] = eraser.Message{ID: id}
	}
	return b
}

func TestHandleUnconfiguredFailsEverything(t *testing.T) {
	cfgErr := errors.New("SECRET_ID is required")
	rec := &recordingObserver{}
	h := &eraser.Handler{ConfigErr: cfgErr, Observers: []eraser.Observer{rec}}
	report, err := h.Handle(context.Background(), batchOf("a", "b"), nil)
	if !errors.Is(err, cfgErr) {
		t.Fatalf("err = %v, want the configuration error", err)
	}
	if failed := report.FailedMessages(); len(failed) != 2 {
		t.Errorf("failures = %v, want both messages", failed)
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

func (p *panickingProcessor) Process(context.Context, eraser.Batch) *eraser.Report {
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
			batch := batchOf("a", "b")
			report, err := h.Handle(context.Background(), batch, nil)
			if err != nil {
				t.Fatalf("err = %v; a panic fails messages, not the invocation", err)
			}
			if failed := report.FailedMessages(); len(failed) != 2 {
				t.Errorf("failures = %v, want both messages", failed)
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
				if report, err := h.Handle(context.Background(), batch, nil); err != nil || len(report.FailedMessages()) != 0 {
					t.Errorf("next batch: %v %v", report.FailedMessages(), err)
				}
			}
		})
	}
}
