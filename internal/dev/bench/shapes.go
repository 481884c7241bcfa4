package bench

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// Shape is one of the two batch shapes of issue 4.
type Shape struct {
	// Name is the label printed in the table.
	Name string
	// Messages and AccountsPerMessage give Messages x AccountsPerMessage
	// distinct accounts per batch.
	Messages, AccountsPerMessage int
}

// The shapes of issue 4; both carry 10,000 distinct accounts.
var (
	// ShapeA is 100 messages of 100 distinct accounts each.
	ShapeA = Shape{Name: "a: 100 msg x 100 acc", Messages: 100, AccountsPerMessage: 100}
	// ShapeB is 10,000 single-account messages in one batch.
	ShapeB = Shape{Name: "b: 10,000 msg x 1 acc", Messages: 10_000, AccountsPerMessage: 1}
	// ShapeLarge is one message of 10,000 accounts, the largest a message
	// may name (row 11).
	ShapeLarge = Shape{Name: "c: 1 msg x 10,000 acc", Messages: 1, AccountsPerMessage: 10_000}
)

// Accounts is the number of distinct accounts of one batch.
func (s Shape) Accounts() int { return s.Messages * s.AccountsPerMessage }

// Account is the account ID number n of batch tag; IDs are 1-32 bytes of
// printable ASCII like real Tencent UserIDs.
func Account(tag string, n int) string {
	return "u" + tag + "-" + strconv.Itoa(n)
}

// Body is the SQS message body of message m of a batch of shape s. Messages
// name no attributes, so the app's default set applies, as an upstream
// "user deleted" publisher would send them.
func (s Shape) Body(tag string, m int) string {
	accounts := make([]string, s.AccountsPerMessage)
	for j := range accounts {
		accounts[j] = Account(tag, m*s.AccountsPerMessage+j)
	}
	typ := "user.deleted"
	if s.AccountsPerMessage > 1 {
		typ = "gdpr.erasure"
	}
	js, _ := json.Marshal(struct {
		Type       string   `json:"type"`
		Accounts   []string `json:"accounts"`
		EventID    string   `json:"eventId"`
		OccurredAt string   `json:"occurredAt"`
	}{typ, accounts, fmt.Sprintf("evt-%s-%d", tag, m), "2026-11-25T10:00:00Z"})
	return string(js)
}

// Event is one SQS batch of shape s. tag makes its account IDs and message
// IDs unique, so back-to-back batches never repeat an account.
func (s Shape) Event(tag string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, s.Messages)}
	for m := range ev.Records {
		ev.Records[m] = events.SQSMessage{
			MessageId:      fmt.Sprintf("msg-%s-%05d", tag, m),
			ReceiptHandle:  "rh-" + strconv.Itoa(m),
			Body:           s.Body(tag, m),
			Attributes:     map[string]string{"ApproximateReceiveCount": "1"},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:attr-eraser",
			AWSRegion:      "eu-central-1",
		}
	}
	return ev
}
