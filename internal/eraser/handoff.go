// Hand-off: what SQS does with the messages that were not erased, so that a
// receive means a real failure. A message never reached is requeued as a
// new copy, one that can never succeed is dead-lettered with its reason, and
// every other failure comes back after an exponentially growing delay.

package eraser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Queue carries out SQS orders for the records of one batch (satisfied by
// *sqsq.Queue). HandOff returns one error per order, nil when SQS took it.
type Queue interface {
	HandOff(ctx context.Context, orders []Order) []error
}

// Action is what an Order asks of SQS.
type Action int

// The actions of an Order.
const (
	// Requeue sends a copy of the record, with its lineage, to the queue
	// it came from.
	Requeue Action = iota + 1
	// DeadLetter sends a copy, with its lineage, class and reason, to the
	// dead-letter queue.
	DeadLetter
	// Delay sets the record's visibility timeout to Delay.
	Delay
)

// Order is one request to SQS about one record of the batch.
type Order struct {
	Record events.SQSMessage
	Action Action
	// Lineage goes into the copy's attributes (Requeue, DeadLetter).
	Lineage Lineage
	// Class and Reason say why a dead-lettered message can never succeed.
	Class  erasure.Class
	Reason string
	// Delay is the visibility timeout to set (Delay).
	Delay time.Duration
}

// Defaults of a zero Backoff, and the bound on requeues.
const (
	DefaultRetryBase = 30 * time.Second
	DefaultRetryMax  = time.Hour
	// MaxVisibility is SQS's longest visibility timeout.
	MaxVisibility = 12 * time.Hour
	// MaxRequeues bounds the copies of one erasure: past it an unreached
	// message is delayed like a failed one, so a batch size that can never
	// fit an invocation ends in the DLQ instead of circling forever.
	MaxRequeues = 20
)

// Backoff is the visibility schedule of failed messages: the n-th receive
// of a message that fails sets its visibility to min(Base*2^(n-1), Max).
type Backoff struct {
	Base, Max time.Duration
}

// Delay returns the visibility timeout after the receiveCount-th receive.
func (b Backoff) Delay(receiveCount int) time.Duration {
	base, ceiling := b.Base, b.Max
	if base <= 0 {
		base = DefaultRetryBase
	}
	if ceiling <= 0 {
		ceiling = DefaultRetryMax
	}
	ceiling = min(ceiling, MaxVisibility)
	d := base
	for n := 1; n < receiveCount && d < ceiling; n++ {
		d *= 2
	}
	return min(d, ceiling)
}

// handOff sends SQS the orders for every message not erased and records
// the outcome in report. Requeues and dead letters go first: a message SQS
// did not take is then delayed like any other failure, and still fails.
func (h *Handler) handOff(ctx context.Context, records []events.SQSMessage, report *Report) {
	fifo := isFIFO(records)
	var first []Order
	var firstIdx []int
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Outcome == Erased || report.Systemic || m.ReceiptErr != nil {
			continue // a systemic batch is only delayed, all of it
		}
		switch {
		case neverSucceeds(m):
			first = append(first, Order{Record: records[i], Action: DeadLetter, Lineage: m.Lineage, Class: m.Class, Reason: reason(m.Err)})
		case m.Unreached && !fifo && m.Lineage.Requeues < MaxRequeues:
			l := m.Lineage
			l.Requeues++
			first = append(first, Order{Record: records[i], Action: Requeue, Lineage: l})
		default:
			continue
		}
		firstIdx = append(firstIdx, i)
	}
	for j, err := range h.run(ctx, first) {
		m := &report.Messages[firstIdx[j]]
		if err != nil {
			m.HandOffErr = err
			continue
		}
		if first[j].Action == Requeue {
			m.HandOff = Requeued
		} else {
			m.HandOff = DeadLettered
		}
	}

	var delays []Order
	var delayIdx []int
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Acknowledged() || (!report.Systemic && !atFault(m)) {
			continue
		}
		delays = append(delays, Order{Record: records[i], Action: Delay, Delay: h.Backoff.Delay(m.Lineage.ReceiveCount)})
		delayIdx = append(delayIdx, i)
	}
	for j, err := range h.run(ctx, delays) {
		m := &report.Messages[delayIdx[j]]
		if err != nil {
			m.HandOffErr = errors.Join(m.HandOffErr, err)
			continue
		}
		m.HandOff, m.RetryAfter = Delayed, delays[j].Delay
	}
}

// atFault tells whether a failed message earned its backoff. One that was
// not reached (and may still be requeued), or held back by the FIFO rule,
// comes back after the queue's own visibility timeout instead.
func atFault(m *MessageResult) bool {
	if m.Class == erasure.FIFOBlocked {
		return false
	}
	return !m.Unreached || m.Lineage.Requeues >= MaxRequeues
}

// run hands orders to the Queue. A panic in it fails every order: SQS may
// not have taken them, so their messages must come back.
func (h *Handler) run(ctx context.Context, orders []Order) (errs []error) {
	if len(orders) == 0 {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			errs = repeat(Recovered(ctx, h.logger(), "handing messages to SQS", v), len(orders))
		}
	}()
	errs = h.Queue.HandOff(ctx, orders)
	if len(errs) != len(orders) {
		errs = repeat(fmt.Errorf("internal error: the queue answered %d of %d orders", len(errs), len(orders)), len(orders))
	}
	return errs
}

// reason is the text of err for a dead letter's attributes: SQS limits an
// attribute to 256 KB, and a reason needs far less.
func reason(err error) string {
	if err == nil {
		return ""
	}
	const limit = 1024
	s := err.Error()
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}
