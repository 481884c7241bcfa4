// Decoding the event Lambda hands the function. aws-lambda-go decodes it
// with encoding/json into events.SQSEvent: at Lambda's CPU share that was
// half the CPU of a batch of one-account messages (the payload scanned
// twice, every field unquoted, the ones never read too). Events in plain
// form are decoded with fastjson instead; anything else goes to the same
// encoding/json decoding, so that every payload yields what aws-lambda-go
// would have given: the same records or the same error.

package sqsq

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fastjson"
)

// DecodeEvent decodes an SQS event as aws-lambda-go's handler does
// (encoding/json into events.SQSEvent), except that Md5OfBody,
// Md5OfMessageAttributes, EventSource and AWSRegion, which the function
// never reads, are left empty. A payload aws-lambda-go rejects is rejected
// with the same error.
func DecodeEvent(payload []byte) (events.SQSEvent, error) {
	if ev, ok := decodePlain(payload); ok {
		return ev, nil
	}
	return decodeStandard(payload)
}

// maxPlainPayload bounds the events fastjson decodes: its parse tree and
// its copy of the payload come on top of the records (on a 4.2 MB event
// the peak RSS rose from 58 to 75-82 MiB). Events of one-account messages,
// whose CPU the fast path is for, stay under it at the template's
// BatchSize (1,000 records, 0.9 MB); larger events carry larger messages,
// whose accounts, not their decoding, take the CPU.
const maxPlainPayload = 1 << 20

// decodeStandard is aws-lambda-go's decoding: the payload's first JSON
// value, by encoding/json; the fields never read are then left empty, as
// decodePlain leaves them, whichever decoder answered.
func decodeStandard(payload []byte) (events.SQSEvent, error) {
	var ev events.SQSEvent
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&ev); err != nil {
		return events.SQSEvent{}, err
	}
	for i := range ev.Records {
		r := &ev.Records[i]
		r.Md5OfBody, r.Md5OfMessageAttributes, r.EventSource, r.AWSRegion = "", "", "", ""
	}
	return ev, nil
}

// parsers keeps the parsers between invocations; each holds a copy of its
// last payload, at most maxPlainPayload.
var parsers fastjson.ParserPool

// decodePlain decodes an event in plain form, the form Lambda's events
// take, exactly as encoding/json would; ok is false for anything else, and
// for events over maxPlainPayload:
//   - the payload is one strictly valid JSON value and valid UTF-8, and no
//     string in it uses a \u escape (encoding/json and fastjson differ
//     over invalid UTF-8 and lone surrogates) or holds a raw control
//     character (fastjson's validation misses some);
//   - each object the event decodes into (the event, a record, a message
//     attribute) names each of its fields at most once, by its exact name,
//     with a value of the field's type (not null), and has no other
//     member encoding/json might take for a field (another case of a
//     field's name; a name that is not ASCII).
func decodePlain(payload []byte) (ev events.SQSEvent, ok bool) {
	if len(payload) > maxPlainPayload || fastjson.ValidateBytes(payload) != nil || !utf8.Valid(payload) || !plainStrings(payload) {
		return ev, false
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(payload)
	if err != nil {
		return ev, false
	}
	ok = members(v, eventFields, func(_ int, v *fastjson.Value) bool {
		records, err := v.Array()
		if err != nil {
			return false
		}
		ev.Records = make([]events.SQSMessage, len(records))
		for i, r := range records {
			if !decodeRecord(r, &ev.Records[i]) {
				return false
			}
		}
		return true
	})
	return ev, ok
}

// The fields of events.SQSEvent, events.SQSMessage and
// events.SQSMessageAttribute, by their JSON names.
var (
	eventFields  = []string{"Records"}
	recordFields = []string{"messageId", "receiptHandle", "body", "md5OfBody", "md5OfMessageAttributes",
		"attributes", "messageAttributes", "eventSourceARN", "eventSource", "awsRegion"}
	attributeFields = []string{"stringValue", "binaryValue", "stringListValues", "binaryListValues", "dataType"}
)

func decodeRecord(v *fastjson.Value, rec *events.SQSMessage) bool {
	return members(v, recordFields, func(field int, v *fastjson.Value) bool {
		var ok bool
		switch recordFields[field] {
		case "messageId":
			rec.MessageId, ok = str(v)
		case "receiptHandle":
			rec.ReceiptHandle, ok = str(v)
		case "body":
			rec.Body, ok = str(v)
		case "eventSourceARN":
			rec.EventSourceARN, ok = str(v)
		case "attributes":
			rec.Attributes, ok = stringMap(v)
		case "messageAttributes":
			rec.MessageAttributes, ok = messageAttributes(v)
		default: // never read, but still a string to encoding/json
			ok = v.Type() == fastjson.TypeString
		}
		return ok
	})
}

func messageAttributes(v *fastjson.Value) (map[string]events.SQSMessageAttribute, bool) {
	o, err := v.Object()
	if err != nil {
		return nil, false
	}
	m := make(map[string]events.SQSMessageAttribute, o.Len())
	ok := true
	o.Visit(func(name []byte, v *fastjson.Value) {
		var a events.SQSMessageAttribute
		ok = ok && members(v, attributeFields, func(field int, v *fastjson.Value) bool {
			var ok bool
			switch attributeFields[field] {
			case "stringValue":
				var s string
				s, ok = str(v)
				a.StringValue = &s
			case "binaryValue":
				a.BinaryValue, ok = base64Bytes(v)
			case "stringListValues":
				a.StringListValues, ok = list(v, str)
			case "binaryListValues":
				a.BinaryListValues, ok = list(v, base64Bytes)
			case "dataType":
				a.DataType, ok = str(v)
			}
			return ok
		})
		m[string(name)] = a
	})
	return m, ok
}

// members calls f with each member of object v that is one of fields, by
// its index; f says whether the member's value decoded. It fails where v
// is not an object, names a field twice, or has a member encoding/json
// might take for a field without its exact name: it folds case, also
// beyond ASCII.
func members(v *fastjson.Value, fields []string, f func(field int, v *fastjson.Value) bool) bool {
	o, err := v.Object()
	if err != nil {
		return false
	}
	var seen uint64
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		field := fieldIndex(key, fields)
		switch {
		case field == foreign:
			ok = false
		case field == ignored:
		case seen&(1<<field) != 0:
			ok = false
		default:
			seen |= 1 << field
			ok = f(field, v)
		}
	})
	return ok
}

