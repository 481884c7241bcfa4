package erasure

import (
	"fmt"
	"runtime"
)

// PanicError is a recovered panic: class internal, a bug to report. Value
// is a runtime error's text, which holds no data, or else only the panic
// value's type: the value itself might hold an account ID, a receipt handle
// or a secret. Every recover in the function goes through Panicked, so this
// one rule holds everywhere.
type PanicError struct {
	// Where says what was being done, e.g. "sending a call"; may be empty.
	Where string
	Value string
}

func (e *PanicError) Error() string {
	if e.Where == "" {
		return "internal error: panic: " + e.Value
	}
	return "internal error: panic while " + e.Where + ": " + e.Value
}

// Panicked turns the value of a panic recovered while doing where into a
// *PanicError.
func Panicked(where string, v any) *PanicError {
	if rerr, ok := v.(runtime.Error); ok {
		return &PanicError{Where: where, Value: rerr.Error()}
	}
	return &PanicError{Where: where, Value: fmt.Sprintf("%T", v)}
}
