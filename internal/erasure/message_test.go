package erasure

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// sns wraps inner as an SNS notification delivered without raw delivery.
func sns(inner string) string {
	msg, _ := json.Marshal(inner)
	return `{"Type":"Notification","MessageId":"6f5c3a1e","TopicArn":"arn:aws:sns:us-east-1:123456789012:t",` +
		`"Subject":null,"Message":` + string(msg) + `,"Timestamp":"2025-11-27T10:01:00.000Z","SignatureVersion":"1"}`
}

// eventBridge wraps detail (raw JSON) as an EventBridge event.
func eventBridge(detail string) string {
	return `{"version":"0","id":"3e1f7a52","detail-type":"UserDeleted","source":"com.example.accounts",` +
		`"account":"123456789012","time":"2025-11-27T10:04:00Z","region":"us-east-1","resources":[],"detail":` + detail + `}`
}

// manyKeys returns n distinct members "k0":0,"k1":1,... (no braces).
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String()
}

// accountList returns n distinct account names as a JSON array.
func accountList(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"u%d"`, i)
	}
	b.WriteByte(']')
	return b.String()
}

const plain = `{"type":"gdpr.erasure","accounts":["u1","u2"],"attrs":["sex","city"],"eventId":"evt-123","occurredAt":"2026-11-25T10:00:00Z"}`

func TestParseValid(t *testing.T) {
	full := Request{
		Type: GDPRErasure, Accounts: []string{"u1", "u2"}, Attrs: []string{"sex", "city"},
		EventID: "evt-123", OccurredAt: "2026-11-25T10:00:00Z",
	}
	minimal := Request{Type: UserDeleted, Accounts: []string{"u1"}}
	tests := []struct {
		name string
		body string
		want Request
	}{
		{"plain", plain, full},
		{"minimal", `{"type":"user.deleted","accounts":["u1"]}`, minimal},
		{"whitespace everywhere", " \n{ \"type\" : \"user.deleted\" ,\t\"accounts\" : [ \"u1\" ] }\r\n", minimal},
		{"key order irrelevant", `{"accounts":["u1"],"type":"user.deleted"}`, minimal},
		{"unknown fields ignored", `{"type":"user.deleted","x":{"accounts":[1]},"accounts":["u1"],"Accounts":5,"detail":7,"n":[null,true]}`, minimal},
		{"erasure carrying detail object is not EventBridge", `{"type":"user.deleted","accounts":["u1"],"detail":{"type":"gdpr.erasure"}}`, minimal},
		{"attrs absent", `{"type":"user.deleted","accounts":["u1"]}`, minimal},
		{"attrs null", `{"type":"user.deleted","accounts":["u1"],"attrs":null}`, minimal},
		{"eventId and occurredAt null", `{"type":"user.deleted","accounts":["u1"],"eventId":null,"occurredAt":null}`, minimal},
		{"occurredAt not a timestamp", `{"type":"user.deleted","accounts":["u1"],"occurredAt":"yesterday"}`,
			Request{Type: UserDeleted, Accounts: []string{"u1"}, OccurredAt: "yesterday"}},
		{"backfill", `{"type":"user.deleted","accounts":["u1"],"occurredAt":"2020-01-02T03:04:05Z","backfilledAt":"2026-12-07T00:00:00Z"}`,
			Request{Type: UserDeleted, Accounts: []string{"u1"}, OccurredAt: "2020-01-02T03:04:05Z", BackfilledAt: "2026-12-07T00:00:00Z"}},
		{"backfilledAt null", `{"type":"user.deleted","accounts":["u1"],"backfilledAt":null}`, minimal},
		{"backfilledAt not a timestamp is carried, not refused", `{"type":"user.deleted","accounts":["u1"],"backfilledAt":"soon"}`,
			Request{Type: UserDeleted, Accounts: []string{"u1"}, BackfilledAt: "soon"}},
		{"backfill inside EventBridge", eventBridge(`{"type":"user.deleted","accounts":["u1"],"backfilledAt":"2026-12-07T00:00:00Z"}`),
			Request{Type: UserDeleted, Accounts: []string{"u1"}, BackfilledAt: "2026-12-07T00:00:00Z"}},
		{"long eventId truncated", `{"type":"user.deleted","accounts":["u1"],"eventId":"` + strings.Repeat("e", 300) + `"}`,
			Request{Type: UserDeleted, Accounts: []string{"u1"}, EventID: strings.Repeat("e", MaxAuditFieldBytes)}},
		{"duplicates collapse in order", `{"type":"user.deleted","accounts":["b","a","b","c","a"],"attrs":["x","y","x"]}`,
			Request{Type: UserDeleted, Accounts: []string{"b", "a", "c"}, Attrs: []string{"x", "y"}}},
		{"many duplicates collapse via map", `{"type":"user.deleted","accounts":` + accountList(40)[:len(accountList(40))-1] + `,"u0","u39"]}`,
			Request{Type: UserDeleted, Accounts: func() []string {
				var s []string
				for i := range 40 {
					s = append(s, fmt.Sprint("u", i))
				}
				return s
			}()}},
		{"10000 accounts", `{"type":"user.deleted","accounts":` + accountList(10000) + `}`, Request{}},
		{"escaped strings and keys", `{"\u0074ype":"user.d\u0065leted","accounts":["a\"b","c\\d","\u0041"]}`,
			Request{Type: UserDeleted, Accounts: []string{`a"b`, `c\d`, "A"}}},
		{"printable ASCII edge accounts", `{"type":"user.deleted","accounts":[" ","~","` + strings.Repeat("x", 32) + `"]}`,
			Request{Type: UserDeleted, Accounts: []string{" ", "~", strings.Repeat("x", 32)}}},
		{"non-ASCII attr", `{"type":"user.deleted","accounts":["u1"],"attrs":["城市"]}`,
			Request{Type: UserDeleted, Accounts: []string{"u1"}, Attrs: []string{"城市"}}},
		{"SNS", sns(plain), full},
		{"EventBridge", eventBridge(plain), full},
		{"SNS of EventBridge", sns(eventBridge(plain)), full},
		// Repeated keys and envelope fields where they are harmless.
		{"repeat inside a value the parser does not read", `{"type":"user.deleted","accounts":["u1"],"x":{"a":1,"a":2}}`, minimal},
		{"keys differing in case are distinct", `{"type":"user.deleted","accounts":["u1"],"Accounts":1,"ACCOUNTS":2,"Type":"x","TYPE":3}`, minimal},
		{"escapes that decode differently are distinct", `{"type":"user.deleted","accounts":["u1"],"a\u0062":1,"a\u0063":2,"ab ":3}`, minimal},
		{"many distinct unknown keys", `{"type":"user.deleted",` + manyKeys(40) + `,"accounts":["u1"]}`, minimal},
		{"erasure in a Message may carry Type Notification without Message", sns(`{"Type":"Notification","type":"user.deleted","accounts":["u1"]}`), minimal},
		{"erasure may carry a non-string detail-type and a detail", `{"detail-type":1,"detail":{},"type":"user.deleted","accounts":["u1"]}`, minimal},
		{"erasure may carry a detail without detail-type", `{"detail":{"accounts":["u2"]},"type":"user.deleted","accounts":["u1"]}`, minimal},
		{"erasure may carry a Type other than Notification and a Message", `{"Type":"SubscriptionConfirmation","Message":"x","type":"user.deleted","accounts":["u1"]}`, minimal},
		{"eventId and occurredAt beside an envelope", strings.Replace(eventBridge(plain), `{"version"`, `{"eventId":"outer","occurredAt":"x","version"`, 1), full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.body)
			if err != nil {
				t.Fatalf("Parse: unexpected error: %v", err)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("result breaks an invariant: %v", err)
			}
			if tt.want.Type == "" {
				return // only the invariants matter for this case
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n %#v\nwant\n %#v", got, tt.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		field  string
		reason string // substring of the reason
	}{
		{"empty body", "", "", "body is empty"},
		{"whitespace body", "  \n", "", "body is not valid JSON"},
		{"invalid JSON", `{"type":"user.deleted","accounts":["u1",`, "", "body is not valid JSON: unexpected end of JSON input"},
		{"trailing garbage", `{"type":"user.deleted","accounts":["u1"]} x`, "", "body is not valid JSON: invalid character 'x' after top-level value at byte"},
		{"not an object", `["user.deleted"]`, "", "body is a JSON array, not an object"},
		{"string body", `"hello"`, "", "body is a JSON string, not an object"},
		{"oversized body", `{"type":"user.deleted","accounts":["u1"],"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "", "at most 1048576"},
		{"missing type", `{"accounts":["u1"]}`, "type", "missing"},
		{"null type", `{"type":null,"accounts":["u1"]}`, "type", "missing"},
		{"type wrong case", `{"Type":"user.deleted","accounts":["u1"]}`, "type", "missing"},
		{"unknown type", `{"type":"user.renamed","accounts":["u1"]}`, "type", `unknown type "user.renamed"`},
		{"numeric type", `{"type":1,"accounts":["u1"]}`, "type", "must be a string, got number"},
		{"missing accounts", `{"type":"user.deleted"}`, "accounts", "missing"},
		{"null accounts", `{"type":"user.deleted","accounts":null}`, "accounts", "missing"},
		{"accounts not array", `{"type":"user.deleted","accounts":"u1"}`, "accounts", "must be an array of strings, got string"},
		{"empty accounts", `{"type":"user.deleted","accounts":[]}`, "accounts", "empty, need 1 to 10000 entries"},
		{"10001 accounts", `{"type":"user.deleted","accounts":` + accountList(10001) + `}`, "accounts", "10001 entries, at most 10000"},
		{"10001 entries even if duplicates", `{"type":"user.deleted","accounts":[` + strings.Repeat(`"u",`, 10000) + `"u"]}`, "accounts", "10001 entries"},
		{"33-byte account", `{"type":"user.deleted","accounts":["u1","u2","u3","` + strings.Repeat("x", 33) + `"]}`, "accounts[3]", "33 bytes, at most 32"},
		{"non-printable account", `{"type":"user.deleted","accounts":["abc\ndef"]}`, "accounts[0]", "byte 0x0a at offset 3 is not printable ASCII"},
		{"non-ASCII account", `{"type":"user.deleted","accounts":["josé"]}`, "accounts[0]", "not printable ASCII"},
		{"invalid UTF-8 account", "{\"type\":\"user.deleted\",\"accounts\":[\"a\xffb\"]}", "accounts[0]", "not printable ASCII"},
		{"empty account", `{"type":"user.deleted","accounts":["u1",""]}`, "accounts[1]", "empty"},
		{"non-string account", `{"type":"user.deleted","accounts":["u1",42]}`, "accounts[1]", "must be a string, got number"},
		{"null account", `{"type":"user.deleted","accounts":[null]}`, "accounts[0]", "must be a string, got null"},
		{"attrs not array", `{"type":"user.deleted","accounts":["u1"],"attrs":"sex"}`, "attrs", "must be an array of strings, got string"},
		{"empty attrs", `{"type":"user.deleted","accounts":["u1"],"attrs":[]}`, "attrs", "empty, need 1 to 10 names"},
		{"11 attrs", `{"type":"user.deleted","accounts":["u1"],"attrs":["a","b","c","d","e","f","g","h","i","j","k"]}`, "attrs", "11 names, at most 10"},
		{"empty attr", `{"type":"user.deleted","accounts":["u1"],"attrs":["sex",""]}`, "attrs[1]", "empty"},
		{"51-byte attr", `{"type":"user.deleted","accounts":["u1"],"attrs":["` + strings.Repeat("a", 51) + `"]}`, "attrs[0]", "51 bytes, at most 50"},
		{"control char attr", `{"type":"user.deleted","accounts":["u1"],"attrs":["a\tb"]}`, "attrs[0]", "control character"},
		{"non-string attr", `{"type":"user.deleted","accounts":["u1"],"attrs":[{}]}`, "attrs[0]", "got object"},
		{"eventId wrong type", `{"type":"user.deleted","accounts":["u1"],"eventId":123}`, "eventId", "must be a string, got number"},
		{"occurredAt wrong type", `{"type":"user.deleted","accounts":["u1"],"occurredAt":{}}`, "occurredAt", "must be a string, got object"},
		{"backfilledAt wrong type", `{"type":"user.deleted","accounts":["u1"],"backfilledAt":true}`, "backfilledAt", "must be a string, got boolean"},
		{"backfilledAt repeated", `{"type":"user.deleted","accounts":["u1"],"backfilledAt":"a","backfilledAt":"b"}`, "backfilledAt", "repeated key: which value was meant cannot be known"},
		{"SNS with non-string Message", `{"Type":"Notification","Message":{"type":"user.deleted","accounts":["u1"]}}`, "Message", "must be a string holding the erasure JSON, got object"},
		{"SNS without Message", `{"Type":"Notification","MessageId":"m"}`, "Message", "missing"},
		{"SNS with empty Message", `{"Type":"Notification","Message":""}`, "Message", "is empty"},
		{"SNS with invalid JSON Message", sns(`{"type":`), "Message", "is not valid JSON: unexpected end of JSON input"},
		{"SNS with array Message", sns(`[1]`), "Message", "is a JSON array, not an object"},
		{"SNS with bad account", sns(`{"type":"user.deleted","accounts":["` + strings.Repeat("x", 33) + `"]}`), "Message.accounts[0]", "33 bytes"},
		{"SNS of SNS not unwrapped", sns(sns(plain)), "Message.type", "nested envelope"},
		{"EventBridge with non-object detail", eventBridge(`"{}"`), "detail", "must be an object, got string"},
		{"EventBridge with null detail", eventBridge(`null`), "detail", "must be an object, got null"},
		{"EventBridge with bad type", eventBridge(`{"type":"x","accounts":["u1"]}`), "detail.type", "unknown type"},
		{"EventBridge of EventBridge not unwrapped", eventBridge(eventBridge(plain)), "detail.type", "nested envelope"},
		{"SNS of EventBridge with bad attr", sns(eventBridge(`{"type":"user.deleted","accounts":["u1"],"attrs":[""]}`)), "Message.detail.attrs[0]", "empty"},
		{"EventBridge of SNS not unwrapped", eventBridge(sns(plain)), "detail.type", "nested envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRejected(t, tt.body, tt.field, tt.reason)
		})
	}
}

// TestParseAmbiguous: a repeated key, or erasure fields beside an envelope's
// fields, leaves open which accounts were meant, so the body is rejected
// whatever it says (see doc.go).
func TestParseAmbiguous(t *testing.T) {
	const erasure = `{"type":"user.deleted","accounts":["u1"],"eventId":"e1"}`
	withKey := func(body, member string) string { // member goes first
		return "{" + member + "," + strings.TrimPrefix(body, "{")
	}
	const (
		repeated      = reasonRepeatedKey
		repeatedOther = reasonRepeatedOther
		besideSNS     = "erasure fields (type, accounts, attrs) beside an SNS notification's Type and Message"
		besideEB      = "erasure fields (type, accounts, attrs) beside an EventBridge event's detail-type and detail"
	)
	tests := []struct {
		name    string
		body    string
		field   string
		reason  string // substring of the reason
		eventID string // audit field kept for tracing
	}{
		// repeated keys in a plain body
		{"repeated accounts", `{"type":"user.deleted","accounts":["u1"],"accounts":["u2"],"eventId":"e1"}`, "accounts", repeated, "e1"},
		{"repeated accounts, one list invalid", `{"accounts":[5],"type":"user.deleted","accounts":["u1"]}`, "accounts", repeated, ""},
		{"repeated accounts, same value", `{"type":"user.deleted","accounts":["u1"],"accounts":["u1"]}`, "accounts", repeated, ""},
		{"repeated type", `{"type":"bogus","type":"user.deleted","accounts":["u1"],"eventId":"e1"}`, "type", repeated, "e1"},
		{"repeated attrs", `{"type":"user.deleted","accounts":["u1"],"attrs":null,"attrs":["sex"]}`, "attrs", repeated, ""},
		{"repeated eventId is not kept", `{"type":"user.deleted","accounts":["u1"],"eventId":"e1","eventId":"e2"}`, "eventId", repeated, ""},
		{"repeated unknown key", `{"type":"user.deleted","accounts":["u1"],"foo":1,"eventId":"e1","foo":2}`, "", repeatedOther, "e1"},
		{"repeated empty key", `{"":1,"type":"user.deleted","accounts":["u1"],"":1}`, "", repeatedOther, ""},
		{"repeated unknown key among many", `{"type":"user.deleted",` + manyKeys(40) + `,"accounts":["u1"],"k33":0}`, "", repeatedOther, ""},
		{"escaped and plain accounts", `{"type":"user.deleted","accounts":["u1"],"acc\u006funts":["u2"]}`, "accounts", repeated, ""},
		{"both escaped differently", `{"\u0074ype":"user.deleted","t\u0079pe":"gdpr.erasure","accounts":["u1"]}`, "type", repeated, ""},
		{"escaped unknown key", `{"f\u006f\u006F":1,"type":"user.deleted","accounts":["u1"],"foo":2}`, "", repeatedOther, ""},
		{"invalid UTF-8 keys read alike", "{\"a\xff\":1,\"type\":\"user.deleted\",\"accounts\":[\"u1\"],\"a\xfe\":2}", "", repeatedOther, ""},
		{"contract field reported before unknown key", `{"foo":1,"foo":2,"accounts":["u1"],"type":"user.deleted","accounts":["u1"]}`, "accounts", repeated, ""},
		{"contract fields reported in a fixed order", `{"accounts":[],"accounts":[],"type":"x","type":"y"}`, "type", repeated, ""},
		{"repeat wins over envelope mixing", `{"type":"user.deleted","type":"user.deleted","accounts":["u1"],"detail-type":"x","detail":{}}`, "type", repeated, ""},
		// repeated keys in envelopes and what they carry
		{"repeated unknown key in SNS envelope", withKey(sns(erasure), `"MessageId":"m0"`), "", repeatedOther, ""},
		{"repeated Message in SNS envelope", withKey(sns(erasure), `"Message":"{}"`), "Message", repeated, ""},
		{"repeated Type in SNS envelope", withKey(sns(erasure), `"Type":"Notification"`), "Type", repeated, ""},
		{"repeated key in SNS Message", sns(`{"type":"user.deleted","accounts":["u1"],"accounts":["u2"],"eventId":"e1"}`), "Message.accounts", repeated, "e1"},
		{"repeated unknown key in SNS Message", sns(`{"x":1,"type":"user.deleted","accounts":["u1"],"x":1}`), "Message", repeatedOther, ""},
		{"escaped repeat in SNS Message", sns(`{"type":"user.deleted","accounts":["u1"],"\u0061ccounts":["u2"]}`), "Message.accounts", repeated, ""},
		{"repeated key in EventBridge envelope", withKey(eventBridge(erasure), `"source":"s"`), "", repeatedOther, ""},
		{"repeated detail in EventBridge envelope", withKey(eventBridge(erasure), `"detail":{}`), "detail", repeated, ""},
		{"repeated key in EventBridge detail", eventBridge(`{"type":"user.deleted","accounts":["u1"],"accounts":["u2"],"eventId":"e1"}`), "detail.accounts", repeated, "e1"},
		{"repeated key in EventBridge in SNS", sns(withKey(eventBridge(erasure), `"detail-type":"x"`)), "Message.detail-type", repeated, ""},
		{"repeated key in detail of EventBridge in SNS", sns(eventBridge(`{"type":"user.deleted","accounts":["u1"],"attrs":["a"],"attrs":["b"]}`)), "Message.detail.attrs", repeated, ""},
		// erasure fields beside an envelope's fields
		{"type and accounts beside EventBridge", `{"type":"user.deleted","accounts":["u1"],"eventId":"e1","detail-type":"x","detail":` + erasure + `}`, "", besideEB, "e1"},
		{"type and accounts beside SNS", `{"Type":"Notification","Message":` + quote(erasure) + `,"type":"user.deleted","accounts":["u2"],"eventId":"e1"}`, "", besideSNS, "e1"},
		{"accounts alone beside SNS", withKey(sns(erasure), `"accounts":["u2"]`), "", besideSNS, ""},
		{"lowercase type alone beside SNS", withKey(sns(erasure), `"type":"bogus"`), "", besideSNS, ""},
		{"null attrs beside EventBridge", withKey(eventBridge(erasure), `"attrs":null`), "", besideEB, ""},
		{"beside EventBridge with null detail", `{"detail-type":"x","detail":null,"type":"user.deleted","accounts":["u1"]}`, "", besideEB, ""},
		{"beside SNS and EventBridge", `{"Type":"Notification","Message":"{}","detail-type":"x","detail":{},"accounts":["u1"]}`, "", besideSNS, ""},
		{"beside EventBridge in SNS Message", sns(withKey(eventBridge(erasure), `"accounts":["u2"]`)), "Message", besideEB, ""},
		{"beside SNS in SNS Message (not unwrapped there)", sns(`{"Type":"Notification","Message":"{}","type":"user.deleted","accounts":["u1"],"eventId":"e1"}`), "Message", besideSNS, "e1"},
		{"beside EventBridge in detail (not unwrapped there)", eventBridge(`{"type":"user.deleted","accounts":["u1"],"detail-type":"x","detail":{}}`), "detail", besideEB, ""},
		{"beside SNS with null Message in detail", eventBridge(`{"type":"user.deleted","accounts":["u1"],"Type":"Notification","Message":null}`), "detail", besideSNS, ""},
		{"beside EventBridge in detail of EventBridge in SNS", sns(eventBridge(withKey(eventBridge(erasure), `"attrs":["a"]`))), "Message.detail", besideEB, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := checkRejected(t, tt.body, tt.field, tt.reason)
			if req.EventID != tt.eventID {
				t.Errorf("EventID = %q, want %q", req.EventID, tt.eventID)
			}
			if req.Accounts != nil {
				t.Errorf("an ambiguous body named accounts %v", req.Accounts)
			}
			// An unknown key is never named: it could be an account.
			_, err := Parse(tt.body)
			for _, key := range []string{"foo", "MessageId", "source", "k33", `"x"`} {
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q names the unknown key %s", err, key)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Field: "accounts[3]", Reason: "33 bytes, at most 32"}, "invalid message: accounts[3]: 33 bytes, at most 32"},
		{Error{Reason: "body is empty"}, "invalid message: body is empty"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestErrorsOmitAccounts guards the rule that nothing personal is logged: an account is personal data
// and must not reach a log through a parse error, whatever is wrong with it.
func TestErrorsOmitAccounts(t *testing.T) {
	const secret = "Secret-Person-7"
	long := secret + strings.Repeat("9", 40)
	bodies := []string{
		`{"type":"user.deleted","accounts":["` + long + `"]}`,
		`{"type":"user.deleted","accounts":["` + secret + `\n"]}`,
		`{"type":"user.deleted","accounts":["` + secret + `\u00e9"]}`,
		`{"type":"user.deleted","accounts":["` + secret + `",""]}`,
		`{"type":"user.deleted","accounts":["` + secret + `",7]}`,
		`{"type":"user.deleted","accounts":["` + secret + `"],"attrs":[]}`,
		`{"type":"user.removed","accounts":["` + secret + `"]}`,
		`{"type":"user.deleted","accounts":["` + secret + `"]`,
		`{"type":"user.deleted","accounts":["` + secret + `" "x"]}`,
		`{"type":"user.deleted","accounts":["` + secret + `"],"eventId":1}`,
		`{"accounts":["` + secret + `"]}`,
		sns(`{"type":"user.deleted","accounts":["` + long + `"]}`),
		sns(`{"type":"user.deleted","accounts":["` + secret + `"`),
		eventBridge(`{"type":"user.deleted","accounts":["` + secret + "\x01" + `"]}`),
		`{"type":"user.deleted","accounts":["` + secret + `"],"pad":"` + strings.Repeat(" ", MaxBodyBytes) + `"}`,
		`{"type":"user.deleted","accounts":["` + secret + `"],"accounts":["u1"]}`,
		`{"` + secret + `":1,"type":"user.deleted","accounts":["u1"],"` + secret + `":2}`,
		sns(`{"` + secret + `":1,"type":"user.deleted","accounts":["u1"],"` + secret + `":2}`),
		`{"detail-type":"x","detail":{"type":"user.deleted","accounts":["u1"]},"type":"user.deleted","accounts":["` + secret + `"]}`,
	}
	for i, body := range bodies {
		_, err := Parse(body)
		if err == nil {
			t.Errorf("body %d: Parse succeeded, want an error", i)
			continue
		}
		if strings.Contains(err.Error(), "Secret") {
			t.Errorf("body %d: error leaks the account: %v", i, err)
		}
	}
}

// TestParseEventFiles parses the sample events the SAM template ships, so a
// change of contract cannot silently break them.
func TestParseEventFiles(t *testing.T) {
	bodies := map[string]string{
		"plain":          `{"type":"gdpr.erasure","accounts":["user-1001","user-1002","user-1003"],"attrs":["sex","city"],"eventId":"evt-gdpr-0001","occurredAt":"2025-11-27T09:58:00Z"}`,
		"sns":            `{"Type":"Notification","MessageId":"6f5c3a1e-2b7d-4c8e-9a10-000000000001","TopicArn":"arn:aws:sns:us-east-1:123456789012:user-lifecycle","Subject":null,"Message":"{\"type\":\"gdpr.erasure\",\"accounts\":[\"user-5001\",\"user-5002\"],\"attrs\":[\"sex\"],\"eventId\":\"evt-sns-0001\",\"occurredAt\":\"2025-11-27T10:01:00Z\"}","Timestamp":"2025-11-27T10:01:00.000Z","SignatureVersion":"1"}`,
		"eventbridge":    `{"version":"0","id":"3e1f7a52-8c4d-4b0e-a6f2-000000000003","detail-type":"GdprErasureRequested","source":"com.example.privacy","account":"123456789012","time":"2025-11-27T10:03:00Z","region":"us-east-1","resources":[],"detail":{"type":"gdpr.erasure","accounts":["user-6001","user-6002","user-6003"],"attrs":["city","country"],"eventId":"evt-eb-0001","occurredAt":"2025-11-27T10:03:00Z"}}`,
		"33-byte (fail)": `{"type":"gdpr.erasure","accounts":["user-3903","user-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"],"attrs":["sex"],"eventId":"evt-mix-bad-account"}`,
	}
	for name, body := range bodies {
		_, err := Parse(body)
		if wantErr := strings.HasSuffix(name, "(fail)"); (err != nil) != wantErr {
			t.Errorf("%s: Parse error = %v, want error: %v", name, err, wantErr)
		}
	}
}

func TestParseInvalidKeepsAuditFields(t *testing.T) {
	body := `{"type":"gdpr.erasure","eventId":"evt-9","occurredAt":"2026-11-25T10:00:00Z","accounts":["ok","` + strings.Repeat("x", 33) + `"]}`
	req, err := Parse(body)
	if err == nil {
		t.Fatal("a 33-byte account was accepted")
	}
	if req.EventID != "evt-9" || req.OccurredAt != "2026-11-25T10:00:00Z" || req.Type != GDPRErasure {
		t.Errorf("audit fields lost: %+v", req)
	}
	if !slices.Equal(req.Accounts, []string{"ok"}) {
		t.Errorf("accounts = %v, want the well-formed one", req.Accounts)
	}
}

// TestParseInvalidNamesWellFormedAccounts: an invalid message still names
// its accounts (by hash, on its audit line and in its receipt's digest), so
// that a data subject's failed request can be found: the entries
// of an "accounts" array that are valid UserIDs, at most 10,000. An
// ambiguous body names none: which accounts were meant cannot be known.
func TestParseInvalidNamesWellFormedAccounts(t *testing.T) {
	many := make([]string, MaxAccountsPerRequest+5)
	for i := range many {
		many[i] = fmt.Sprintf("m%d", i)
	}
	// Repeats take no place among the 10,000.
	manyBody := `{"type":"user.deleted","accounts":["m0","` + strings.Join(many, `","`) + `"]}`
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"unknown type", `{"type":"user.renamed","accounts":["u1","u2"]}`, []string{"u1", "u2"}},
		{"invalid entries skipped, repeats collapse", `{"type":"user.deleted","accounts":["u1","",5,null,"` + strings.Repeat("x", 33) + `","u2","u1"]}`, []string{"u1", "u2"}},
		{"bad attrs", `{"type":"user.deleted","accounts":["u1"],"attrs":[""]}`, []string{"u1"}},
		{"bad eventId", `{"type":"user.deleted","accounts":["u1"],"eventId":5}`, []string{"u1"}},
		{"too many: the first 10,000", manyBody, many[:MaxAccountsPerRequest]},
		{"in an SNS envelope", sns(`{"type":"x","accounts":["u1"]}`), []string{"u1"}},
		{"in EventBridge in SNS", sns(eventBridge(`{"type":"x","accounts":["u1"]}`)), []string{"u1"}},
		{"accounts not an array", `{"type":"user.deleted","accounts":"u1"}`, nil},
		{"no valid entry", `{"type":"user.deleted","accounts":[1,""]}`, nil},
		{"empty array", `{"type":"user.deleted","accounts":[]}`, nil},
		{"repeated key", `{"type":"user.deleted","accounts":["u1"],"accounts":["u2"]}`, nil},
		{"repeated other key", `{"type":"user.deleted","accounts":["u1"],"x":1,"x":2}`, nil},
		{"beside an SNS envelope", `{"Type":"Notification","Message":` + quote(`{"type":"user.deleted","accounts":["u1"]}`) + `,"type":"x","accounts":["u2"]}`, nil},
		{"beside EventBridge in SNS", sns(`{"detail-type":"x","detail":{"type":"user.deleted","accounts":["u1"]},"accounts":["u2"]}`), nil},
		{"not JSON", `{"type":"user.deleted","accounts":["u1"]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse(tt.body)
			if err == nil {
				t.Fatal("accepted")
			}
			if !slices.Equal(req.Accounts, tt.want) {
				t.Errorf("Accounts = %d %.3q..., want %d %.3q...", len(req.Accounts), req.Accounts, len(tt.want), tt.want)
			}
			for _, a := range append(slices.Clone(tt.want), "u1", "u2") {
				if strings.Contains(err.Error(), `"`+a+`"`) {
					t.Errorf("error %q quotes an account", err)
				}
			}
		})
	}
}

// checkRejected parses body and checks it is rejected at field for reason,
// keeping at most the audit fields and well-formed accounts, never attrs;
// it returns what Parse returned.
func checkRejected(t *testing.T, body, field, reason string) Request {
	t.Helper()
	req, err := Parse(body)
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse: got (%v, %v), want *Error", req, err)
	}
	if perr.Field != field {
		t.Errorf("Field = %q, want %q (%v)", perr.Field, field, err)
	}
	if !strings.Contains(perr.Reason, reason) {
		t.Errorf("Reason = %q, want it to contain %q", perr.Reason, reason)
	}
	if req.Attrs != nil {
		t.Errorf("Parse returned attrs with an error: %v", req)
	}
	return req
}
