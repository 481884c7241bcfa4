// Status: the one answer to "what became of this message", derived from
// every step that touched it. The batch response, the audit line, the
// metrics, the receipts and the hand-off all read it, so a step that failed
// can never count as done in one of them and as failed in another.

package eraser

import (
	"errors"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Status is what became of one message.
type Status struct {
	// Outcome is Erased only when every part is done and the receipt due,
	// if any, was put.
	Outcome Outcome
	// Class and Err say why it is not Erased: processing's failure, else
	// the receipt's (class receipt).
	Class erasure.Class
	Err   error
	// HandOff is what the Queue took on.
	HandOff HandOff
	// Acknowledged: the source may delete the message, because it is
	// erased or a copy of it was handed on.
	Acknowledged bool
	// Pending: its erasure is still to be done, neither erased nor given
	// up on (dead-lettered).
	Pending bool
}

// Status derives what became of m.
func (m *MessageResult) Status() Status {
	s := Status{Outcome: m.Outcome, Class: m.Class, Err: m.Err, HandOff: m.HandOff}
	if m.ReceiptErr != nil {
		// An unput receipt leaves the message to come back for it: upstream
		// must learn the outcome before the message may go.
		if s.Outcome == Erased {
			s.Outcome, s.Class = Failed, erasure.Receipt
		}
		s.Err = errors.Join(s.Err, m.ReceiptErr)
	}
	handedOn := m.HandOff == Requeued || m.HandOff == DeadLettered
	s.Acknowledged = m.ReceiptErr == nil && (s.Outcome == Erased || handedOn)
	s.Pending = s.Outcome != Erased && m.HandOff != DeadLettered
	return s
}

// Failed tells whether the message counts as a failure of its class: it is
// not erased and was not only requeued (the invocation did not reach it,
// which is no failure of the message).
func (s Status) Failed() bool {
	return s.Outcome != Erased && s.HandOff != Requeued
}

// Tally counts the messages of a report by what became of them.
type Tally struct {
	Erased, Failed, Invalid         int
	Requeued, DeadLettered, Delayed int
	// FailedByClass counts the messages that failed (Status.Failed), by
	// class.
	FailedByClass map[erasure.Class]int
}

// Tally counts r's messages.
func (r *Report) Tally() Tally {
	t := Tally{FailedByClass: map[erasure.Class]int{}}
	for i := range r.Messages {
		s := r.Messages[i].Status()
		switch s.Outcome {
		case Erased:
			t.Erased++
		case Invalid:
			t.Invalid++
		default:
			t.Failed++
		}
		switch s.HandOff {
		case Requeued:
			t.Requeued++
		case DeadLettered:
			t.DeadLettered++
		case Delayed:
			t.Delayed++
		}
		if s.Failed() {
			t.FailedByClass[s.Class]++
		}
	}
	return t
}

// FailedMessages returns the IDs of the messages the source must deliver
// again, in batch order.
func (r *Report) FailedMessages() []string {
	var ids []string
	for i := range r.Messages {
		if !r.Messages[i].Status().Acknowledged {
			ids = append(ids, r.Messages[i].MessageID)
		}
	}
	return ids
}
