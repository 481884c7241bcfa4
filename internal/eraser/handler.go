// The Lambda-facing side: take an SQS event, process it, report what
// happened, and answer with the partial batch response.

package eraser

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// BatchProcessor handles the records of one batch (satisfied by
// *Processor).
type BatchProcessor interface {
	Process(ctx context.Context, records []events.SQSMessage, fifo bool) *Report
}

// Observer is told the outcome of every batch: audit lines, metrics.
type Observer interface {
	Observe(ctx context.Context, report *Report)
}

// ErrSystemic is returned when every message of a batch failed for the same
// systemic reason, so that Lambda backs off its poller instead of spinning.
var ErrSystemic = errors.New("every message failed for a systemic reason (signing key, signature or configuration); see the log")

// ErrMissingMessageID is returned when a message to be retried has no
// messageId: only failing the whole batch keeps it from being lost.
var ErrMissingMessageID = errors.New("a failed message has no messageId; failing the whole batch so that none is lost")

// Handler handles SQS events. It is safe for concurrent use.
type Handler struct {
	Processor BatchProcessor
	// Queue, when set, hands on the messages that were not erased (see
	// handOff); nil leaves every one of them to SQS's redelivery.
	Queue Queue
	// Backoff is the visibility schedule of failed messages, with a Queue.
	Backoff Backoff
	// Receipts, when set, puts a receipt for every finished message before
	// it is acknowledged.
	Receipts  Receipts
	Observers []Observer
	Logger    *slog.Logger
	// ConfigErr, when set, is the reason the function cannot run: every
	// message fails and the invocation returns an error.
	ConfigErr error
}

// Handle processes one SQS event and returns the messages SQS must deliver
// again.
func (h *Handler) Handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	var report *Report
	if h.ConfigErr != nil {
		report = failAll(event.Records, erasure.Configuration, h.ConfigErr)
		report.Systemic = true
	} else {
		report = h.process(ctx, event.Records)
	}
	if h.Receipts != nil && !report.DryRun {
		h.putReceipts(ctx, report)
	}
	if h.Queue != nil && !report.DryRun {
		h.handOff(ctx, event.Records, report)
	}
	if !h.observe(ctx, report) {
		// An audit line may be missing: delivered again, each message is
		// audited again (erasure is idempotent), so the evidence is whole.
		report = failAll(event.Records, erasure.Internal, errObserverPanicked)
	}

	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range report.FailedMessages() {
		if id == "" {
			return resp, ErrMissingMessageID
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	switch {
	case h.ConfigErr != nil:
		return resp, fmt.Errorf("function is not configured: %w", h.ConfigErr)
	case report.Systemic:
		return resp, ErrSystemic
	}
	return resp, nil
}

// process runs the processor. The processor recovers its own panics where
// it can tell which messages they touched; one that escapes it fails the
// whole batch, class internal, and the process keeps serving.
func (h *Handler) process(ctx context.Context, records []events.SQSMessage) (report *Report) {
	defer func() {
		if v := recover(); v != nil {
			report = failAll(records, erasure.Internal, Recovered(ctx, h.logger(), "processing a batch", v))
		}
	}()
	return h.Processor.Process(ctx, records, isFIFO(records))
}

var errObserverPanicked = errors.New("internal error: writing the audit lines or metrics panicked")

// observe hands the report to every observer and tells whether all of them
// finished. An observer's panic is logged and the others still run.
func (h *Handler) observe(ctx context.Context, report *Report) (ok bool) {
	ok = true
	for _, o := range h.Observers {
		func() {
			defer func() {
				if v := recover(); v != nil {
					Recovered(ctx, h.logger(), fmt.Sprintf("reporting to %T", o), v)
					ok = false
				}
			}()
			o.Observe(ctx, report)
		}()
	}
	return ok
}

func (h *Handler) logger() *slog.Logger {
	return cmp.Or(h.Logger, discard)
}

// failAll reports every message failed with class for cause, so the audit
// trail and metrics still account for each of them.
func failAll(records []events.SQSMessage, class erasure.Class, cause error) *Report {
	report := &Report{Messages: make([]MessageResult, len(records))}
	for i, r := range records {
		report.Messages[i] = MessageResult{MessageID: r.MessageId, Lineage: LineageOf(r), Outcome: Failed, Class: class, Err: cause}
	}
	return report
}

// isFIFO tells whether the batch comes from a FIFO queue, whose ARN ends in
// ".fifo". A batch comes from one queue; any record decides.
func isFIFO(records []events.SQSMessage) bool {
	for _, r := range records {
		if strings.HasSuffix(r.EventSourceARN, ".fifo") {
			return true
		}
	}
	return false
}
