package erasure_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// secret stands for the data a panic value might hold.
const secret = "secret-acct-123456789012"

type credentials struct{ Key string }

func TestPanicked(t *testing.T) {
	tests := []struct {
		name  string
		panic func()
		want  string // the error's text
	}{
		{"string", func() { panic(secret) }, "internal error: panic: string"},
		{"error", func() { panic(errors.New(secret)) }, "internal error: panic: *errors.errorString"},
		{"formatted error", func() { panic(fmt.Errorf("account %s: %w", secret, errors.ErrUnsupported)) }, "internal error: panic: *fmt.wrapError"},
		{"struct", func() { panic(credentials{Key: secret}) }, "internal error: panic: erasure_test.credentials"},
		{"pointer", func() { panic(&credentials{Key: secret}) }, "internal error: panic: *erasure_test.credentials"},
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

func recovered(f func()) (err *erasure.PanicError) {
	defer func() {
		if v := recover(); v != nil {
			err = erasure.Panicked("", v)
		}
	}()
	f()
	return nil
}

func TestPanicErrorWhere(t *testing.T) {
	err := erasure.Panicked("sending a call", secret)
	if got, want := err.Error(), "internal error: panic while sending a call: string"; got != want {
		t.Errorf("err = %q, want %q", got, want)
	}
}
