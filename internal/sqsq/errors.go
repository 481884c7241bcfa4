package sqsq

import (
	"errors"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// Operations named in Error.Op: an SQS operation, or OpHandOff for an order
// refused before any call was due.
const (
	OpHandOff                      = "HandOff"
	OpGetQueueURL                  = "GetQueueUrl"
	OpSendMessageBatch             = "SendMessageBatch"
	OpChangeMessageVisibilityBatch = "ChangeMessageVisibilityBatch"
	OpDeleteMessageBatch           = "DeleteMessageBatch"
)

// Failures found before any call; an Error wraps them.
var (
	// ErrNotConfigured means the Queue has no API client.
	ErrNotConfigured = errors.New("queue has no SQS client")
	// ErrMalformedARN means the record's event source is not an SQS queue
	// ARN, so the queue to requeue to or delay on is unknown.
	ErrMalformedARN = errors.New("event source ARN is not an SQS queue ARN")
	// ErrNoDeadLetterQueue means a dead letter was ordered but the Queue
	// has no DeadLetterURL.
	ErrNoDeadLetterQueue = errors.New("no dead-letter queue URL configured")
	// ErrTooLarge means the copy would exceed SQS's message size limit
	// (1 MiB) even without the record's own attributes: its body and
	// lineage alone are too large.
	ErrTooLarge = errors.New("message too large")
	// ErrNoSuchMessage means an order's Message indexes no record of the
	// batch.
	ErrNoSuchMessage = errors.New("order names no message of the batch")
	// ErrUnknownAction means the order's Action is none of eraser's.
	ErrUnknownAction = errors.New("unknown order action")
	// ErrNotAnswered means SQS listed the entry as neither successful nor
	// failed; it is not assumed to have been taken.
	ErrNotAnswered = errors.New("SQS did not answer for the entry")
	// ErrNotDeleted means SQS failed some entries of a DeleteMessageBatch.
	ErrNotDeleted = errors.New("SQS did not delete every message")
)

// Error is the failure of one order. Op is the SQS operation that failed or
// would have been called; Code is the AWS error code of the call or of the
// batch entry ("" when SQS was not called). Callers reach the cause (an SDK
// error, or one of the Err* values) with errors.Is and errors.As.
//
// Queue URLs and ARNs are not secret and appear in the text; receipt
// handles and message bodies never do, even when SQS echoes them.
type Error struct {
	Op       string
	QueueURL string // "" when the URL is not known
	QueueARN string // the record's source queue, when the URL is not known
	Code     string
	// SenderFault is a failed batch entry's verdict: true when SQS blames
	// the request, false when the fault was its own.
	SenderFault bool
	Err         error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sqsq: ")
	b.WriteString(e.Op)
	switch {
	case e.QueueURL != "":
		b.WriteString(" " + e.QueueURL)
	case e.QueueARN != "":
		b.WriteString(" " + e.QueueARN)
	}
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
	}
	// An SDK error names its code itself.
	if e.Code != "" && awsbatch.ErrorCode(e.Err) == "" {
		b.WriteString(": " + e.Code)
		if e.SenderFault {
			b.WriteString(" (sender fault)")
		}
	}
	if cause != "" {
		b.WriteString(": " + cause)
	}
	return b.String()
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// redact returns err, or when its text contains any of secrets (receipt
// handles, bodies), a plain error with them replaced. SQS does echo receipt
// handles (e.g. ReceiptHandleIsInvalid), and an error may end in a log.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := redactText(text, secrets)
	if clean == text {
		return err
	}
	return errors.New(clean)
}

func redactText(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	return text
}
