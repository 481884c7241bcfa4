// The messages the core handles, whatever queue or bus they came from: an
// adapter (package sqsq for SQS) turns its records into a Batch and hands
// on, through a Queue, what the core could not finish.

package eraser

import "time"

// Message is one erasure request as it arrived.
type Message struct {
	// ID names the message to its source; the batch response lists it.
	ID string
	// Body is the message contract's JSON, perhaps in an envelope.
	Body string
	// Lineage is where the erasure began, across requeued copies.
	Lineage Lineage
}

// Batch is the messages of one invocation.
type Batch struct {
	Messages []Message
	// Ordered applies a FIFO source's rule: after the first message that
	// fails, every later one fails too, so none overtakes it.
	Ordered bool
}

// Lineage is the history of one erasure across the copies of its message,
// so the audit trail, receipts and age metrics follow the erasure, not the
// copy.
type Lineage struct {
	// OriginalMessageID is the id of the message as first published.
	OriginalMessageID string
	// FirstReceived is when the original message was first received; zero
	// when the source did not say (hand-built events).
	FirstReceived time.Time
	// Requeues counts the copies made because the function did not reach
	// the message in time.
	Requeues int
	// ReceiveCount is this copy's receive count, at least 1.
	ReceiveCount int
	// LastReceive: the source will not deliver this copy again if it
	// fails (for SQS, ReceiveCount has reached the queue's
	// maxReceiveCount), but move it to its dead-letter queue without a
	// reason. The adapter sets it; false when it cannot tell.
	LastReceive bool
}
