package eraser

import (
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Outcome is what happened to one message.
type Outcome string

// The outcomes of a message.
const (
	// Erased: every account of the message had its attributes removed.
	Erased Outcome = "erased"
	// Failed: the message was valid but not every account was done; SQS
	// delivers it again.
	Failed Outcome = "failed"
	// Invalid: the message cannot be parsed or validated. With a Queue it
	// is dead-lettered at once; without one SQS delivers it again until the
	// redrive policy moves it.
	Invalid Outcome = "invalid"
)

// HandOff is what SQS was asked to do with a message that was not erased.
type HandOff string

// The hand-offs of a message (Handler with a Queue only).
const (
	// Requeued: a copy went back to the source queue because no call for
	// the message started in time; the original is acknowledged.
	Requeued HandOff = "requeued"
	// DeadLettered: a copy is in the dead-letter queue with its reason,
	// because the message can never succeed; the original is acknowledged.
	DeadLettered HandOff = "dead_lettered"
	// Delayed: the message failed and comes back after RetryAfter.
	Delayed HandOff = "delayed"
)

// MessageResult is the outcome of one message of a batch.
type MessageResult struct {
	MessageID string
	// Request is the parsed message; its zero value for an invalid one.
	Request erasure.Request
	Outcome Outcome
	// Class is why the message was not erased; empty when Erased.
	Class erasure.Class
	// Err explains a failure; it never holds an account ID or a secret.
	Err error
	// Absent counts the message's accounts Tencent reported do not exist
	// (70107): nothing to erase, so they count as erased.
	Absent int
	// Done names the parts (PartAttrs, PartTags) finished for every
	// account of a valid message; all of Report.Parts when Erased.
	Done []string
	// Unreached: it failed only because no call for any of its accounts
	// started before the cutoff; the message itself is not at fault.
	Unreached bool
	// Lineage is where the erasure began, across requeued copies.
	Lineage Lineage
	// HandOff is what SQS was asked to do with it; empty when nothing was
	// (erased, no Queue, or the request to SQS failed: see HandOffErr).
	HandOff HandOff
	// RetryAfter is the visibility set on a Delayed message.
	RetryAfter time.Duration
	// HandOffErr is why SQS could not take the message on; it then fails.
	HandOffErr error
	// ReceiptErr is why its receipt could not be put; it then fails.
	ReceiptErr error
}

// Acknowledged tells whether SQS may delete the message: erased, or
// durably handed on as a copy.
func (m *MessageResult) Acknowledged() bool {
	return m.ReceiptErr == nil && (m.Outcome == Erased || m.HandOff == Requeued || m.HandOff == DeadLettered)
}

// Report is everything one batch did.
type Report struct {
	Messages []MessageResult
	// Accounts counts distinct accounts of the valid messages.
	Accounts int
	// AccountsErased counts distinct accounts whose attributes were removed,
	// AccountsAbsent included.
	AccountsErased int
	// AccountsAbsent counts distinct accounts Tencent reported do not exist.
	AccountsAbsent int
	// PlannedCalls is the number of calls the plan started with; splits
	// and retries add to Calls.
	PlannedCalls int
	// Calls counts every im_remove_attr request sent, retries included.
	Calls int
	// Retries counts the requests that repeated an earlier one.
	Retries int
	// RateLimited counts answers with a Tencent rate-limit code.
	RateLimited int
	// Splits counts calls cut in halves after a content error.
	Splits   int
	Duration time.Duration
	// Parts names what an erased message had removed: "attrs", and "tags"
	// when tags are erased too.
	Parts  []string
	DryRun bool
	// Systemic is set when every message failed for a reason that fails all
	// messages alike (key, signature, configuration): Lambda should back off.
	Systemic bool
}

// Pending tells whether the message's erasure is still to be done: not
// erased, and not given up on (dead-lettered).
func (m *MessageResult) Pending() bool {
	return m.Outcome != Erased && m.HandOff != DeadLettered
}

// FailedMessages returns the IDs of the messages SQS must deliver again,
// in batch order.
func (r *Report) FailedMessages() []string {
	var ids []string
	for _, m := range r.Messages {
		if !m.Acknowledged() {
			ids = append(ids, m.MessageID)
		}
	}
	return ids
}

// FailuresByClass counts the failed messages of each class. A requeued
// message did not fail: the invocation only did not reach it.
func (r *Report) FailuresByClass() map[string]int {
	counts := map[string]int{}
	for _, m := range r.Messages {
		if m.Outcome != Erased && m.HandOff != Requeued {
			counts[string(m.Class)]++
		}
	}
	return counts
}
