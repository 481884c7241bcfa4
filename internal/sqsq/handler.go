// The Lambda side of an SQS event source mapping: the records become the
// core's batch, and the report becomes the partial batch response. A
// record's lineage travels in the message attributes of the copies the
// function sends, so the audit trail, receipts and age metrics follow the
// erasure and not the copy.

package sqsq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

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
	// Wiring, when set, checks once per container and source queue that
	// the event source mapping reports batch item failures. Where it does
	// not, or that cannot be told, Lambda would delete every message of a
	// batch answered without error, so the handler deletes the ones it
	// acknowledged with Deleter and fails the invocation: only the failed
	// ones come back.
	Wiring *Wiring
	// Deleter deletes acknowledged messages when the partial response
	// cannot be relied on (satisfied by *Queue).
	Deleter Deleter
	// OnUnwired is told of each such invocation (the function counts it in
	// a metric); nil tells no one but the log.
	OnUnwired func(ctx context.Context)
}

// Deleter deletes records from their source queues and says how many it
// deleted (satisfied by *Queue).
type Deleter interface {
	Delete(ctx context.Context, records []events.SQSMessage) (deleted int, err error)
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

// Invoke is the function's entry point (aws-lambda-go's lambda.Handler):
// the raw event decoded by DecodeEvent, handled by Handle, and answered as
// aws-lambda-go answers for a handler function: the partial batch response
// as JSON, or the error alone.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	event, err := DecodeEvent(payload)
	if err != nil {
		return nil, err
	}
	resp, err := h.Handle(ctx, event)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// Handle processes one SQS event and returns the messages SQS must deliver
// again. Every AWS call it makes is bounded by the invocation's budget
// (eraser.Budget): those before processing by the processing cutoff, the
// wiring check and its fallback by the source's step of the end, so that
// the response is returned before the deadline.
func (h *Handler) Handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	start := time.Now()
	budget := h.Eraser.Budget()
	var queue eraser.Queue
	if h.Queue != nil {
		queue = batchQueue{to: h.Queue, records: event.Records}
	}
	// The check runs beside the batch, so that it costs no time of its own;
	// an answer later than the start of the source's step counts as none.
	var wiring chan error
	if h.Wiring != nil && len(event.Records) > 0 {
		wiring = make(chan error, 1)
		wctx, cancel := budget.StepContext(ctx, eraser.StepReport, len(event.Records), 0)
		go func() {
			defer cancel()
			wiring <- h.checkWiring(wctx, event.Records)
		}()
	}
	before, cancel := untilCutoff(ctx, budget, start, len(event.Records))
	batch := h.batchOf(before, event.Records)
	h.markLastReceives(before, event.Records, batch)
	cancel()
	report, err := h.Eraser.Handle(ctx, batch, queue)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	failed := map[string]bool{}
	for _, id := range report.FailedMessages() {
		if id == "" {
			return resp, ErrMissingMessageID
		}
		failed[id] = true
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	sctx, cancel := budget.StepContext(ctx, eraser.StepSource, len(report.Messages), report.Accounts)
	defer cancel()
	if wiring != nil {
		if werr := awaitWiring(ctx, budget, wiring, len(report.Messages), report.Accounts); werr != nil {
			return resp, h.unwired(sctx, event.Records, failed, werr, err)
		}
	}
	if err != nil {
		h.deleteHandedOn(sctx, event.Records, failed)
	}
	return resp, err
}

// deleteHandedOn deletes the records of an invocation that ends in an
// error whose copies the function handed on (a systemic batch's messages
// dead-lettered on their last receive): Lambda deletes nothing then, and
// SQS's redrive would move each to the DLQ a second time, without its
// reason, once its visibility timeout ran out. One it cannot delete still
// comes back, and is logged.
func (h *Handler) deleteHandedOn(ctx context.Context, records []events.SQSMessage, failed map[string]bool) {
	var handedOn []events.SQSMessage
	for _, r := range records {
		if !failed[r.MessageId] {
			handedOn = append(handedOn, r)
		}
	}
	if len(handedOn) == 0 || h.Deleter == nil {
		return
	}
	deleted, err := h.Deleter.Delete(ctx, handedOn)
	if err != nil {
		h.logger().WarnContext(ctx, "the invocation ends in an error and messages whose copies were handed on could not all be deleted: SQS's redrive may copy them to the DLQ again, without a reason",
			slog.Int("handedOn", len(handedOn)), slog.Int("deleted", deleted), slog.String("error", err.Error()))
	}
}

// ErrWiringUnanswered is the wiring check's verdict when it did not answer
// before the end of the invocation needed it.
var ErrWiringUnanswered = errors.New("the wiring check did not answer in time")

// awaitWiring waits for the wiring check until the source's step begins.
func awaitWiring(ctx context.Context, budget eraser.Budget, wiring <-chan error, messages, accounts int) error {
	wctx, cancel := budget.StepContext(ctx, eraser.StepReport, messages, accounts)
	defer cancel()
	select {
	case err := <-wiring:
		return err
	case <-wctx.Done():
		return ErrWiringUnanswered
	}
}

// untilCutoff returns ctx ending at the processing cutoff of an event of
// messages: what runs before processing may not take the end's time.
func untilCutoff(ctx context.Context, budget eraser.Budget, start time.Time, messages int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, budget.Cutoff(deadline, start, messages, 0))
}

