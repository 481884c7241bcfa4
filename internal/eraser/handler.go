// The pipeline of one batch: process it, put the receipts of erased
// messages, hand on what was not erased, put the receipts of what was
// dead-lettered, delay every other failure, then report. A source's
// adapter (package sqsq for SQS) calls Handle and answers its source from
// the Report.

package eraser

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// BatchProcessor handles the messages of one batch (satisfied by
// *Processor).
type BatchProcessor interface {
	Process(ctx context.Context, batch Batch) *Report
}

// Observer is told the outcome of every batch: audit lines, metrics.
type Observer interface {
	Observe(ctx context.Context, report *Report)
}

// ErrSystemic is returned when every message of a batch failed for the same
// systemic reason, so that the source backs off instead of spinning.
var ErrSystemic = errors.New("every message failed for a systemic reason (signing key, signature or configuration); see the log")

// Handler runs batches through the pipeline. It is safe for concurrent use.
type Handler struct {
	Processor BatchProcessor
	// Backoff is the delay schedule of failed messages, with a Queue.
	Backoff erasure.Schedule
	// Receipts, when set, puts a receipt for every finished message: an
	// erased one before it is acknowledged, a rejected or failed one after
	// its dead letter.
	Receipts  Receipts
	Observers []Observer
	Logger    *slog.Logger
	// ConfigErr, when set, is the reason the function cannot run: every
	// message fails and Handle returns an error.
	ConfigErr error
	// TimeBudget divides the invocation's time (see Budget); its zero
	// value means the Processor's.
	TimeBudget Budget
}

// Handle runs one batch. queue hands on the messages that were not erased
// (see handOff); nil leaves every one of them to the source's redelivery.
// The error is set when the source should back off: the function is not
// configured, or the failure was systemic.
func (h *Handler) Handle(ctx context.Context, batch Batch, queue Queue) (*Report, error) {
	var report *Report
	if h.ConfigErr != nil {
		report = failAll(batch.Messages, erasure.Configuration, h.ConfigErr)
		report.Systemic = true
	} else {
		report = h.process(ctx, batch)
	}
	// The order is the promise: a Completed receipt before the message may
	// be acknowledged, a Rejected or Failed one only once its copy is in
	// the DLQ, and the delays last, so that whatever failed before comes
	// back on the schedule. A dry run judges nothing and hands nothing on;
	// it only delays, so that its receives do not carry messages to the
	// DLQ. Each step runs within its share of the time left (Budget), so
	// the response is returned before the deadline whatever AWS does.
	end := h.Budget()
	step := func(s Step) (context.Context, context.CancelFunc) {
		return end.StepContext(ctx, s, len(report.Messages), report.Accounts)
	}
	if !report.DryRun {
		sctx, cancel := step(StepReceipts)
		h.putReceipts(sctx, report, completedReceipt)
		cancel()
		if queue != nil {
			sctx, cancel := step(StepHandOff)
			h.handOn(sctx, queue, batch.Ordered, report)
			cancel()
		}
		sctx, cancel = step(StepDeadLetterReceipts)
		h.putReceipts(sctx, report, deadLetterReceipt)
		cancel()
	}
	if queue != nil {
		sctx, cancel := step(StepDelay)
		h.delay(sctx, queue, report)
		cancel()
	}
	sctx, cancel := step(StepReport)
	ok := h.observe(sctx, report)
	cancel()
	if !ok {
		// An audit line may be missing: delivered again, each message is
		// audited again (erasure is idempotent), so the evidence is whole.
		failUnlessHandedOn(report, erasure.Internal, errObserverPanicked)
	}
	switch {
	case h.ConfigErr != nil:
		return report, fmt.Errorf("function is not configured: %w", h.ConfigErr)
	case report.Systemic:
		return report, ErrSystemic
	}
	return report, nil
}

// process runs the processor. The processor recovers its own panics where
// it can tell which messages they touched; one that escapes it fails the
// whole batch, class internal, and the process keeps serving.
func (h *Handler) process(ctx context.Context, batch Batch) (report *Report) {
	defer func() {
		if v := recover(); v != nil {
			report = failAll(batch.Messages, erasure.Internal, recovered(ctx, h.logger(), "processing a batch", v))
		}
	}()
	return h.Processor.Process(ctx, batch)
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
					recovered(ctx, h.logger(), fmt.Sprintf("reporting to %T", o), v)
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

// failUnlessHandedOn fails, with class for cause, every message of report
// whose copy the queue has not taken (requeued or dead-lettered). Those it
// took stay as they are: failing them again would make a second copy of
// the same erasure on every receive.
func failUnlessHandedOn(report *Report, class erasure.Class, cause error) {
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.HandOff == Requeued || m.HandOff == DeadLettered {
			continue
		}
		m.Outcome, m.Class, m.Err = Failed, class, cause
	}
}

// failAll reports every message failed with class for cause, so the audit
// trail and metrics still account for each of them.
func failAll(messages []Message, class erasure.Class, cause error) *Report {
	report := &Report{Messages: make([]MessageResult, len(messages))}
	for i, msg := range messages {
		report.Messages[i] = MessageResult{MessageID: msg.ID, Lineage: msg.Lineage, Outcome: Failed, Class: class, Err: cause}
	}
	return report
}
