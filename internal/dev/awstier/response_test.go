package awstier

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

func TestJudge(t *testing.T) {
	records := []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}, {MessageId: "c"}}
	all := []string{"a", "b", "c"}
	ok := func(payload string) localrun.Response {
		return localrun.Response{Status: 200, Payload: []byte(payload)}
	}
	tests := []struct {
		name       string
		res        localrun.Response
		err        error
		wantFailed []string
		wantBatch  bool // the whole batch failed
	}{
		{"empty response", ok(""), nil, nil, false},
		{"null response", ok("null"), nil, nil, false},
		{"empty object", ok("{}"), nil, nil, false},
		{"null list", ok(`{"batchItemFailures":null}`), nil, nil, false},
		{"empty list", ok(`{"batchItemFailures":[]}`), nil, nil, false},
		{"partial", ok(`{"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"a"}]}`), nil, []string{"a", "c"}, false},
		{"duplicate identifier", ok(`{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"b"}]}`), nil, []string{"b"}, false},
		{"unknown identifier", ok(`{"batchItemFailures":[{"itemIdentifier":"z"}]}`), nil, all, true},
		{"empty identifier", ok(`{"batchItemFailures":[{"itemIdentifier":""}]}`), nil, all, true},
		{"null identifier", ok(`{"batchItemFailures":[{"itemIdentifier":null}]}`), nil, all, true},
		{"misspelt key", ok(`{"batchItemFailures":[{"itemIdentifer":"a"}]}`), nil, all, true},
		{"identifier not a string", ok(`{"batchItemFailures":[{"itemIdentifier":1}]}`), nil, all, true},
		{"list not a list", ok(`{"batchItemFailures":"a"}`), nil, all, true},
		{"invalid JSON", ok(`{"batchItemFailures":[`), nil, all, true},
		{"not an object", ok(`"done"`), nil, all, true},
		{"function error object", ok(`{"errorMessage":"boom","errorType":"errorString"}`), nil, all, true},
		{"function error header", localrun.Response{Status: 200, FunctionError: "Unhandled", Payload: []byte(`{}`)}, nil, all, true},
		{"HTTP error", localrun.Response{Status: 502, Payload: []byte("timeout")}, nil, all, true},
		{"invoke failed", localrun.Response{}, errors.New("connection refused"), all, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.res, tt.err, records)
			if !slices.Equal(v.Failed, tt.wantFailed) || (v.BatchError != "") != tt.wantBatch {
				t.Errorf("Judge = %+v, want failed %v, batch error %v", v, tt.wantFailed, tt.wantBatch)
			}
		})
	}
}

// TestRecordShape checks a record against the shape of the sample events
// (taken from Lambda's documentation): the same JSON keys, message
// attributes with Lambda's empty lists, the source queue and region.
func TestRecordShape(t *testing.T) {
	raw, err := os.ReadFile("../../../events/sqs-gdpr-erasure.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct{ Records []map[string]json.RawMessage }
	if err := json.Unmarshal(raw, &sample); err != nil || len(sample.Records) == 0 {
		t.Fatalf("sample event: %v", err)
	}
	m := sqstypes.Message{
		MessageId: aws.String("m-1"), ReceiptHandle: aws.String("rh"), Body: aws.String(`{"x":1}`),
		MD5OfBody: aws.String("md5"), MD5OfMessageAttributes: aws.String("md5a"),
		Attributes: map[string]string{"ApproximateReceiveCount": "2", "SentTimestamp": "1", "SenderId": "s", "ApproximateFirstReceiveTimestamp": "2"},
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}},
		},
	}
	rec := Record(m, "arn:aws:sqs:us-east-1:123456789012:q", Region)
	b, _ := json.Marshal(rec)
	var got map[string]json.RawMessage
	_ = json.Unmarshal(b, &got)
	for k := range sample.Records[0] {
		if _, ok := got[k]; !ok {
			t.Errorf("record lacks %q", k)
		}
	}
	var attrs map[string]map[string]any
	_ = json.Unmarshal(got["messageAttributes"], &attrs)
	if attrs["s"]["stringValue"] != "v" || attrs["b"]["binaryValue"] != "AQI=" || attrs["s"]["dataType"] != "String" {
		t.Errorf("message attributes %s", got["messageAttributes"])
	}
	for _, a := range attrs {
		if l, ok := a["stringListValues"].([]any); !ok || len(l) != 0 {
			t.Errorf("stringListValues %v, want []", a["stringListValues"])
		}
	}
	if rec.EventSource != "aws:sqs" || rec.AWSRegion != Region || rec.Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("record %+v", rec)
	}
}