// checkWiring checks the mapping of every source queue of the records
// (an event has one) to the invoked function.
func (h *Handler) checkWiring(ctx context.Context, records []events.SQSMessage) error {
	var functionARN string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		functionARN = lc.InvokedFunctionArn
	}
	var errs []error
	checked := map[string]bool{}
	for _, r := range records {
		if checked[r.EventSourceARN] {
			continue
		}
		checked[r.EventSourceARN] = true
		if err := h.Wiring.Check(ctx, r.EventSourceARN, functionARN); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.EventSourceARN, err))
		}
	}
	return errors.Join(errs...)
}

// unwired acknowledges by itself what the partial response would have:
// it deletes the records not failed, then fails the invocation so that
// Lambda returns only what is left. A record it cannot delete comes back
// too, and is handled again (erasure is idempotent; a copy or receipt of
// it may then be sent twice, which the ERROR line counts).
func (h *Handler) unwired(ctx context.Context, records []events.SQSMessage, failed map[string]bool, wiringErr, handleErr error) error {
	var acknowledged []events.SQSMessage
	for _, r := range records {
		if !failed[r.MessageId] {
			acknowledged = append(acknowledged, r)
		}
	}
	deleted, deleteErr := 0, error(ErrNotConfigured)
	if h.Deleter != nil && len(acknowledged) > 0 {
		deleted, deleteErr = h.Deleter.Delete(ctx, acknowledged)
	} else if len(acknowledged) == 0 {
		deleteErr = nil
	}
	attrs := []any{slog.String("wiring", wiringErr.Error()), slog.Int("acknowledged", len(acknowledged)),
		slog.Int("deleted", deleted), slog.Int("failed", len(failed))}
	if deleteErr != nil {
		attrs = append(attrs, slog.String("deleteError", deleteErr.Error()))
	}
	h.logger().ErrorContext(ctx, "the partial batch response cannot be relied on (the event source mapping needs FunctionResponseTypes ReportBatchItemFailures): the function deleted the messages it acknowledged and fails the invocation, so that only the failed ones come back", attrs...)
	if h.OnUnwired != nil {
		h.OnUnwired(ctx)
	}
	return errors.Join(fmt.Errorf("%w: %w", ErrUnwired, wiringErr), handleErr)
}

// ErrUnwired fails an invocation whose partial response Lambda might
// ignore.
var ErrUnwired = errors.New("failing the invocation: the partial batch response cannot be relied on")

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
