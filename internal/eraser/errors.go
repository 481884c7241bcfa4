package eraser

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// classOf names the failure class of err, the one place errors become
// classes.
func classOf(err error) erasure.Class {
	var (
		configErr *erasure.ConfigError
		panicErr  *erasure.PanicError
		namesErr  *namesError
		verifyErr *verifyError
	)
	switch {
	case errors.As(err, &verifyErr):
		return erasure.Unverified
	case errors.As(err, &namesErr):
		if class := classOf(namesErr.err); namesErr.err != nil && class.Systemic() {
			// A wrong key or base URL fails the lookup like every call:
			// the batch stays systemic, so that its source backs off.
			return class
		}
		return erasure.Retryable
	case errors.As(err, &panicErr):
		return erasure.Internal
	case errors.As(err, &configErr):
		return erasure.Configuration
	case errors.Is(err, errDeadline), errors.Is(err, context.DeadlineExceeded):
		return erasure.Deadline
	}
	return tim.Classify(err)
}

// recovered turns the value of a recovered panic into a
// *erasure.PanicError and logs it once, with a stack stripped of argument
// values.
func recovered(ctx context.Context, logger *slog.Logger, where string, v any) *erasure.PanicError {
	err := erasure.Panicked(where, v)
	logger.ErrorContext(ctx, "recovered from a panic; the messages it touched fail with class internal",
		"where", where, "panic", err.Value, "stack", cleanStack(debug.Stack()))
	return err
}

// cleanStack drops the argument words Go prints after each function name:
// they are raw pointers and lengths today, but a stack must never be able
// to carry a secret or an account.
func cleanStack(stack []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stack)), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "goroutine ") {
			continue
		}
		if open := strings.LastIndexByte(line, '('); open > 0 && strings.HasSuffix(line, ")") {
			lines[i] = line[:open] + "(...)"
		}
	}
	return strings.Join(lines, "\n")
}

// namesError is a failure that hangs on the app's attribute names: they
// could not be read, or a list read after Tencent rejected a name does not
// explain why. Nothing says the message is at fault, so its class is
// retryable, or systemic when the lookup failed for a
// reason that fails every call alike.
type namesError struct {
	reason string
	err    error // may be nil
}

func (e *namesError) Error() string {
	if e.err == nil {
		return e.reason
	}
	return e.reason + ": " + e.err.Error()
}

func (e *namesError) Unwrap() error { return e.err }
