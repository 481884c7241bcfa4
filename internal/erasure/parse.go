package erasure

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
)

// MaxBodyBytes is SQS's largest message (1 MiB). A bigger body cannot have
// come from SQS, so it is refused before any decoding work.
const MaxBodyBytes = 1 << 20

// Parse decodes and validates one message body, unwrapping an SNS or
// EventBridge envelope if there is one. The error, if any, is an *Error; the
// Request then holds only what could be read, so the invalid message can
// still be traced: the audit fields (Type, EventID, OccurredAt) and the
// well-formed accounts (see wellFormedAccounts), which are never put in the
// error. The returned strings may share memory with
// body, which is why Parse takes a string (immutable) rather than bytes.
func Parse(body string) (Request, error) {
	switch {
	case body == "":
		return Request{}, &Error{Reason: "body is empty"}
	case len(body) > MaxBodyBytes:
		return Request{}, &Error{Reason: fmt.Sprintf("body is %d bytes, at most %d", len(body), MaxBodyBytes)}
	}
	if b := []byte(body); !json.Valid(b) {
		return Request{}, &Error{Reason: "body is not valid JSON: " + syntaxReason(b)}
	}
	req, err := parseObject(body, "", envelopeSNS|envelopeEventBridge)
	if err != nil {
		// Keep what identifies the message in the audit log, never more.
		return Request{Type: req.Type, Accounts: req.Accounts, EventID: req.EventID, OccurredAt: req.OccurredAt, BackfilledAt: req.BackfilledAt}, err
	}
	return req, nil
}

// envelope is a set of envelope kinds still allowed at a nesting level; it is
// what bounds unwrapping.
type envelope uint8

const (
	envelopeSNS envelope = 1 << iota
	envelopeEventBridge
)

// object holds the raw values of the keys this package cares about; "" means
// absent. Collecting them first makes validation order, and so the
// reported error, independent of key order.
type object struct {
	typ, accounts, attrs, eventID, occurredAt string
	backfilledAt                              string
	snsType, snsMessage                       string
	detailType, detail                        string

	// repeated has bit k set when knownKeys[k] appears more than once;
	// unknownRepeated is set when some other key does.
	repeated        uint16
	unknownRepeated bool
}

// Indexes into knownKeys, in the order a repeat among them is reported, so
// that the error does not depend on key order.
const (
	keyType = iota
	keyAccounts
	keyAttrs
	keyEventID
	keyOccurredAt
	keyBackfilledAt
	keySNSType
	keySNSMessage
	keyDetailType
	keyDetail
)

// knownKeys are the keys object holds. Only these are ever named in an error:
// any other key may be whatever a producer chose, an account ID included.
var knownKeys = [...]string{
	keyType: "type", keyAccounts: "accounts", keyAttrs: "attrs",
	keyEventID: "eventId", keyOccurredAt: "occurredAt", keyBackfilledAt: "backfilledAt",
	keySNSType: "Type", keySNSMessage: "Message",
	keyDetailType: "detail-type", keyDetail: "detail",
}

// slot returns where o keeps the value of the (unescaped) key name, and the
// key's index in knownKeys; nil for a key o does not hold.
func (o *object) slot(name string) (*string, int) {
	switch name {
	case "type":
		return &o.typ, keyType
	case "accounts":
		return &o.accounts, keyAccounts
	case "attrs":
		return &o.attrs, keyAttrs
	case "eventId":
		return &o.eventID, keyEventID
	case "occurredAt":
		return &o.occurredAt, keyOccurredAt
	case "backfilledAt":
		return &o.backfilledAt, keyBackfilledAt
	case "Type":
		return &o.snsType, keySNSType
	case "Message":
		return &o.snsMessage, keySNSMessage
	case "detail-type":
		return &o.detailType, keyDetailType
	case "detail":
		return &o.detail, keyDetail
	}
	return nil, -1
}

// keySet finds a repeat among the other keys of one object. Objects here
// have few keys (an SNS notification, the largest, about ten), so the first
// ones are compared pairwise in an array that stays on the stack; a map is
// made only past that, so that a body of 100,000 keys costs O(n), not O(n²).
type keySet struct {
	small [16]string
	n     int
	big   map[string]struct{}
}

