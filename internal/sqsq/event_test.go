package sqsq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// lambdaRecord is a record as Lambda's event source mapping writes it.
const lambdaRecord = `{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a","body":"{\"type\":\"user.deleted\",\"accounts\":[\"user-1001\"],\"eventId\":\"evt-1\",\"occurredAt\":\"2026-11-25T10:00:00Z\"}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},"messageAttributes":{},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}`

// copyRecord is one the function sent: lineage and publisher attributes
// of every type, on a FIFO queue.
const copyRecord = `{"messageId":"m-2","receiptHandle":"rh-2","body":"tab\there \"quoted\" \\ back\/slash, line\nbreak, ünïcödé ✓ 😀 <&>","attributes":{"ApproximateReceiveCount":"3","MessageGroupId":"g","SequenceNumber":"1"},"messageAttributes":{"attr-eraser-original-message-id":{"stringValue":"m-1","stringListValues":[],"binaryListValues":[],"dataType":"String"},"bin":{"binaryValue":"AAEC/w==","stringListValues":[],"binaryListValues":[],"dataType":"Binary"},"empty":{"stringValue":"","binaryValue":"","stringListValues":["a","b"],"binaryListValues":["AQ==",""],"dataType":"String.custom"}},"md5OfMessageAttributes":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:q.fifo","awsRegion":"us-east-2"}`

