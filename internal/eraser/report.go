package eraser

import (
	"errors"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Outcome is what processing made of one message.
type Outcome string

// The outcomes of a message.
const (
	// Erased: every part (attributes, and tags when they are erased too)
	// was removed for every account of the message.
	Erased Outcome = "erased"
	// Failed: the message was valid but not every account was done; it
	// comes back.
	Failed Outcome = "failed"
	// Invalid: the message cannot be parsed or validated. With a Queue it
	// is dead-lettered at once; without one it comes back until the
	// source's redrive policy moves it.
	Invalid Outcome = "invalid"
)

// HandOff is what the Queue took on for a message that was not erased.
type HandOff string

// The hand-offs of a message (with a Queue only).
const (
	// Requeued: a copy went back to the source queue because no call for
	// the message started in time; the original is acknowledged.
	Requeued HandOff = "requeued"
	// DeadLettered: a copy is in the dead-letter queue with its reason,
	// because the message can never succeed or failed on its last
	// receive; the original is acknowledged.
	DeadLettered HandOff = "dead_lettered"
	// Delayed: the message failed and comes back after RetryAfter.
	Delayed HandOff = "delayed"
)

// MessageResult is the record of one message of a batch: what each step
// did to it. Read what became of it with Status, never from these fields
// one by one.
type MessageResult struct {
	MessageID string
	// Request is the parsed message; its zero value for an invalid one.
	Request erasure.Request
	// Outcome, Class and Err are processing's verdict; Class and Err say
	// why it is not Erased. Err never holds an account ID or a secret.
	Outcome Outcome
	Class   erasure.Class
	Err     error
	// Absent counts the message's accounts Tencent reported do not exist
	// (70107): nothing to erase, so they count as erased.
	Absent int
	// Verified counts the message's accounts read back clean in every
	// part (Report.Verification is VerificationReadBack).
	Verified int
	// Done names the parts (PartAttrs, PartTags) finished for every
	// account of a valid message; all of Report.Parts when Erased.
	Done []string
	// Unreached: it failed only because no call for any of its accounts
	// started before the cutoff; the message itself is not at fault.
	Unreached bool
	// Lineage is where the erasure began, across requeued copies.
	Lineage Lineage
	// Receipt is the receipt due for the message, "" for none.
	Receipt ReceiptKind
	// ReceiptErr is why its receipt could not be put.
	ReceiptErr error
	// HandOff is what the Queue took on; empty when nothing was asked of
	// it, or it refused (HandOffErr).
	HandOff HandOff
	// RetryAfter is the delay the Queue set: on a Delayed message, or on a
	// DeadLettered one kept for its rejection receipt.
	RetryAfter time.Duration
	// HandOffErr is why the Queue could not take the message on.
	HandOffErr error
}

// Report is everything one batch did.
type Report struct {
	Messages []MessageResult
	// Accounts counts the distinct accounts of the batch's valid messages,
	// however far each got (planned, or failed before any call, say because
	// the attribute names could not be read); not those of invalid
	// messages, nor of messages left unread (handed on for capacity, or
	// blocked behind a FIFO failure before they were parsed for sending).
	Accounts int
	// AccountsErased counts distinct accounts every part was removed for,
	// AccountsAbsent included.
	AccountsErased int
	// AccountsAbsent counts distinct accounts Tencent reported do not exist.
	AccountsAbsent int
	// Verification is VerificationReadBack when every account counted
	// erased was read back clean, else VerificationOff.
	Verification string
	// AccountsVerified counts distinct accounts read back clean in every
	// part (with VerificationReadBack, AccountsErased).
	AccountsVerified int
	// AccountsUnverified counts distinct accounts that failed with class
	// unverified.
	AccountsUnverified int
	// PlannedCalls is the number of removal calls the plan started with,
	// over every part; splits and retries add to Calls.
	PlannedCalls int
	// Calls counts every request sent to Tencent, whatever its API
	// (removing attributes, clearing tags, reading attribute names,
	// reading accounts back), retries included.
	Calls int
	// Retries counts the requests of Calls that repeated an earlier one,
	// so it never exceeds Calls.
	Retries int
	// RateLimited counts requests of Calls answered with a Tencent
	// rate-limit code.
	RateLimited int
	// Splits counts calls cut in halves after a content error.
	Splits   int
	Duration time.Duration
	// Parts names what an erased message had removed: "attrs", and "tags"
	// when tags are erased too.
	Parts  []string
	DryRun bool
	// Systemic is set when every message failed for a reason that fails all
	// messages alike (key, signature, configuration): the source should back
	// off.
	Systemic bool
}

// What became of a message is derived, in Status, from every step that
// touched it. The batch response, the audit line, the metrics, the
// receipts and the hand-off all read it, so a step that failed can never
// count as done in one of them and as failed in another.

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
	// erased or a copy of it was handed on (and a rejection's receipt put).
	Acknowledged bool
	// Pending: it is neither erased nor given up on (dead-lettered and
	// acknowledged): it comes back, or its copy was requeued.
	Pending bool
	// Delayed: it comes back after RetryAfter.
	Delayed    bool
	RetryAfter time.Duration
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
	s.Pending = s.Outcome != Erased && !(m.HandOff == DeadLettered && s.Acknowledged)
	s.Delayed, s.RetryAfter = m.HandOff == Delayed || m.RetryAfter > 0, m.RetryAfter
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
		}
		if s.Delayed {
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