// add records name and reports whether it was already there.
func (s *keySet) add(name string) (repeated bool) {
	if s.big == nil {
		for _, seen := range s.small[:s.n] {
			if seen == name {
				return true
			}
		}
		if s.n < len(s.small) {
			s.small[s.n] = name
			s.n++
			return false
		}
		s.big = make(map[string]struct{}, 4*len(s.small))
		for _, seen := range s.small {
			s.big[seen] = struct{}{}
		}
	}
	if _, ok := s.big[name]; ok {
		return true
	}
	s.big[name] = struct{}{}
	return false
}

// parseObject parses the valid JSON b found at path ("" for the body).
func parseObject(b, path string, allowed envelope) (Request, *Error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if path == "" {
			return Request{}, &Error{Reason: "body is a JSON " + kind(b[i:]) + ", not an object"}
		}
		return Request{}, &Error{Field: path, Reason: "is a JSON " + kind(b[i:]) + ", not an object"}
	}
	var o object
	var others keySet
	for k, v := range members(b[i:]) {
		// Keys compare unescaped: "acc\u006funts" is "accounts".
		name := keyName(k)
		switch p, key := o.slot(name); {
		case p == nil:
			if !o.unknownRepeated {
				o.unknownRepeated = others.add(name)
			}
		case *p != "": // no JSON value is empty, so the key came before
			o.repeated |= 1 << key
		default:
			*p = v
		}
	}
	if err := o.ambiguity(); err != nil {
		err.Field = join(path, err.Field)
		return o.audit(), err
	}
	isSNS := stringIs(o.snsType, "Notification")
	isEventBridge := o.hasEventBridgeFields()
	switch {
	case isSNS && allowed&envelopeSNS != 0:
		return unwrapSNS(o.snsMessage, join(path, "Message"))
	case isEventBridge && allowed&envelopeEventBridge != 0:
		return unwrapEventBridge(o.detail, join(path, "detail"))
	}
	req, err := o.request()
	if err == nil {
		return req, nil
	}
	req.Accounts = wellFormedAccounts(o.accounts)
	if err.Field == "type" && o.typ == "" && (isSNS || isEventBridge) {
		// Say why the obvious envelope was not unwrapped, rather than
		// leave the operator puzzling over a missing "type".
		err.Reason = "missing; this looks like a nested envelope, and only SNS -> EventBridge -> erasure is unwrapped"
	}
	err.Field = join(path, err.Field)
	return req, err
}

// The reasons for a repeated key. A key the contract does not define is not
// named (see knownKeys); the error's Field is then the object that has it.
const (
	reasonRepeatedKey   = "repeated key: which value was meant cannot be known"
	reasonRepeatedOther = "a key that is not a contract field is repeated: which value was meant cannot be known"
)

// hasSNSFields reports whether o carries an SNS notification's fields as the
// ambiguity rule sees them: "Type": "Notification" and a "Message" (any
// value). Where SNS is unwrapped, "Type" alone is enough to be taken for
// SNS; this stricter test is what makes an erasure carrying only an
// unrelated "Type" unambiguous where SNS is not unwrapped.
func (o *object) hasSNSFields() bool {
	return o.snsMessage != "" && stringIs(o.snsType, "Notification")
}

// hasEventBridgeFields reports whether o carries an EventBridge event's
// fields: a string "detail-type" and a "detail" (any value).
func (o *object) hasEventBridgeFields() bool {
	return o.detail != "" && o.detailType != "" && o.detailType[0] == '"'
}

// ambiguity rejects an object whose meaning depends on which of two values
// is believed: a repeated key, or erasure fields beside an envelope's fields
// (are the accounts those beside the envelope, or those inside it?). It
// holds at every level, whether or not the envelope would be unwrapped
// there, and looks at keys only, never values, so that JSON Schema can state
// the second rule with "required". The Field it returns is relative to o.
func (o *object) ambiguity() *Error {
	if o.repeated != 0 {
		return &Error{Field: knownKeys[bits.TrailingZeros16(o.repeated)], Reason: reasonRepeatedKey}
	}
	if o.unknownRepeated {
		return &Error{Reason: reasonRepeatedOther}
	}
	if o.typ == "" && o.accounts == "" && o.attrs == "" {
		return nil
	}
	const erasureFields = "erasure fields (type, accounts, attrs) beside "
	const which = ": which accounts were meant cannot be known"
	switch {
	case o.hasSNSFields():
		return &Error{Reason: erasureFields + "an SNS notification's Type and Message" + which}
	case o.hasEventBridgeFields():
		return &Error{Reason: erasureFields + "an EventBridge event's detail-type and detail" + which}
	}
	return nil
}

