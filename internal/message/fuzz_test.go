package message

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// FuzzParse checks that Parse never panics, that whatever it accepts meets
// every erasure.Request invariant, that its errors are *Error values that do
// not echo the body, and that for plain (non-envelope) bodies it agrees with
// encoding/json about the type and accounts.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		plain,
		`{"type":"user.deleted","accounts":["u1"]}`,
		sns(plain),
		eventBridge(plain),
		sns(eventBridge(plain)),
		`{"type":"user.deleted","accounts":["a","a","b"],"attrs":null}`,
		`{"\u0074ype":"user.deleted","accounts":["a\"b"]}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := Parse(body)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid message: ") {
				t.Fatalf("error text %q lacks the prefix", err)
			}
			if len(body) >= 8 && strings.Contains(err.Error(), body) {
				t.Fatalf("error %q echoes the body", err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted request breaks an invariant: %v", err)
		}
		checkAgainstEncodingJSON(t, body, req)
	})
}

// checkAgainstEncodingJSON decodes a plain body with encoding/json (a map,
// which keeps key case exact, like Parse) and compares the outcome.
func checkAgainstEncodingJSON(t *testing.T, body string, got erasure.Request) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("Parse accepted a body encoding/json rejects: %v", err)
	}
	if _, ok := m["Type"]; ok {
		return // maybe an envelope; the inner body was checked on its own
	}
	if _, ok := m["detail-type"]; ok {
		return
	}
	var typ string
	var accounts []string
	if json.Unmarshal(m["type"], &typ) != nil || json.Unmarshal(m["accounts"], &accounts) != nil {
		t.Fatalf("Parse accepted fields encoding/json cannot decode")
	}
	if string(got.Type) != typ {
		t.Fatalf("type = %q, encoding/json says %q", got.Type, typ)
	}
	var want []string
	for _, a := range accounts {
		if !slices.Contains(want, a) {
			want = append(want, a)
		}
	}
	if !slices.Equal(got.Accounts, want) {
		t.Fatalf("accounts differ from encoding/json's (%d vs %d entries)", len(got.Accounts), len(want))
	}
}
