package erasure

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// ValidAccount checks s against Tencent's UserID rule: 1 to MaxAccountBytes
// bytes of printable ASCII (0x20-0x7E). The error is a *Error whose text
// describes the problem by length and offset, never by content.
func ValidAccount(s string) error {
	if s == "" {
		return &Error{Reason: "empty, need 1 to " + strconv.Itoa(MaxAccountBytes) + " bytes"}
	}
	if len(s) > MaxAccountBytes {
		return &Error{Reason: fmt.Sprintf("%d bytes, at most %d", len(s), MaxAccountBytes)}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return &Error{Reason: fmt.Sprintf("byte 0x%02x at offset %d is not printable ASCII", c, i)}
		}
	}
	return nil
}

// ValidAttr checks s as an attribute name: 1 to MaxAttrBytes bytes of valid
// UTF-8 without control characters. Tencent allows non-ASCII names (its
// console accepts Chinese ones), so printable ASCII would be too strict.
// U+FFFD is refused too: encoding/json substitutes it for invalid UTF-8, so a
// name containing it is almost certainly mangled and could never match the
// app's real attribute name.
func ValidAttr(s string) error {
	if s == "" {
		return &Error{Reason: "empty, need 1 to " + strconv.Itoa(MaxAttrBytes) + " bytes"}
	}
	if len(s) > MaxAttrBytes {
		return &Error{Reason: fmt.Sprintf("%d bytes, at most %d", len(s), MaxAttrBytes)}
	}
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			// Either an invalid byte or a literal U+FFFD; both mean the
			// sender's bytes were lost on the way.
			return &Error{Reason: fmt.Sprintf("invalid UTF-8 or U+FFFD at offset %d", i)}
		case unicode.IsControl(r):
			return &Error{Reason: fmt.Sprintf("control character %U at offset %d", r, i)}
		}
	}
	return nil
}

// Validate checks every invariant documented on Request. Parsers guarantee
// them already; Validate exists for code that builds a Request by hand and for
// tests that must not trust the parser. The error is a *Error naming the
// field.
func (r Request) Validate() error {
	if !r.Type.Valid() {
		return &Error{Field: "type", Reason: "unknown type"}
	}
	if len(r.Accounts) == 0 || len(r.Accounts) > MaxAccountsPerRequest {
		return &Error{Field: "accounts", Reason: fmt.Sprintf("%d entries, need 1 to %d", len(r.Accounts), MaxAccountsPerRequest)}
	}
	if err := validList("accounts", r.Accounts, ValidAccount); err != nil {
		return err
	}
	if r.Attrs != nil {
		if len(r.Attrs) == 0 || len(r.Attrs) > MaxAttrs {
			return &Error{Field: "attrs", Reason: fmt.Sprintf("%d names, need 1 to %d (nil for the default set)", len(r.Attrs), MaxAttrs)}
		}
		if err := validList("attrs", r.Attrs, ValidAttr); err != nil {
			return err
		}
	}
	if len(r.EventID) > MaxAuditFieldBytes {
		return &Error{Field: "eventId", Reason: fmt.Sprintf("%d bytes, at most %d", len(r.EventID), MaxAuditFieldBytes)}
	}
	if len(r.OccurredAt) > MaxAuditFieldBytes {
		return &Error{Field: "occurredAt", Reason: fmt.Sprintf("%d bytes, at most %d", len(r.OccurredAt), MaxAuditFieldBytes)}
	}
	if len(r.BackfilledAt) > MaxAuditFieldBytes {
		return &Error{Field: "backfilledAt", Reason: fmt.Sprintf("%d bytes, at most %d", len(r.BackfilledAt), MaxAuditFieldBytes)}
	}
	return nil
}

// validList checks each entry with valid and that no entry repeats.
func validList(field string, list []string, valid func(string) error) error {
	first := make(map[string]int, len(list))
	for i, s := range list {
		name := field + "[" + strconv.Itoa(i) + "]"
		if err := valid(s); err != nil {
			return &Error{Field: name, Reason: Reason(err)}
		}
		if j, dup := first[s]; dup {
			return &Error{Field: name, Reason: "duplicate of " + field + "[" + strconv.Itoa(j) + "]"}
		}
		first[s] = i
	}
	return nil
}
