package sqsq_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// benchEvent is an event of messages of n accounts each, its records as
// Lambda writes them.
func benchEvent(messages, n int) []byte {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, messages)}
	for m := range ev.Records {
		accounts := make([]string, n)
		for j := range accounts {
			accounts[j] = fmt.Sprintf("acct-%d-%d", m, j)
		}
		body, _ := json.Marshal(map[string]any{"type": "gdpr.erasure", "accounts": accounts, "eventId": fmt.Sprint("evt-", m), "occurredAt": "2026-11-25T10:00:00Z"})
		ev.Records[m] = events.SQSMessage{MessageId: fmt.Sprintf("%08x-87a3-44ab-83d2-661975830a7d", m), ReceiptHandle: strings.Repeat("AQEB", 75),
			Body: string(body), Md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3", EventSource: "aws:sqs", EventSourceARN: sourceARN, AWSRegion: "us-east-1",
			Attributes:        map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183", "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
			MessageAttributes: map[string]events.SQSMessageAttribute{}}
	}
	b, _ := json.Marshal(ev)
	return b
}

// BenchmarkDecodeEvent compares DecodeEvent with aws-lambda-go's decoding
// on row 9's two shapes:
//
//	go test -run '^$' -bench DecodeEvent -benchmem ./internal/sqsq
func BenchmarkDecodeEvent(b *testing.B) {
	for _, shape := range []struct {
		name        string
		messages, n int
	}{{"1000x1", 1000, 1}, {"10x10000", 10, 10_000}} {
		payload := benchEvent(shape.messages, shape.n)
		for _, dec := range []struct {
			name   string
			decode func([]byte) (events.SQSEvent, error)
		}{{"DecodeEvent", sqsq.DecodeEvent}, {"aws-lambda-go", awsLambdaGoDecode}} {
			b.Run(shape.name+"/"+dec.name, func(b *testing.B) {
				b.SetBytes(int64(len(payload)))
				for b.Loop() {
					if _, err := dec.decode(payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
