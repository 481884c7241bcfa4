package awsbatch_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

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
