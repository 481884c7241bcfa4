package erasure

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts meets
// every Request invariant and repeats no key in any object it read,
// that its errors are *Error values that do not echo the body, that a
// repeated-key error is true, and that for plain (non-envelope) bodies it
// agrees with encoding/json about the type and accounts.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		plain,
		`{"type":"user.deleted","accounts":["u1"]}`,
		sns(plain),
		eventBridge(plain),
		sns(eventBridge(plain)),
		`{"type":"user.deleted","accounts":["a","a","b"],"attrs":null}`,
		`{"\u0074ype":"user.deleted","accounts":["a\"b"]}`,
		`{"type":"user.deleted","accounts":["u1"],"acc\u006funts":["u2"]}`,
		`{"type":"user.deleted","accounts":["u1"],"foo":1,"foo":2}`,
		sns(`{"type":"user.deleted","accounts":["u1"],"accounts":["u2"]}`),
		`{"detail-type":"x","detail":` + plain + `,"type":"user.deleted","accounts":["u2"]}`,
		`{"Type":"Notification","Message":` + quote(plain) + `,"accounts":["u2"]}`,
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
			if rejectedForRepeatedKey(err) && !hasRepeatedKey(body) {
				t.Fatalf("error %q, but no object in the body repeats a key", err)
			}
			checkWellFormedAccounts(t, err, req.Accounts)
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted request breaks an invariant: %v", err)
		}
		checkReadObjectsUnique(t, body)
		checkAgainstEncodingJSON(t, body, req)
	})
}

// checkWellFormedAccounts checks what an invalid message names for its
// audit line: distinct valid UserIDs, at most MaxAccountsPerRequest, and
// none for an ambiguous body.
func checkWellFormedAccounts(t *testing.T, err error, accounts []string) {
	if len(accounts) > MaxAccountsPerRequest {
		t.Fatalf("an invalid message names %d accounts", len(accounts))
	}
	if accounts != nil && (rejectedForRepeatedKey(err) || strings.Contains(err.Error(), "beside")) {
		t.Fatalf("an ambiguous body (%v) names %d accounts", err, len(accounts))
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if ValidAccount(a) != nil || seen[a] {
			t.Fatalf("an invalid message names a malformed or repeated account")
		}
		seen[a] = true
	}
}

// checkAgainstEncodingJSON decodes a plain body with encoding/json (a map,
// which keeps key case exact, like Parse) and compares the outcome.
func checkAgainstEncodingJSON(t *testing.T, body string, got Request) {
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

// hasRepeatedKey reports whether any object in body repeats a key, keys read
// by encoding/json (unescaped, invalid UTF-8 as U+FFFD). A string that holds
// JSON (an SNS Message) is searched too. This states the parser's rule
// independently, over a superset of the objects the parser reads, so the
// parser may only claim a repeat where this finds one.
func hasRepeatedKey(body string) bool {
	type frame struct {
		keys    map[string]bool // nil for an array
		inValue bool            // an object's key was read, its value not yet
	}
	var stack []frame
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false // the end, or not JSON
		}
		n := len(stack)
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, frame{keys: map[string]bool{}})
				continue
			case '[':
				stack = append(stack, frame{})
				continue
			}
			stack = stack[:n-1]
		case string:
			if n > 0 && stack[n-1].keys != nil && !stack[n-1].inValue {
				if stack[n-1].keys[tok] {
					return true
				}
				stack[n-1].keys[tok] = true
				stack[n-1].inValue = true
				continue
			}
			if hasRepeatedKey(tok) {
				return true
			}
		}
		if n := len(stack); n > 0 {
			stack[n-1].inValue = false // a value is complete
		}
	}
}

// checkReadObjectsUnique fails if an object that Parse read, having accepted
// body, repeats a key. It follows the unwrapping Parse does: the body; an SNS
// Message; an EventBridge detail, in the body or in the Message.
func checkReadObjectsUnique(t *testing.T, body string) {
	const (
		atBody = iota
		atMessage
		atDetail // nothing inside is unwrapped
	)
	obj, at := body, atBody
	for {
		if topLevelKeyRepeated(obj) {
			t.Fatalf("accepted, but an object read at unwrapping level %d repeats a key", at)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(obj), &m) != nil {
			t.Fatalf("accepted, but level %d is not an object to encoding/json", at)
		}
		var typ, msg string
		switch {
		case at == atDetail:
			return
		case at == atBody && json.Unmarshal(m["Type"], &typ) == nil && typ == "Notification":
			if json.Unmarshal(m["Message"], &msg) != nil {
				t.Fatalf("accepted an SNS notification without a string Message")
			}
			obj, at = msg, atMessage
		case m["detail"] != nil && len(m["detail-type"]) > 0 && m["detail-type"][0] == '"':
			obj, at = string(m["detail"]), atDetail
		default:
			return
		}
	}
}

// topLevelKeyRepeated reports whether the object obj repeats one of its own
// keys (not those of objects nested in it).
func topLevelKeyRepeated(obj string) bool {
	dec := json.NewDecoder(strings.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key := tok.(string)
		if seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