// decodeEventCases are payloads in plain form (plain: the fast decoder
// must answer) and the odd ones that encoding/json decodes in its own way.
var decodeEventCases = []struct {
	name    string
	payload string
	plain   bool
}{
	{"lambda's record", `{"Records":[` + lambdaRecord + `]}`, true},
	{"copy with attributes", `{"Records":[` + lambdaRecord + `,` + copyRecord + `]}`, true},
	{"no records", `{"Records":[]}`, true},
	{"records absent", `{}`, true},
	{"unknown members skipped", `{"x":[1,{"a":null}],"Records":[{"messageId":"a","other":{"b":[true,false,-1.5e3]}}]}`, true},
	{"whitespace between tokens", " \n{ \"Records\" :\t[ {\"messageId\" : \"a\" } ]\r\n} \n", true},
	{"pretty-printed", "{\n  \"Records\": [\n    {\n      \"messageId\": \"a\\\\\",\n      \"body\": \"{\\\"x\\\":1}\"\n    }\n  ]\n}\n", true},
	{"record missing every field", `{"Records":[{}]}`, true},
	{"missing messageId", `{"Records":[{"receiptHandle":"rh","body":"{}"}]}`, true},
	{"duplicate attribute names: the last wins", `{"Records":[{"attributes":{"k":"1","k":"2"}}]}`, true},

	{"empty payload", ``, false},
	{"not JSON", `not json`, false},
	{"truncated", `{"Records":[{"messageId":"a"`, false},
	{"trailing garbage after the event", `{"Records":[]} garbage`, false},
	{"second value", `{"Records":[]}{"Records":[{"messageId":"x"}]}`, false},
	{"null", `null`, false},
	{"array", `[]`, false},
	{"string", `"Records"`, false},
	{"records null", `{"Records":null}`, false},
	{"records an object", `{"Records":{"messageId":"a"}}`, false},
	{"record null", `{"Records":[null,{"messageId":"b"}]}`, false},
	{"record a number", `{"Records":[1]}`, false},
	{"messageId a number", `{"Records":[{"messageId":17}]}`, false},
	{"messageId null", `{"Records":[{"messageId":null,"body":"b"}]}`, false},
	{"md5OfBody a number", `{"Records":[{"messageId":"a","md5OfBody":5}]}`, false},
	{"attribute not a string", `{"Records":[{"attributes":{"ApproximateReceiveCount":1}}]}`, false},
	{"attributes null", `{"Records":[{"attributes":null}]}`, false},
	{"message attribute null", `{"Records":[{"messageAttributes":{"a":null}}]}`, false},
	{"stringValue null", `{"Records":[{"messageAttributes":{"a":{"stringValue":null}}}]}`, false},
	{"invalid base64", `{"Records":[{"messageAttributes":{"a":{"binaryValue":"%%%"}}}]}`, false},
	{"base64 with a line break", `{"Records":[{"messageAttributes":{"a":{"binaryValue":"AAEC\r\n/w=="}}}]}`, true},
	{"list of numbers", `{"Records":[{"messageAttributes":{"a":{"stringListValues":[1]}}}]}`, false},
	{"field in another case", `{"Records":[{"MessageId":"a","messageId":"b"}]}`, false},
	{"records in another case", `{"records":[{"messageId":"a"}]}`, false},
	{"field folded beyond ASCII", "{\"Records\":[{\"body\":\"a\",\"meſſageId\":\"k\"}]}", false},
	{"kelvin sign", "{\"Records\":[{\"\u212aey\":\"k\",\"messageId\":\"m\"}]}", false},
	{"duplicate field: the last wins", `{"Records":[{"body":"first","body":"second"}]}`, false},
	{"duplicate maps merge", `{"Records":[{"attributes":{"a":"1"},"attributes":{"b":"2"}}]}`, false},
	{"duplicate records", `{"Records":[{"messageId":"a"}],"Records":[{"messageId":"b"}]}`, false},
	{"unicode escape", `{"Records":[{"messageId":"\u0061\u00e9"}]}`, false},
	{"lone surrogate", `{"Records":[{"messageId":"\ud800x","body":"\udc00"}]}`, false},
	{"surrogate pair", `{"Records":[{"body":"\ud83d\ude00"}]}`, false},
	{"escaped key", `{"Records":[{"message\u0049d":"a"}]}`, false},
	{"invalid UTF-8", "{\"Records\":[{\"messageId\":\"a\xffb\",\"body\":\"\xc3\"}]}", false},
	{"raw control character", "{\"Records\":[{\"messageId\":\"a\x01b\"}]}", false},
	{"raw line break in a string", "{\"Records\":[{\"messageId\":\"a\nb\"}]}", false},
	{"raw tab in a pretty-printed event", "{\n\t\"Records\": [{\"messageId\": \"a\tb\"}]\n}", false},
	{"raw control character before an escape", "{\"x\":\"\x00\\b\",\"Records\":[]}", false},
	{"field name in another case, at the top", "{\"ReCords\":[{\"AwsRegion\":\"0\"}]}", false},
	{"invalid escape", `{"Records":[{"messageId":"a\qb"}]}`, false},
	{"leading zero", `{"Records":[],"n":01}`, false},
	{"byte order mark", "\xef\xbb\xbf{\"Records\":[]}", false},
	{"deep nesting", `{"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `,"Records":[{"messageId":"a"}]}`, false},
}

// awsLambdaGoDecode is the event as aws-lambda-go's handler decodes it for
// a function taking events.SQSEvent, or its error.
func awsLambdaGoDecode(payload []byte) (events.SQSEvent, error) {
	var got events.SQSEvent
	_, err := lambda.NewHandler(func(_ context.Context, ev events.SQSEvent) error {
		got = ev
		return nil
	}).Invoke(context.Background(), payload)
	return got, err
}

// unread blanks the fields DecodeEvent leaves empty.
func unread(ev events.SQSEvent) events.SQSEvent {
	for i := range ev.Records {
		r := &ev.Records[i]
		r.Md5OfBody, r.Md5OfMessageAttributes, r.EventSource, r.AWSRegion = "", "", "", ""
	}
	return ev
}

// checkDecodeEvent fails t unless DecodeEvent answers payload as
// aws-lambda-go does (which hands on no event with an error).
func checkDecodeEvent(t *testing.T, payload []byte) {
	t.Helper()
	want, wantErr := awsLambdaGoDecode(payload)
	got, err := sqsq.DecodeEvent(payload)
	if (err == nil) != (wantErr == nil) || err != nil && (err.Error() != wantErr.Error() || reflect.TypeOf(err) != reflect.TypeOf(wantErr)) {
		t.Fatalf("error = %T %v, aws-lambda-go's = %T %v", err, err, wantErr, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, unread(want)) {
		t.Fatalf("event =\n%#v\naws-lambda-go's =\n%#v", got, unread(want))
	}
}

func TestDecodeEventAnswersAsAWSLambdaGo(t *testing.T) {
	for _, tt := range decodeEventCases {
		t.Run(tt.name, func(t *testing.T) {
			checkDecodeEvent(t, []byte(tt.payload))
			if _, plain := sqsq.DecodePlain([]byte(tt.payload)); plain != tt.plain {
				t.Errorf("decoded in plain form: %v, want %v", plain, tt.plain)
			}
		})
	}
}

// The plain decoder reads what the function needs from Lambda's record.
func TestDecodeEventReadsLambdasRecord(t *testing.T) {
	ev, err := sqsq.DecodeEvent([]byte(`{"Records":[` + lambdaRecord + `]}`))
	if err != nil || len(ev.Records) != 1 {
		t.Fatalf("DecodeEvent = %v, %v", ev, err)
	}
	r := ev.Records[0]
	if r.MessageId != "059f36b4-87a3-44ab-83d2-661975830a7d" || r.ReceiptHandle != "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" ||
		r.EventSourceARN != "arn:aws:sqs:us-east-2:123456789012:my-queue" || r.Attributes["ApproximateReceiveCount"] != "1" ||
		!strings.HasPrefix(r.Body, `{"type":"user.deleted","accounts":["user-1001"]`) || r.MessageAttributes == nil {
		t.Errorf("record = %#v", r)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, tt := range decodeEventCases {
		f.Add([]byte(tt.payload))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkDecodeEvent(t, payload)
	})
}

// TestInvokeAnswersAsAWSLambdaGo: the function's entry point answers every
// event as aws-lambda-go's handler around Handle did: the same partial
// batch response, byte for byte, or the same error.
func TestInvokeAnswersAsAWSLambdaGo(t *testing.T) {
	record := func(id string) string {
		r, _ := json.Marshal(events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: "{}", EventSourceARN: sourceARN,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}, MessageAttributes: map[string]events.SQSMessageAttribute{}})
		return string(r)
	}
	tests := []struct {
		name    string
		payload string
		results []eraser.MessageResult
	}{
		{"all erased", `{"Records":[` + record("a") + `,` + record("b") + `]}`, nil},
		{"partial failure", `{"Records":[` + record("a") + `,` + record("<b&>") + `]}`,
			[]eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}, {MessageID: "<b&>", Outcome: eraser.Failed, Class: erasure.Retryable}}},
		{"a failed message without id", `{"Records":[` + record("") + `]}`,
			[]eraser.MessageResult{{MessageID: "", Outcome: eraser.Invalid, Class: erasure.Invalid}}},
		{"no records", `{"Records":[]}`, nil},
		{"malformed event", `{"Records":[{"messageId":5}]}`, nil},
		{"not JSON", `{"Records":`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := func(invoke func(context.Context, []byte) ([]byte, error)) (string, error) {
				out, err := invoke(context.Background(), []byte(tt.payload))
				return string(out), err
			}
			newHandler := func() *sqsq.Handler {
				return &sqsq.Handler{Eraser: &eraser.Handler{Processor: &scriptedProcessor{results: tt.results}}}
			}
			got, err := answer(newHandler().Invoke)
			want, wantErr := answer(lambda.NewHandler(newHandler().Handle).Invoke)
			if got != want || (err == nil) != (wantErr == nil) || err != nil && (err.Error() != wantErr.Error() || reflect.TypeOf(err) != reflect.TypeOf(wantErr)) {
				t.Errorf("Invoke = %q, %v; aws-lambda-go around Handle = %q, %v", got, err, want, wantErr)
			}
		})
	}
}

// TestUnreadFieldsStayUnread: DecodeEvent leaves empty the record fields
// the function never reads; the day its code reads one, it must decode it.
func TestUnreadFieldsStayUnread(t *testing.T) {
	unread := regexp.MustCompile(`\.(Md5OfBody|Md5OfMessageAttributes|EventSource|AWSRegion)\b`)
	root := filepath.Join("..", "..")
	checked := 0
	for _, dir := range []string{"function", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch {
			case d.IsDir() && (d.Name() == "dev" || d.Name() == "sqstest" || d.Name() == "testdata"):
				return filepath.SkipDir // stand-ins and benchmarks write them
			case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || d.Name() == "event.go":
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			if m := unread.Find(raw); m != nil {
				t.Errorf("%s reads %s, which DecodeEvent leaves empty", path, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestLargeEventsDecodeAsAWSLambdaGo: an event over 1 MiB, in plain form,
// goes to aws-lambda-go's decoding (fastjson's parse tree would add its
// size again to the peak memory), with the same records.
func TestLargeEventsDecodeAsAWSLambdaGo(t *testing.T) {
	for _, records := range []int{1000, 1300} { // about 0.9 and 1.2 MB
		var b strings.Builder
		b.WriteString(`{"Records":[`)
		for i := range records {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"messageId":"m-%05d","receiptHandle":"%s","body":"{\"type\":\"user.deleted\",\"accounts\":[\"u%05d\"]}","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:q"}`,
				i, strings.Repeat("h", 800), i)
		}
		b.WriteString(`]}`)
		payload := []byte(b.String())
		checkDecodeEvent(t, payload)
		_, plain := sqsq.DecodePlain(payload)
		if want := len(payload) <= 1<<20; plain != want {
			t.Errorf("%d records, %d bytes: decoded in plain form %v, want %v", records, len(payload), plain, want)
		}
	}
}
