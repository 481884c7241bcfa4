package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// maxListed bounds each list of the report.
const maxListed = 25

// report prints what happened: the invocations, what the Tencent stand-in
// erased, the DLQ's messages, the receipts, and what is left in the queue.
func (s *stack) report() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := s.out.printf
	var errs []error

	invs := s.poller.Invocations()
	received, wholeFailed := 0, 0
	for _, inv := range invs {
		received += len(inv.Records)
		if inv.Verdict.BatchError != "" {
			wholeFailed++
		}
	}
	p("\n== What happened: %s, %s received", count(len(invs), "invocation"), count(received, "message"))
	if wholeFailed > 0 {
		p(" (%d invocations failed as a whole)", wholeFailed)
	}
	p(" ==\n")

	removed := s.tencent.RemovedAccounts()
	stats := s.tencent.Stats()
	p("\nErased (the Tencent stand-in's record: %s, %s", count(stats.RemoveCalls, "im_remove_attr call"), count(len(removed), "account"))
	if stats.RateLimited > 0 {
		p(", %d calls answered 'rate limited' and retried", stats.RateLimited)
	}
	p("):\n")
	accounts := slices.Sorted(maps.Keys(removed))
	for i, a := range accounts {
		if i == maxListed {
			p("  ... and %d more accounts\n", len(accounts)-maxListed)
			break
		}
		p("  %-16s %s\n", a, strings.Join(removed[a], ", "))
	}
	if len(accounts) == 0 {
		p("  nothing\n")
	}

	dead, hidden, err := receiveAll(ctx, s.clients, s.dep.DeadLetterURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("read the DLQ: %w", err))
	}
	p("\nDead-letter queue: %s", count(len(dead), "message"))
	if hidden > 0 {
		p(" (and %d hidden by someone's receive, not shown)", hidden)
	}
	p("\n")
	for i, m := range dead {
		if i == maxListed {
			p("  ... and %d more\n", len(dead)-maxListed)
			break
		}
		attrs := messageAttrs(m)
		class, reason := attrs[sqsq.AttrClass], attrs[sqsq.AttrReason]
		if class == "" {
			// Not sent by the function: moved by the redrive policy.
			class, reason = "-", "moved by the redrive policy after "+m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]+" receives"
		}
		p("  %s  %s=%s  %s=%q\n", aws.ToString(m.MessageId), sqsq.AttrClass, class, sqsq.AttrReason, reason)
		if orig := attrs[sqsq.AttrOriginalMessageID]; orig != "" {
			p("      %s=%s\n", sqsq.AttrOriginalMessageID, orig)
		}
		p("      body: %s\n", clip(aws.ToString(m.Body), 160))
	}

	got, hidden, err := receiveAll(ctx, s.clients, s.receipts.QueueURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("read the receipts queue: %w", err))
	}
	p("\nReceipts on %s: %d", s.receipts.Bus, len(got))
	if hidden > 0 {
		p(" (and %d hidden by someone's receive, not shown)", hidden)
	}
	p("\n")
	for i, m := range got {
		if i == maxListed {
			p("  ... and %d more\n", len(got)-maxListed)
			break
		}
		p("  %s\n", describeReceipt(aws.ToString(m.Body)))
	}

	visible, inFlight, delayed, err := awstier.QueueDepth(ctx, s.clients, s.dep.QueueURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("read the queue's depth: %w", err))
	} else {
		p("\nLeft in the queue: %d visible, %d in flight (waiting out a retry delay or visibility timeout), %d delayed\n", visible, inFlight, delayed)
	}
	return errors.Join(errs...)
}

// receiveAll receives every visible message of a queue, hiding each for
// longer than the report takes so that none is read twice; hidden is how
// many others were already in flight.
func receiveAll(ctx context.Context, c *awstier.Clients, url string) (msgs []sqstypes.Message, hidden int, err error) {
	seen := map[string]bool{}
	for {
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           600,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return msgs, 0, err
		}
		fresh := 0
		for _, m := range out.Messages {
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id] = true
				msgs = append(msgs, m)
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	_, inFlight, _, err := awstier.QueueDepth(ctx, c, url)
	return msgs, max(0, inFlight-len(msgs)), err
}

func messageAttrs(m sqstypes.Message) map[string]string {
	out := map[string]string{}
	for k, v := range m.MessageAttributes {
		out[k] = aws.ToString(v.StringValue)
	}
	return out
}

// describeReceipt is one line for a receipt: the EventBridge event the
// rule delivered, with the receipt as its detail.
func describeReceipt(body string) string {
	var ev struct {
		DetailType string          `json:"detail-type"`
		Detail     receipts.Detail `json:"detail"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return "unreadable: " + clip(body, 160)
	}
	d := ev.Detail
	line := fmt.Sprintf("%-17s eventId=%q messageId=%s type=%q accounts=%d", ev.DetailType, d.EventID, d.MessageID, d.Type, d.Accounts)
	if len(d.Erased) > 0 {
		line += " erased=" + strings.Join(d.Erased, ",")
	}
	if d.Class != "" || d.Reason != "" {
		line += fmt.Sprintf(" class=%s reason=%q", d.Class, d.Reason)
	}
	return line
}

// clip shortens s to n bytes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
