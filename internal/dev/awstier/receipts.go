package awstier

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/receipts"
)

// ReceiptSink is what a privacy (DSAR) tool deploys to consume the
// function's receipts: an EventBridge bus, a rule on it matching the
// receipts' source, and an SQS queue as the rule's target, whose policy
// lets EventBridge send to it (moto does not check it; AWS does).
type ReceiptSink struct {
	// Bus is the bus's name: the function's RECEIPT_EVENT_BUS.
	Bus                string
	Rule               string
	QueueURL, QueueARN string
}

// ReceiptPattern is the sink's rule: every event of the function.
func ReceiptPattern() string {
	b, _ := json.Marshal(map[string]any{"source": []string{receipts.Source}})
	return string(b)
}

// DeployReceiptSink creates a sink named name: its queue, and with
// createBus its bus, rule and target. Without it the bus is left for
// CreateBus, so that a function pointed at it meanwhile has its receipts
// refused: moto, unlike EventBridge, fails PutEvents to a bus that does
// not exist (ResourceNotFoundException, HTTP 400), the whole call.
func DeployReceiptSink(ctx context.Context, c *Clients, name string, createBus bool) (*ReceiptSink, error) {
	r := &ReceiptSink{Bus: name + "-receipts", Rule: name + "-receipts-rule"}
	var err error
	if r.QueueURL, r.QueueARN, err = createQueue(ctx, c, name+"-receipts", nil); err != nil {
		return nil, err
	}
	busARN := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", Region, Account, r.Bus)
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "ReceiptsFromEventBridge",
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  r.QueueARN,
			"Condition": map[string]any{"ArnEquals": map[string]string{
				"aws:SourceArn": fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", Region, Account, r.Bus, r.Rule),
			}},
		}},
	})
	if _, err := c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(r.QueueURL), Attributes: map[string]string{"Policy": string(policy)},
	}); err != nil {
		return nil, fmt.Errorf("receipt queue policy (for %s): %w", busARN, err)
	}
	if createBus {
		if err := r.CreateBus(ctx, c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// CreateBus creates the sink's bus, its rule and the rule's target.
func (r *ReceiptSink) CreateBus(ctx context.Context, c *Clients) error {
	if _, err := c.Events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(r.Bus)}); err != nil {
		return fmt.Errorf("create receipt bus: %w", err)
	}
	if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(r.Rule), EventBusName: aws.String(r.Bus), EventPattern: aws.String(ReceiptPattern()),
	}); err != nil {
		return fmt.Errorf("put receipt rule: %w", err)
	}
	if _, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(r.Rule), EventBusName: aws.String(r.Bus),
		Targets: []ebtypes.Target{{Id: aws.String("ReceiptQueue"), Arn: aws.String(r.QueueARN)}},
	}); err != nil {
		return fmt.Errorf("put receipt target: %w", err)
	}
	return nil
}

// Receipt is one receipt as the sink's queue delivered it: the
// EventBridge event the rule sent, with the receipt in Detail.
type Receipt struct {
	// Body is the SQS message body, the whole event.
	Body string
	// EventID is the event's "id", EventBridge's id of the PutEvents entry.
	EventID    string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	RawDetail  json.RawMessage `json:"detail"`
	Detail     receipts.Detail `json:"-"`
}

// Receive receives and deletes every receipt now in the sink's queue, as
// a consumer would. A body that is not an event is an error, after the
// others are returned.
func (r *ReceiptSink) Receive(ctx context.Context, c *Clients) ([]Receipt, error) {
	var all []Receipt
	var bad error
	for {
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.QueueURL), MaxNumberOfMessages: 10,
		})
		if err != nil {
			return all, err
		}
		if len(out.Messages) == 0 {
			return all, bad
		}
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
			rc := Receipt{Body: aws.ToString(m.Body)}
			if err := json.Unmarshal([]byte(rc.Body), &rc); err != nil {
				bad = fmt.Errorf("receipt %.200s: %w", rc.Body, err)
				continue
			}
			if err := json.Unmarshal(rc.RawDetail, &rc.Detail); err != nil {
				bad = fmt.Errorf("receipt detail %.200s: %w", rc.RawDetail, err)
				continue
			}
			all = append(all, rc)
		}
		del, err := c.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.QueueURL), Entries: entries})
		if err != nil {
			return all, fmt.Errorf("delete receipts: %w", err)
		}
		if len(del.Failed) > 0 {
			// Such a receipt comes back: the consumer sees a duplicate.
			bad = fmt.Errorf("%d receipts not deleted: %s", len(del.Failed), aws.ToString(del.Failed[0].Message))
		}
	}
}
