package awsbatch

import (
	"cmp"
	"errors"

	"github.com/aws/smithy-go"
)

// ErrorCode is the AWS error code of err, "" when it has none.
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// Outcome is what an answered call said of one of its entries. The zero
// Outcome is an entry the answer does not list: it is not assumed taken.
type Outcome struct {
	Taken  bool // the service took the entry
	Failed bool // the service failed the entry, for Code and Message
	Code   string
	// Message is the service's word on the failure, "" when it gave
	// none. It may echo the entry: callers redact it first.
	Message string
	// SenderFault is SQS's verdict on a failed entry: true when it blames
	// the request, false when the fault was its own.
	SenderFault bool
}

// Cause is why the entry was not taken: nil when it was, notAnswered (the
// caller's own error) when the answer does not list it, else the service's
// message. An entry listed failed is failed even if also listed taken.
func (o Outcome) Cause(notAnswered error) error {
	switch {
	case o.Failed:
		return errors.New(cmp.Or(o.Message, "entry failed"))
	case o.Taken:
		return nil
	}
	return notAnswered
}
