// The Lambda side of an SQS event source mapping: the records become the
// core's batch, and the report becomes the partial batch response. A
// record's lineage travels in the message attributes of the copies the
// function sends, so the audit trail, receipts and age metrics follow the
// erasure and not the copy.

package sqsq

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// ErrMissingMessageID is returned when a message to be retried has no
// messageId: only failing the whole batch keeps it from being lost.
var ErrMissingMessageID = errors.New("a failed message has no messageId; failing the whole batch so that none is lost")

// Handler is the Lambda handler of an SQS event source mapping: it turns
// the event into a batch for the core, lets Queue hand on what was not
// erased, and answers with the partial batch response. It is safe for
// concurrent use.
type Handler struct {
	Eraser *eraser.Handler
	// Queue, when set, requeues, dead-letters and delays the messages that
	// were not erased; nil leaves every one of them to SQS's redelivery
	// after the queue's visibility timeout.
	Queue HandOffer
	// Lineage verifies the lineage copies carry; nil, or an audit key that
	// cannot be read, leaves every record with its own lineage (its id,
	// first receive, no requeues): what cannot be proven is ignored, and
	// the message is still processed.
	Lineage *Lineage
}

// HandOffer carries out the core's orders about the records of one event
// (satisfied by *Queue).
type HandOffer interface {
	HandOff(ctx context.Context, records []events.SQSMessage, orders []eraser.Order) []error
}

// batchQueue is a HandOffer bound to the records of one event, as the core
// sees it: an order's Message indexes the records.
type batchQueue struct {
	to      HandOffer
	records []events.SQSMessage
}

func (b batchQueue) HandOff(ctx context.Context, orders []eraser.Order) []error {
	return b.to.HandOff(ctx, b.records, orders)
}

// Handle processes one SQS event and returns the messages SQS must deliver
// again.
func (h *Handler) Handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	var queue eraser.Queue
	if h.Queue != nil {
		queue = batchQueue{to: h.Queue, records: event.Records}
	}
	report, err := h.Eraser.Handle(ctx, h.batchOf(ctx, event.Records), queue)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range report.FailedMessages() {
		if id == "" {
			return resp, ErrMissingMessageID
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp, err
}

// batchOf is the core's view of the records of one event. A lineage that
// does not verify is logged once per message, by id and why, never with
// the values (they may be anyone's).
func (h *Handler) batchOf(ctx context.Context, records []events.SQSMessage) eraser.Batch {
	batch := eraser.Batch{Messages: make([]eraser.Message, len(records)), Ordered: isFIFO(records)}
	key, keyErr := h.Lineage.Key(ctx)
	for i, rec := range records {
		l, err := LineageOf(rec, key)
		if err != nil {
			attrs := []any{slog.String("messageId", rec.MessageId), slog.String("why", err.Error())}
			if keyErr != nil && !errors.Is(keyErr, ErrLineageUnverifiable) {
				attrs = append(attrs, slog.String("keyError", keyErr.Error()))
			}
			h.logger().WarnContext(ctx, "ignoring the message's attr-eraser lineage attributes: using its own id, first receive and no requeues", attrs...)
		}
		batch.Messages[i] = eraser.Message{ID: rec.MessageId, Body: rec.Body, Lineage: l}
	}
	return batch
}

func (h *Handler) logger() *slog.Logger {
	if h.Eraser != nil && h.Eraser.Logger != nil {
		return h.Eraser.Logger
	}
	return discard
}

// isFIFO tells whether the records come from a FIFO queue, whose ARN ends
// in ".fifo". An event comes from one queue; any record decides.
func isFIFO(records []events.SQSMessage) bool {
	for _, r := range records {
		if strings.HasSuffix(r.EventSourceARN, ".fifo") {
			return true
		}
	}
	return false
}