// audit returns the audit fields of an ambiguous object, those that are
// valid and not themselves repeated, so that its rejection can be traced.
func (o *object) audit() Request {
	var req Request
	if o.repeated&(1<<keyType) == 0 {
		req.Type, _ = parseType(o.typ)
	}
	if o.repeated&(1<<keyEventID) == 0 {
		req.EventID, _ = auditField(o.eventID, "eventId")
	}
	if o.repeated&(1<<keyOccurredAt) == 0 {
		req.OccurredAt, _ = auditField(o.occurredAt, "occurredAt")
	}
	if o.repeated&(1<<keyBackfilledAt) == 0 {
		req.BackfilledAt, _ = auditField(o.backfilledAt, "backfilledAt")
	}
	return req
}

// unwrapSNS parses an SNS notification's Message, which carries the erasure
// (or an EventBridge event) as a JSON string.
func unwrapSNS(raw, path string) (Request, *Error) {
	if isNull(raw) {
		return Request{}, &Error{Field: path, Reason: "missing from an SNS notification"}
	}
	s, ok := stringValue(raw)
	if !ok {
		return Request{}, &Error{Field: path, Reason: "must be a string holding the erasure JSON, got " + kind(raw)}
	}
	if s == "" {
		return Request{}, &Error{Field: path, Reason: "is empty"}
	}
	if inner := []byte(s); !json.Valid(inner) {
		return Request{}, &Error{Field: path, Reason: "is not valid JSON: " + syntaxReason(inner)}
	}
	return parseObject(s, path, envelopeEventBridge)
}

// unwrapEventBridge parses an EventBridge event's detail, which carries the
// erasure as an object. Nothing further is unwrapped, so an erasure object
// with its own "detail" field is never mistaken for an envelope.
func unwrapEventBridge(raw, path string) (Request, *Error) {
	if raw == "" || raw[0] != '{' {
		return Request{}, &Error{Field: path, Reason: "must be an object, got " + kind(raw)}
	}
	return parseObject(raw, path, 0)
}

// request validates the erasure fields of o. Error fields are relative to
// the object; the caller prefixes the path only on failure, so that a nested
// message costs no field-name allocations when it is valid.
func (o *object) request() (Request, *Error) {
	var req Request
	var err *Error
	// The audit fields come first so that an invalid message can still be
	// found by its eventId in the audit log.
	if req.EventID, err = auditField(o.eventID, "eventId"); err != nil {
		return req, err
	}
	if req.OccurredAt, err = auditField(o.occurredAt, "occurredAt"); err != nil {
		return req, err
	}
	if req.BackfilledAt, err = auditField(o.backfilledAt, "backfilledAt"); err != nil {
		return req, err
	}
	if req.Type, err = parseType(o.typ); err != nil {
		return req, err
	}
	if isNull(o.accounts) {
		return req, &Error{Field: "accounts", Reason: "missing"}
	}
	accounts, err := stringList(o.accounts, "accounts", MaxAccountsPerRequest, "entries", ValidAccount)
	if err != nil {
		return req, err
	}
	if !isNull(o.attrs) {
		if req.Attrs, err = stringList(o.attrs, "attrs", MaxAttrs, "names", ValidAttr); err != nil {
			return req, err
		}
	}
	req.Accounts = accounts
	return req, nil
}

// wellFormedAccounts returns the entries of an invalid message's "accounts"
// that are valid UserIDs, de-duplicated, at most MaxAccountsPerRequest, or
// nil when it is not an array: the message still names its accounts by
// hash on its audit line and in its receipt's digest, so that a data
// subject's failed request can be found. An ambiguous object never
// gets here: which accounts were meant cannot be known.
func wellFormedAccounts(raw string) []string {
	if raw == "" || raw[0] != '[' {
		return nil
	}
	var list []string
	seen := map[string]struct{}{}
	for v := range elements(raw) {
		if len(list) == MaxAccountsPerRequest {
			break
		}
		s, ok := stringValue(v)
		if _, dup := seen[s]; !ok || dup || ValidAccount(s) != nil {
			continue
		}
		seen[s] = struct{}{}
		list = append(list, s)
	}
	return list
}

