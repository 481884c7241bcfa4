package sqsq

import (
	"context"
	"errors"

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
	report, err := h.Eraser.Handle(ctx, batchOf(event.Records), queue)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range report.FailedMessages() {
		if id == "" {
			return resp, ErrMissingMessageID
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp, err
}
