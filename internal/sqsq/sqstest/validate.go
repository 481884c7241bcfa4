package sqstest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SQS limits.
const (
	maxEntries    = 10
	maxAttributes = 10
	maxPayload    = 1 << 20 // one message, and one SendMessageBatch
	maxVisibility = 43200   // seconds
	maxDelay      = 900     // seconds
)

var entryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkIDs applies SQS's rules on the entries of a batch to their ids.
func checkIDs(ids []string) *callError {
	switch {
	case len(ids) == 0:
		return &callError{"EmptyBatchRequest", "There should be at least one entry in the request."}
	case len(ids) > maxEntries:
		return &callError{"TooManyEntriesInBatchRequest", fmt.Sprintf("Maximum number of entries per request are %d. You have sent %d.", maxEntries, len(ids))}
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !entryID.MatchString(id) {
			return &callError{"InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
		}
		if seen[id] {
			return &callError{"BatchEntryIdsNotDistinct", "Id " + id + " repeated."}
		}
		seen[id] = true
	}
	return nil
}

// wireAttribute is a MessageAttributeValue on the wire; BinaryValue is
// base64 there, which encoding/json decodes.
type wireAttribute struct {
	DataType         string
	StringValue      *string
	BinaryValue      []byte
	StringListValues []string
	BinaryListValues [][]byte
}

// checkAttributes applies SQS's rules on message attributes and returns
// them as stored.
func checkAttributes(attrs map[string]wireAttribute) (map[string]Attribute, *callError) {
	if len(attrs) > maxAttributes {
		return nil, invalid(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), maxAttributes))
	}
	out := make(map[string]Attribute, len(attrs))
	for name, a := range attrs {
		if msg := checkAttributeName(name); msg != "" {
			return nil, invalid(msg)
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		if len(a.DataType) > 256 || (base != "String" && base != "Number" && base != "Binary") {
			return nil, invalid(fmt.Sprintf("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name))
		}
		if len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0 {
			return nil, invalid(fmt.Sprintf("Message (user) attribute '%s': list values are not supported.", name))
		}
		stored := Attribute{DataType: a.DataType}
		if base == "Binary" {
			if len(a.BinaryValue) == 0 || a.StringValue != nil {
				return nil, invalid(fmt.Sprintf("Message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name))
			}
			stored.BinaryValue = a.BinaryValue
		} else {
			if a.StringValue == nil || *a.StringValue == "" || a.BinaryValue != nil {
				return nil, invalid(fmt.Sprintf("Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, base))
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*a.StringValue, 64); err != nil {
					return nil, invalid(fmt.Sprintf("Can't cast the value of message (user) attribute '%s' to a number.", name))
				}
			}
			if !validText(*a.StringValue) {
				return nil, invalid(fmt.Sprintf("Message (user) attribute '%s' contains invalid characters.", name))
			}
			stored.StringValue = *a.StringValue
		}
		out[name] = stored
	}
	return out, nil
}

func checkAttributeName(name string) string {
	lower := strings.ToLower(name)
	switch {
	case name == "" || len(name) > 256:
		return "Message (user) attribute name must be 1 to 256 characters long."
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return fmt.Sprintf("Message (user) attribute name '%s' is reserved for use by Amazon SQS.", name)
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
		return fmt.Sprintf("Message (user) attribute name '%s' cannot start or end with a period or contain consecutive periods.", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Sprintf("Message (user) attribute name '%s' contains invalid characters.", name)
		}
	}
	return ""
}

// payloadSize is what SQS charges a message against its size limits: the
// body and each attribute's name, data type and value, in bytes (UTF-8
// text; binary values raw, not as the base64 of the wire).
func payloadSize(body string, attrs map[string]wireAttribute) int {
	n := len(body)
	for name, a := range attrs {
		n += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
	}
	return n
}

// validText tells whether s holds only the characters SQS accepts: #x9,
// #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func invalid(msg string) *callError { return &callError{"InvalidParameterValue", msg} }
