package awsbatch_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// secret stands for the data a panic value might hold.
const secret = "secret-acct-123456789012"

type credentials struct{ Key string }

func TestRecovered(t *testing.T) {
	tests := []struct {
		name  string
		panic func()
		want  string // the error's text
	}{
		{"string", func() { panic(secret) }, "internal error: panic: string"},
		{"error", func() { panic(errors.New(secret)) }, "internal error: panic: *errors.errorString"},
		{"formatted error", func() { panic(fmt.Errorf("account %s: %w", secret, errors.ErrUnsupported)) }, "internal error: panic: *fmt.wrapError"},
		{"struct", func() { panic(credentials{Key: secret}) }, "internal error: panic: awsbatch_test.credentials"},
		{"pointer", func() { panic(&credentials{Key: secret}) }, "internal error: panic: *awsbatch_test.credentials"},
		{"number", func() { panic(123456789012) }, "internal error: panic: int"},
		{"runtime error", func() {
			var accounts []string
			_ = accounts[len(secret)]
		}, "internal error: panic: runtime error: index out of range [24] with length 0"},
		{"nil pointer", func() {
			var c *credentials
			_ = c.Key + secret
		}, "internal error: panic: runtime error: invalid memory address or nil pointer dereference"},
		{"nil", func() { panic(nil) }, "internal error: panic: panic called with nil argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := recovered(tt.panic)
			if err == nil {
				t.Fatal("no panic")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("err = %q, want %q", got, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "123456789012") {
				t.Errorf("err = %q holds the panic's value", err)
			}
		})
	}
}

func recovered(f func()) (err *awsbatch.PanicError) {
	defer func() {
		if v := recover(); v != nil {
			err = awsbatch.Recovered(v)
		}
	}()
	f()
	return nil
}

func TestErrorCode(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("connection reset"), ""},
		{"API error", throttled, "ThrottlingException"},
		{"wrapped", fmt.Errorf("operation error: %w", throttled), "ThrottlingException"},
		{"operation error", &smithy.OperationError{ServiceID: "SQS", OperationName: "SendMessageBatch", Err: throttled}, "ThrottlingException"},
		{"without code", &smithy.GenericAPIError{Message: "odd"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awsbatch.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestOutcomeCause(t *testing.T) {
	notAnswered := errors.New("not answered")
	tests := []struct {
		name    string
		outcome awsbatch.Outcome
		want    string // the cause's text, "" for none
	}{
		{"taken", awsbatch.Outcome{Taken: true}, ""},
		{"not listed", awsbatch.Outcome{}, "not answered"},
		{"failed", awsbatch.Outcome{Failed: true, Code: "InvalidParameterValue", Message: "bad attribute"}, "bad attribute"},
		{"failed without a word", awsbatch.Outcome{Failed: true, Code: "InternalError"}, "entry failed"},
		{"failed without a code", awsbatch.Outcome{Failed: true}, "entry failed"},
		{"listed both ways", awsbatch.Outcome{Taken: true, Failed: true, Code: "InternalError"}, "entry failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := tt.outcome.Cause(notAnswered)
			got := ""
			if cause != nil {
				got = cause.Error()
			}
			if got != tt.want {
				t.Errorf("Cause = %v, want %q", cause, tt.want)
			}
			if !tt.outcome.Taken && !tt.outcome.Failed && cause != notAnswered {
				t.Errorf("Cause = %v, want the caller's own error", cause)
			}
		})
	}
}