const (
	ignored = -1 // a member encoding/json skips
	foreign = -2 // a member it might take for a field
)

func fieldIndex(key []byte, fields []string) int {
	for i, f := range fields {
		if string(key) == f {
			return i
		}
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return foreign
		}
	}
	for _, f := range fields {
		if len(f) == len(key) && bytes.EqualFold(key, []byte(f)) {
			return foreign
		}
	}
	return ignored
}

func str(v *fastjson.Value) (string, bool) {
	b, err := v.StringBytes()
	return string(b), err == nil
}

// stringMap decodes the record's attributes, their names shared: every
// record has the same few.
func stringMap(v *fastjson.Value) (map[string]string, bool) {
	o, err := v.Object()
	if err != nil {
		return nil, false
	}
	m := make(map[string]string, o.Len())
	ok := true
	o.Visit(func(k []byte, v *fastjson.Value) {
		s, isString := str(v)
		ok = ok && isString
		name, known := attributeNames[string(k)]
		if !known {
			name = string(k)
		}
		m[name] = s
	})
	return m, ok
}

// attributeNames are the names of the attributes SQS puts on a record.
var attributeNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp", "SenderId",
		"SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader", "DeadLetterQueueSourceArn"} {
		m[n] = n
	}
	return m
}()

// base64Bytes decodes a []byte as encoding/json does: standard base64.
func base64Bytes(v *fastjson.Value) ([]byte, bool) {
	s, err := v.StringBytes()
	if err != nil {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	return b[:n], err == nil
}

// list decodes a JSON array (an empty one to an empty, not nil, slice).
func list[T any](v *fastjson.Value, elem func(*fastjson.Value) (T, bool)) ([]T, bool) {
	a, err := v.Array()
	if err != nil {
		return nil, false
	}
	out := make([]T, len(a))
	for i, e := range a {
		var ok bool
		if out[i], ok = elem(e); !ok {
			return nil, false
		}
	}
	return out, true
}

// plainStrings tells whether the strings of payload, which fastjson
// validated, hold neither a \u escape nor a raw control character.
// Outside strings valid JSON has no backslash and no control character but
// white space; inside one each backslash starts an escape.
func plainStrings(payload []byte) bool {
	if !hasControl(payload) {
		return !hasUnicodeEscape(payload)
	}
	inString := false
	for i := 0; i < len(payload); i++ {
		switch c := payload[i]; {
		case c == '"':
			inString = !inString
		case c == '\\':
			if payload[i+1] == 'u' {
				return false
			}
			i++
		case c < 0x20 && inString:
			return false
		}
	}
	return true
}

// hasControl tells whether b holds a byte below 0x20 (white space
// included), eight bytes at a time.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(b) >= 8; b = b[8:] {
		w := binary.LittleEndian.Uint64(b)
		if (w-0x20*ones)&^w&highs != 0 {
			return true
		}
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// hasUnicodeEscape tells whether a string of payload, valid JSON, holds a
// \u escape.
func hasUnicodeEscape(payload []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(payload[i:], '\\')
		if j < 0 || i+j+1 >= len(payload) {
			return false
		}
		if payload[i+j+1] == 'u' {
			return true
		}
		i += j + 2
	}
}
