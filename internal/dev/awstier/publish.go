package awstier

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Route is how a message reaches the queue: straight to SQS, or through an
// AWS service that wraps it in its own envelope (or not).
type Route int

// The routes of the template's upstreams.
const (
	// Direct is SQS SendMessage.
	Direct Route = iota
	// SNSRaw is an SNS topic whose subscription has RawMessageDelivery
	// on: SQS receives the message as published.
	SNSRaw
	// SNSEnvelope is RawMessageDelivery off: SQS receives SNS's JSON
	// notification with the message in "Message".
	SNSEnvelope
	// EventBridge is PutEvents on the bus; the rule delivers the whole
	// event with the message as "detail".
	EventBridge
)

// Routes lists every route, for spreading a scenario's messages.
var Routes = []Route{Direct, SNSRaw, SNSEnvelope, EventBridge}

func (r Route) String() string {
	return [...]string{"sqs", "sns-raw", "sns-envelope", "eventbridge"}[r]
}

// Publish sends body (an erasure message) to the deployment's queue by
// route. seq picks the EventBridge detail-type among the rule's.
func (d *Deployment) Publish(ctx context.Context, c *Clients, r Route, body []byte, seq int) error {
	_, err := d.PublishID(ctx, c, r, body, seq)
	return err
}

// PublishID is Publish, returning the id the route's service gave the
// message: the SQS message id for Direct, the SNS message id, or the
// EventBridge event id (SQS assigns the queue's message id of the last
// two only when it takes the delivery, so only a receive tells it).
func (d *Deployment) PublishID(ctx context.Context, c *Clients, r Route, body []byte, seq int) (string, error) {
	var err error
	var id *string
	switch r {
	case Direct:
		var out *sqs.SendMessageOutput
		out, err = c.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.QueueURL), MessageBody: aws.String(string(body))})
		if err == nil {
			id = out.MessageId
		}
	case SNSRaw, SNSEnvelope:
		var out *sns.PublishOutput
		out, err = c.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(d.Topics[r == SNSRaw]), Message: aws.String(string(body))})
		if err == nil {
			id = out.MessageId
		}
	case EventBridge:
		if d.Bus == "" {
			return "", fmt.Errorf("publish by %v: the template has no EventBridge rule for the queue", r)
		}
		if !json.Valid(body) || body[0] != '{' {
			// EventBridge only takes a JSON object as detail.
			return "", fmt.Errorf("publish by %v: the body is not a JSON object", r)
		}
		var out *eventbridge.PutEventsOutput
		out, err = c.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(d.Bus),
			Source:       aws.String("com.example.attr-eraser.awstier"),
			DetailType:   aws.String(d.DetailTypes[seq%len(d.DetailTypes)]),
			Detail:       aws.String(string(body)),
		}}})
		if err == nil && out.FailedEntryCount > 0 {
			err = fmt.Errorf("%d entries failed: %s", out.FailedEntryCount, aws.ToString(out.Entries[0].ErrorMessage))
		}
		if err == nil && len(out.Entries) > 0 {
			id = out.Entries[0].EventId
		}
	default:
		return "", fmt.Errorf("unknown route %d", r)
	}
	if err != nil {
		return "", fmt.Errorf("publish by %v: %w", r, err)
	}
	return aws.ToString(id), nil
}

// Erasure is an erasure message of the README's contract.
type Erasure struct {
	Type     string   `json:"type"`
	Accounts []string `json:"accounts"`
	Attrs    []string `json:"attrs,omitempty"`
	EventID  string   `json:"eventId"`
	// OccurredAt is sent when set (receipts carry it back as sent).
	OccurredAt string `json:"occurredAt,omitempty"`
}

// JSON is the message body.
func (e Erasure) JSON() []byte {
	b, _ := json.Marshal(e) // strings only: cannot fail
	return b
}

// Accounts returns n account IDs "prefix-0000000" ... (short, so a
// 10,000-account message stays well under 256 KB, which every route
// takes).
func Accounts(prefix string, n int) []string {
	a := make([]string, n)
	for i := range a {
		a[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return a
}
