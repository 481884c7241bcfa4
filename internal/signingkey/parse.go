package signingkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// secretJSON is the structured form of the secret. Fields stay raw so each
// can be validated with an error that never quotes its content.
type secretJSON struct {
	Key        json.RawMessage `json:"key"`
	SDKAppID   json.RawMessage `json:"sdkAppId"`
	Identifier json.RawMessage `json:"identifier"`
	AuditKey   json.RawMessage `json:"auditKey"`
}

// Parse interprets a SecretString. Two forms are accepted:
//
//   - the bare key, with surrounding whitespace (a trailing newline from
//     `aws secretsmanager put-secret-value --secret-string file://...`) removed;
//   - a JSON object {"key":"...","sdkAppId":1400000000,"identifier":"...",
//     "auditKey":"..."} where only key is required, sdkAppId may be a number
//     or a numeric string, and unknown fields are ignored.
//
// A value starting with '{' must be valid JSON: treating a broken object as a
// bare key would sign with garbage and surface only as Tencent rejections.
// Errors are *ParseError and never contain any part of the value.
func Parse(secretString string) (Key, error) {
	s := strings.TrimSpace(secretString)
	if s == "" {
		return Key{}, &ParseError{Reason: "empty"}
	}
	if s[0] != '{' {
		return Key{Secret: []byte(s)}, nil
	}
	return parseJSON([]byte(s))
}

func parseJSON(b []byte) (Key, error) {
	var raw secretJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		// The json errors quote the offending character, so only the offset
		// is kept.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return Key{}, &ParseError{Reason: "starts with '{' but is not valid JSON (error at byte " + strconv.FormatInt(syn.Offset, 10) + ")"}
		}
		return Key{}, &ParseError{Reason: "starts with '{' but is not a JSON object"}
	}

	var k Key
	key, present, err := jsonString(raw.Key)
	switch {
	case err != nil:
		return Key{}, &ParseError{Field: "key", Reason: err.Error()}
	case !present || strings.TrimSpace(key) == "":
		return Key{}, &ParseError{Field: "key", Reason: "missing or empty"}
	}
	k.Secret = []byte(strings.TrimSpace(key))

	if k.SDKAppID, err = parseAppID(raw.SDKAppID); err != nil {
		return Key{}, &ParseError{Field: "sdkAppId", Reason: err.Error()}
	}

	id, _, err := jsonString(raw.Identifier)
	if err == nil {
		err = checkIdentifier(id)
	}
	if err != nil {
		return Key{}, &ParseError{Field: "identifier", Reason: err.Error()}
	}
	k.Identifier = id

	audit, _, err := jsonString(raw.AuditKey)
	if err != nil {
		return Key{}, &ParseError{Field: "auditKey", Reason: err.Error()}
	}
	if audit != "" {
		k.AuditKey = []byte(audit)
	}
	return k, nil
}

// jsonString decodes an optional JSON string; absent and null both yield
// present == false.
func jsonString(raw json.RawMessage) (s string, present bool, err error) {
	if isAbsent(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errors.New("must be a JSON string")
	}
	return s, true, nil
}

// parseAppID accepts 1400000000 and "1400000000": consoles and IaC tools
// disagree on whether an id is a number, and both are unambiguous.
func parseAppID(raw json.RawMessage) (uint64, error) {
	if isAbsent(raw) {
		return 0, nil
	}
	digits := string(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, errors.New("must be a positive integer")
		}
		digits = strings.TrimSpace(s)
	}
	// ParseUint alone would accept "+1" forms via its own rules and quote
	// the input in its error; checking digits first avoids both.
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, errors.New("must be a positive integer")
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || id == 0 {
		return 0, errors.New("must be a positive integer that fits in 64 bits")
	}
	return id, nil
}

// checkIdentifier applies Tencent's UserID rule early, so a bad admin account
// fails at start-up instead of as a signature rejection. Empty means absent:
// the configured identifier applies.
func checkIdentifier(id string) error {
	if id == "" {
		return nil
	}
	if err := erasure.ValidAccount(id); err != nil {
		return errors.New(erasure.Reason(err))
	}
	return nil
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}
