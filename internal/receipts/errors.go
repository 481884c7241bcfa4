package receipts

import (
	"errors"
	"strconv"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// Operations named in Error.Op.
const (
	// OpPut: the receipt was refused before any call (not configured, no
	// such message, too large, an internal error).
	OpPut = "Put"
	// OpAuditKey: the audit key could not be read, so no receipt of the
	// call could carry its digest.
	OpAuditKey = "AuditKey"
	// OpPutEvents: EventBridge did not take the receipt.
	OpPutEvents = "PutEvents"
)

// Failures an Error wraps.
var (
	// ErrNotConfigured means the Publisher lacks its client, event bus or
	// key source.
	ErrNotConfigured = errors.New("receipts publisher is not configured")
	// ErrNoSuchMessage means an index does not name a message of the
	// report that a receipt is due for.
	ErrNoSuchMessage = errors.New("index names no message of the report with a receipt due")
	// ErrTooLarge means the receipt alone would exceed PutEvents' entry
	// size limit.
	ErrTooLarge = errors.New("receipt too large for EventBridge")
	// ErrNotAnswered means EventBridge's answer did not account for the
	// entry; it is not assumed to have been put.
	ErrNotAnswered = errors.New("EventBridge did not answer for the entry")
	// ErrNoTimeToRetry joins the last failure when a retry would not have
	// ended early enough before the context's deadline.
	ErrNoTimeToRetry = errors.New("no time left to retry before the deadline")
	// ErrAttemptsExhausted joins the last failure when the receipt had all
	// its attempts.
	ErrAttemptsExhausted = errors.New("retries exhausted")
)

// Error is the failure of one receipt. Code is the AWS error code of the
// PutEvents call or of the entry ("" when there is none); Attempts counts
// the PutEvents calls that carried the receipt. The cause (an SDK error, a
// KeySource error or one of the Err* values) is reached with errors.Is and
// errors.As.
//
// Neither the text nor the cause holds an account ID: receipts carry none,
// so EventBridge cannot echo one, and the audit key's errors are the key
// source's own (secret-free) ones.
type Error struct {
	Op       string
	EventBus string
	Code     string
	Attempts int
	Err      error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("receipts: ")
	b.WriteString(e.Op)
	if e.EventBus != "" {
		b.WriteString(" to bus " + e.EventBus)
	}
	// An SDK error names its code itself.
	if e.Code != "" && awsbatch.ErrorCode(e.Err) == "" {
		b.WriteString(": " + e.Code)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Attempts > 1 {
		b.WriteString(" (" + strconv.Itoa(e.Attempts) + " attempts)")
	}
	return b.String()
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }
