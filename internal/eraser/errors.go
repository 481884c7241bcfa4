package eraser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// ConfigError is a configuration the app contradicts, found while
// processing: it fails every message that depends on it alike (class
// configuration, systemic).
type ConfigError struct {
	Variable string
	Reason   string
}

func (e *ConfigError) Error() string { return "configuration: " + e.Variable + " " + e.Reason }

// PanicError is a panic recovered while processing: class internal. It
// keeps a runtime error's text, which holds no data, and only the type of
// any other panic value, which might.
type PanicError struct {
	Where string
	Value string
}

func (e *PanicError) Error() string { return "internal error: panic while " + e.Where + ": " + e.Value }

// classOf names the failure class of err, the one place errors become
// classes.
func classOf(err error) erasure.Class {
	var (
		configErr *ConfigError
		panicErr  *PanicError
	)
	switch {
	case errors.As(err, &panicErr):
		return erasure.Internal
	case errors.As(err, &configErr):
		return erasure.Configuration
	case errors.Is(err, errDeadline), errors.Is(err, context.DeadlineExceeded):
		return erasure.Deadline
	}
	return tim.Classify(err)
}

// Recovered turns the value of a recovered panic into a *PanicError and
// logs it once, with a stack stripped of argument values.
func Recovered(ctx context.Context, logger *slog.Logger, where string, v any) *PanicError {
	err := &PanicError{Where: where, Value: fmt.Sprintf("%T", v)}
	if rerr, ok := v.(runtime.Error); ok {
		err.Value = rerr.Error()
	}
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
