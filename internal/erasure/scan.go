package erasure

import (
	"encoding/json"
	"iter"
	"strings"
	"unicode/utf8"
)

// The helpers in this file walk JSON that json.Valid has already accepted, so
// they only locate boundaries and never report syntax errors. Walking the
// validated text instead of unmarshalling into a struct keeps field names
// case-sensitive, and working on strings lets an unescaped value be returned
// as a substring of the body: no copy, no allocation. (The Request then
// shares the body's memory, which lives as long as the invocation anyway.)

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b string, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the string literal starting at b[i].
func stringEnd(b string, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte can never close the string
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the JSON value starting at b[i].
// It loops rather than recurses, so deep nesting costs no stack.
func valueEnd(b string, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return len(b)
	}
}

// members yields the raw key (with quotes) and raw value of each member of
// the object whose '{' is the first non-space byte of obj.
func members(obj string) iter.Seq2[string, string] {
	return func(yield func(key, value string) bool) {
		i := skipSpace(obj, 0) + 1
		for {
			i = skipSpace(obj, i)
			if i >= len(obj) || obj[i] == '}' {
				return
			}
			if obj[i] == ',' {
				i = skipSpace(obj, i+1)
			}
			keyEnd := stringEnd(obj, i)
			key := obj[i:keyEnd]
			i = skipSpace(obj, skipSpace(obj, keyEnd)+1) // past ':'
			end := valueEnd(obj, i)
			if !yield(key, obj[i:end]) {
				return
			}
			i = end
		}
	}
}

// elements yields each raw element of the array whose '[' is the first byte
// of arr.
func elements(arr string) iter.Seq[string] {
	return func(yield func(value string) bool) {
		i := 1
		for {
			i = skipSpace(arr, i)
			if i >= len(arr) || arr[i] == ']' {
				return
			}
			if arr[i] == ',' {
				i = skipSpace(arr, i+1)
			}
			end := valueEnd(arr, i)
			if !yield(arr[i:end]) {
				return
			}
			i = end
		}
	}
}

// keyName returns the unescaped name of a raw object key, exactly as
// encoding/json decodes it (stringValue), so that keys compare as a JSON
// decoder, and so a schema validator, sees them: "a\u0062" is "ab", and
// invalid UTF-8 reads as U+FFFD. Plain keys, the common case, cost nothing.
func keyName(raw string) string {
	s, _ := stringValue(raw) // always a string: raw is a key of valid JSON
	return s
}

// stringValue decodes raw if it is a JSON string. The fast path returns a
// substring; escapes and invalid UTF-8 go through encoding/json so that the
// result (including its U+FFFD substitution) is exactly what it would give.
func stringValue(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
		return inner, true
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return "", false
	}
	return s, true
}

// stringIs reports whether raw is a JSON string equal to want, without
// allocating in the common unescaped case.
func stringIs(raw, want string) bool {
	if len(raw) < 2 || raw[0] != '"' {
		return false
	}
	if inner := raw[1 : len(raw)-1]; strings.IndexByte(inner, '\\') < 0 {
		return inner == want
	}
	s, ok := stringValue(raw)
	return ok && s == want
}

// kind names the JSON type of raw for error messages, so that a reason can
// say what was found without quoting it.
func kind(raw string) string {
	if raw == "" {
		return "nothing" // callers check presence first; this only prevents a panic
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// isNull reports whether raw is absent or JSON null, which the contract
// treats alike for every optional field. Absent is the empty string: no JSON
// value is empty.
func isNull(raw string) bool {
	return raw == "" || raw[0] == 'n'
}