// parseType decodes the required "type" field. Its value is not personal
// data, so an unknown type is quoted (shortened) to help the operator.
func parseType(raw string) (Type, *Error) {
	const field = "type"
	// The constants themselves are returned so that a valid type costs no
	// allocation even when the body had to be unescaped.
	for _, t := range [...]Type{UserDeleted, GDPRErasure} {
		if stringIs(raw, string(t)) {
			return t, nil
		}
	}
	if isNull(raw) {
		return "", &Error{Field: field, Reason: "missing"}
	}
	s, ok := stringValue(raw)
	if !ok {
		return "", &Error{Field: field, Reason: "must be a string, got " + kind(raw)}
	}
	return "", &Error{Field: field, Reason: fmt.Sprintf("unknown type %q, want %q or %q",
		Truncate(s, 40), UserDeleted, GDPRErasure)}
}

// stringList decodes an array of 1..limit strings, checks each with valid and
// drops duplicates, keeping first appearances in order. The count is taken
// before decoding, so an oversized array costs no allocations.
func stringList(raw, field string, limit int, noun string, valid func(string) error) ([]string, *Error) {
	if raw == "" || raw[0] != '[' {
		return nil, &Error{Field: field, Reason: "must be an array of strings, got " + kind(raw)}
	}
	n := 0
	for range elements(raw) {
		n++
	}
	switch {
	case n == 0:
		return nil, &Error{Field: field, Reason: fmt.Sprintf("empty, need 1 to %d %s", limit, noun)}
	case n > limit:
		return nil, &Error{Field: field, Reason: fmt.Sprintf("%d %s, at most %d", n, noun, limit)}
	}
	list := make([]string, 0, n)
	i := 0
	for v := range elements(raw) {
		s, ok := stringValue(v)
		if !ok {
			return nil, &Error{Field: index(field, i), Reason: "must be a string, got " + kind(v)}
		}
		if err := valid(s); err != nil {
			return nil, &Error{Field: index(field, i), Reason: Reason(err)}
		}
		list = append(list, s)
		i++
	}
	return dedupe(list), nil
}

// auditField decodes an optional string that only feeds the audit log.
func auditField(raw, field string) (string, *Error) {
	if isNull(raw) {
		return "", nil
	}
	s, ok := stringValue(raw)
	if !ok {
		return "", &Error{Field: field, Reason: "must be a string, got " + kind(raw)}
	}
	return Truncate(s, MaxAuditFieldBytes), nil
}

// dedupe removes repeats in place, keeping the first of each. Small lists,
// the common case, are scanned without a map to avoid allocating one.
func dedupe(list []string) []string {
	out := list[:0]
	if len(list) <= 16 {
	small:
		for _, s := range list {
			for _, seen := range out {
				if s == seen {
					continue small
				}
			}
			out = append(out, s)
		}
		return out
	}
	seen := make(map[string]struct{}, len(list))
	for _, s := range list {
		if _, dup := seen[s]; !dup {
			seen[s] = struct{}{}
			out = append(out, s)
		}
	}
	return out
}

// syntaxReason explains why b is not valid JSON. encoding/json's message
// quotes at most one byte of input, so it cannot leak an account; the offset
// lets an operator find the fault in the dead-lettered message.
func syntaxReason(b []byte) string {
	var raw json.RawMessage
	err := json.Unmarshal(b, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if err != nil {
		return err.Error()
	}
	return "rejected by the decoder"
}

// Reason extracts the value-free explanation from a validation error, for
// callers that name the value themselves.
func Reason(err error) string {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return err.Error()
}

// join appends a field name to a path; an empty name is the object itself.
func join(path, name string) string {
	switch {
	case name == "":
		return path
	case path == "":
		return name
	}
	return path + "." + name
}

// index names element i of the array at field.
func index(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
