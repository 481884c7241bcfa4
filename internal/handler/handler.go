// Package handler is the Lambda-facing side of the function: it takes an SQS
// event, lets the eraser process it, reports what happened, and answers with
// the partial batch response.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// Processor handles the records of one batch (satisfied by
// *eraser.Processor).
type Processor interface {
	Process(ctx context.Context, records []events.SQSMessage, fifo bool) *eraser.Report
}

// Observer is told the outcome of every batch: audit lines, metrics.
type Observer interface {
	Observe(ctx context.Context, report *eraser.Report)
}

// ErrSystemic is returned when every message of a batch failed for the same
// systemic reason, so that Lambda backs off its poller instead of spinning.
var ErrSystemic = errors.New("every message failed for a systemic reason (signing key, signature or configuration); see the log")

// ErrMissingMessageID is returned when a message to be retried has no
// messageId: only failing the whole batch keeps it from being lost.
var ErrMissingMessageID = errors.New("a failed message has no messageId; failing the whole batch so that none is lost")

// Handler handles SQS events. It is safe for concurrent use.
type Handler struct {
	Processor Processor
	Observers []Observer
	Logger    *slog.Logger
	// ConfigErr, when set, is the reason the function cannot run: every
	// message fails and the invocation returns an error.
	ConfigErr error
}

// Handle processes one SQS event and returns the messages SQS must deliver
// again.
func (h *Handler) Handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	var report *eraser.Report
	if h.ConfigErr != nil {
		report = unconfigured(event.Records, h.ConfigErr)
	} else {
		report = h.Processor.Process(ctx, event.Records, isFIFO(event.Records))
	}
	for _, o := range h.Observers {
		o.Observe(ctx, report)
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

// unconfigured reports every message failed because the function cannot
// run, so the audit trail and metrics still account for each of them.
func unconfigured(records []events.SQSMessage, cause error) *eraser.Report {
	report := &eraser.Report{Messages: make([]eraser.MessageResult, len(records)), Systemic: true}
	for i, r := range records {
		report.Messages[i] = eraser.MessageResult{MessageID: r.MessageId, Outcome: eraser.Failed, Class: tim.Configuration.String(), Err: cause}
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
