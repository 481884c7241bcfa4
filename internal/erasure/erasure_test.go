package erasure

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValidAccount(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string // "" means valid
	}{
		{"one byte", "a", ""},
		{"32 bytes", strings.Repeat("x", 32), ""},
		{"space and tilde are printable", " ~", ""},
		{"empty", "", "empty, need 1 to 32 bytes"},
		{"33 bytes", strings.Repeat("x", 33), "33 bytes, at most 32"},
		{"newline", "abc\ndef", "byte 0x0a at offset 3 is not printable ASCII"},
		{"DEL", "\x7f", "byte 0x7f at offset 0 is not printable ASCII"},
		{"non-ASCII", "caf\u00e9", "byte 0xc3 at offset 3 is not printable ASCII"},
		{"NUL", "a\x00", "byte 0x00 at offset 1 is not printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidAccount(tt.in)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ValidAccount: unexpected error %v", err)
				}
				return
			}
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("ValidAccount: got %v (%T), want *Error", err, err)
			}
			if ve.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", ve.Reason, tt.reason)
			}
		})
	}
}

func TestValidAccountErrorOmitsAccount(t *testing.T) {
	for _, acct := range []string{"secret-user-1234567890-abcdefghij", "secret\tuser"} {
		if err := ValidAccount(acct); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("ValidAccount error %v must exist and not echo the account", err)
		}
	}
}

func TestValidAttr(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string
	}{
		{"ascii", "city", ""},
		{"50 bytes", strings.Repeat("a", 50), ""},
		{"chinese", "\u57ce\u5e02", ""},
		{"space inside", "home town", ""},
		{"empty", "", "empty, need 1 to 50 bytes"},
		{"51 bytes", strings.Repeat("a", 51), "51 bytes, at most 50"},
		{"invalid UTF-8", "ab\xff", "invalid UTF-8 or U+FFFD at offset 2"},
		{"replacement char", "a\ufffd", "invalid UTF-8 or U+FFFD at offset 1"},
		{"tab", "a\tb", "control character U+0009 at offset 1"},
		{"C1 control", "a\u0085", "control character U+0085 at offset 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidAttr(tt.in)
			got := ""
			if err != nil {
				var ve *Error
				if !errors.As(err, &ve) {
					t.Fatalf("got %T, want *Error", err)
				}
				got = ve.Reason
			}
			if got != tt.reason {
				t.Errorf("ValidAttr reason = %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestTypeValid(t *testing.T) {
	tests := []struct {
		in   Type
		want bool
	}{
		{UserDeleted, true},
		{GDPRErasure, true},
		{"", false},
		{"User.Deleted", false},
		{"user.deleted ", false},
	}
	for _, tt := range tests {
		if got := tt.in.Valid(); got != tt.want {
			t.Errorf("Type(%q).Valid() = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	ok := Request{Type: UserDeleted, Accounts: []string{"u1", "u2"}}
	many := make([]string, MaxAccountsPerRequest+1)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	tests := []struct {
		name  string
		edit  func(*Request)
		field string // "" means valid
	}{
		{"minimal", func(*Request) {}, ""},
		{"with attrs", func(r *Request) { r.Attrs = []string{"sex", "city"} }, ""},
		{"bad type", func(r *Request) { r.Type = "x" }, "type"},
		{"no accounts", func(r *Request) { r.Accounts = nil }, "accounts"},
		{"too many accounts", func(r *Request) { r.Accounts = many }, "accounts"},
		{"bad account", func(r *Request) { r.Accounts = []string{"u1", ""} }, "accounts[1]"},
		{"duplicate account", func(r *Request) { r.Accounts = []string{"u1", "u2", "u1"} }, "accounts[2]"},
		{"empty non-nil attrs", func(r *Request) { r.Attrs = []string{} }, "attrs"},
		{"11 attrs", func(r *Request) { r.Attrs = strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",") }, "attrs"},
		{"duplicate attr", func(r *Request) { r.Attrs = []string{"a", "a"} }, "attrs[1]"},
		{"long eventId", func(r *Request) { r.EventID = strings.Repeat("e", MaxAuditFieldBytes+1) }, "eventId"},
		{"long occurredAt", func(r *Request) { r.OccurredAt = strings.Repeat("t", MaxAuditFieldBytes+1) }, "occurredAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: unexpected %v", err)
				}
				return
			}
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("Validate: got %v, want *Error", err)
			}
			if ve.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", ve.Field, tt.field, err)
			}
		})
	}
}

func TestRequestRedactsAccounts(t *testing.T) {
	r := Request{Type: GDPRErasure, Accounts: []string{"alice-secret", "bob-secret"}, Attrs: []string{"city"}, EventID: "evt-1"}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "req", r)
	for name, out := range map[string]string{
		"%v":   fmt.Sprintf("%v", r),
		"%s":   fmt.Sprintf("%s", r), //lint:ignore S1025 the %s path of fmt is what is tested
		"slog": logged.String(),
	} {
		if strings.Contains(out, "secret") {
			t.Errorf("%s output leaks an account: %s", name, out)
		}
		if !strings.Contains(out, "evt-1") {
			t.Errorf("%s output lost the event id: %s", name, out)
		}
	}
}

func TestErrorTextOfALoneValue(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Reason: "r"}, "invalid message: r"},
		{Error{Field: "accounts[3]", Reason: "33 bytes, at most 32"}, "invalid message: accounts[3]: 33 bytes, at most 32"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestConfigErrorText(t *testing.T) {
	e := &ConfigError{Variable: "DRY_RUN", Reason: `must be true or false, got "maybe"`}
	if got, want := e.Error(), `configuration: DRY_RUN must be true or false, got "maybe"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
