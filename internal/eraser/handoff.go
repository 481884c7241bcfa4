// Hand-off: what the queue does with the messages that were not erased, so
// that a receive means a real failure. A message never reached is requeued as a
// new copy, one that can never succeed is dead-lettered with its reason, and
// every other failure comes back after an exponentially growing delay, until
// its last receive (Lineage.LastReceive): then it is dead-lettered with its
// last class and reason, so that no message reaches the DLQ without saying
// why (the source's own redrive would move it there with none).

package eraser

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Queue carries out hand-off orders for the messages of one batch
// (satisfied by the batch's binding in package sqsq). HandOff returns one
// error per order, nil when the queue took it.
type Queue interface {
	HandOff(ctx context.Context, orders []Order) []error
}

// Action is what an Order asks of the queue.
type Action int

// The actions of an Order.
const (
	// Requeue sends a copy of the message, with its lineage, to the queue
	// it came from.
	Requeue Action = iota + 1
	// DeadLetter sends a copy, with its lineage, class and reason, to the
	// dead-letter queue: the message can never succeed, or failed on its
	// last receive.
	DeadLetter
	// Delay makes the message come back after Delay.
	Delay
)

// Order is one request to the queue about one message of the batch.
type Order struct {
	// Message is the message's index in the batch.
	Message int
	Action  Action
	// Lineage goes into the copy (Requeue, DeadLetter).
	Lineage Lineage
	// Class and Reason say why a message is dead-lettered: why it can
	// never succeed, or why its last receive failed.
	Class  erasure.Class
	Reason string
	// Delay is how long the message stays away (Delay).
	Delay time.Duration
}

// MaxRequeues bounds the copies of one erasure: past it an unreached
// message is delayed like a failed one, so a batch size that can never fit
// an invocation ends in the DLQ instead of circling forever.
const MaxRequeues = 20

// handOn sends the queue the copies of the messages not erased that can
// be handed on durably: a dead letter for one that can never succeed or
// failed on its last receive, a requeue for one the invocation did not
// reach, and records the outcome in report. A message the queue did not
// take is delayed afterwards like any other failure, and still fails.
func (h *Handler) handOn(ctx context.Context, queue Queue, ordered bool, report *Report) {
	var orders []Order
	for i := range report.Messages {
		m := &report.Messages[i]
		s := m.Status()
		// A message whose receipt was not put must come back for it, not
		// as a copy.
		if s.Outcome == Erased || m.ReceiptErr != nil {
			continue
		}
		deadLetter := Order{Message: i, Action: DeadLetter, Lineage: m.Lineage, Class: s.Class, Reason: reason(s.Err)}
		switch {
		// A systemic batch is only delayed, all of it, but for the end of
		// the schedule. (Its invocation ends in an error, so the source
		// keeps that message too: its adapter deletes it, else SQS's
		// redrive would make a second copy, with no reason.)
		case report.Systemic && !m.Lineage.LastReceive:
		case neverSucceeds(s):
			orders = append(orders, deadLetter)
		// A requeued copy starts its own count, so even on its last
		// receive an unreached message goes back rather than to the DLQ.
		case m.Unreached && !ordered && m.Lineage.Requeues < MaxRequeues && !report.Systemic:
			l := m.Lineage
			l.Requeues++
			orders = append(orders, Order{Message: i, Action: Requeue, Lineage: l})
		case m.Lineage.LastReceive:
			orders = append(orders, deadLetter)
		}
	}
	for j, err := range h.run(ctx, queue, orders) {
		m := &report.Messages[orders[j].Message]
		switch {
		case err != nil:
			m.HandOffErr = err
		case orders[j].Action == Requeue:
			m.HandOff = Requeued
		default:
			m.HandOff = DeadLettered
		}
	}
}

// delay makes every message that was not acknowledged come back after the
// schedule's delay for its receive count, whatever kept it: its own
// failure, a refused copy, an unput receipt, the FIFO rule, a systemic
// batch or a dry run. Without a delay it would come back after the queue's
// visibility timeout, every receive counting towards the DLQ, and reach it
// well within a day.
func (h *Handler) delay(ctx context.Context, queue Queue, report *Report) {
	var orders []Order
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Status().Acknowledged {
			continue
		}
		orders = append(orders, Order{Message: i, Action: Delay, Delay: h.Backoff.Delay(m.Lineage.ReceiveCount)})
	}
	for j, err := range h.run(ctx, queue, orders) {
		m := &report.Messages[orders[j].Message]
		if err != nil {
			m.HandOffErr = errors.Join(m.HandOffErr, err)
			continue
		}
		// A dead-lettered message kept for its rejection receipt stays
		// dead-lettered: its copy is in the DLQ.
		if m.HandOff == "" {
			m.HandOff = Delayed
		}
		m.RetryAfter = orders[j].Delay
	}
}

// run hands orders to queue. A panic in it fails every order: the queue
// may not have taken them, so their messages must come back.
func (h *Handler) run(ctx context.Context, queue Queue, orders []Order) (errs []error) {
	if len(orders) == 0 {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			errs = repeat(recovered(ctx, h.logger(), "handing messages to the queue", v), len(orders))
		}
	}()
	errs = queue.HandOff(ctx, orders)
	if len(errs) != len(orders) {
		errs = repeat(fmt.Errorf("internal error: the queue answered %d of %d orders", len(errs), len(orders)), len(orders))
	}
	return errs
}

// reason is the text of err for a dead letter's attributes: bounded, since
// it shares the copy's 1 MiB with the body, and a reason needs far less.
func reason(err error) string {
	if err == nil {
		return ""
	}
	return erasure.Truncate(err.Error(), maxReasonBytes)
}

// maxReasonBytes bounds the reason a dead letter carries.
const maxReasonBytes = 1024
