package awstier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// fifoUnknownCode is an answer code Tencent does not document: class
// unknown, not retried, so the failing message fails at once.
const fifoUnknownCode = 99999

// TestFIFO: on a FIFO queue, in one message group, a valid
// message, one Tencent fails, an invalid one and another valid one. While
// the second fails, the invalid one behind it is blocked like the last one:
// reported failed, not dead-lettered, and every failed message is delayed
// by the schedule. Once Tencent answers, the group drains in order: the
// invalid message is dead-lettered when it is first in line, the last is
// erased after it.
func TestFIFO(t *testing.T) {
	t.Parallel()
	needTier(t)
	sc := tier.scaled
	ctx := t.Context()
	create := func(name string) (url, arn string) {
		out, err := tier.clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
			"FifoQueue": "true", "VisibilityTimeout": fmt.Sprint(int(sc.VisibilityTimeout.Seconds())),
		}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tier.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	}
	dlqURL, _ := create("verdicts-fifo-dlq.fifo")
	queueURL, queueARN := create("verdicts-fifo.fifo")
	s := newScenarioWith(t, "fifo", scenarioOptions{deadLetterURL: dlqURL})
	s.poller = &awstier.Poller{
		SQS: tier.clients.SQS, QueueURL: queueURL, QueueARN: queueARN,
		BatchSize: sc.BatchSize, Window: sc.BatchingWindow, Instances: s.pool.Invokers(),
		Timeout: sc.FunctionTimeout + 30*time.Second, Logf: t.Logf,
	}

	down := "fifo-down"
	s.tencent.FailAccounts(fifoUnknownCode, down)
	bodies := []struct {
		eventID string
		body    []byte
		valid   bool
	}{
		{"fifo-1", awstier.Erasure{Type: "user.deleted", Accounts: []string{"fifo-a"}, EventID: "fifo-1"}.JSON(), true},
		{"fifo-2", awstier.Erasure{Type: "user.deleted", Accounts: []string{down}, EventID: "fifo-2"}.JSON(), true},
		{"fifo-3", []byte(`{"type":"user.renamed","accounts":["fifo-x"],"eventId":"fifo-3"}`), false},
		{"fifo-4", awstier.Erasure{Type: "user.deleted", Accounts: []string{"fifo-b"}, EventID: "fifo-4"}.JSON(), true},
	}
	for _, b := range bodies {
		if _, err := tier.clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(queueURL), MessageBody: aws.String(string(b.body)),
			MessageGroupId: aws.String("subject-1"), MessageDeduplicationId: aws.String(b.eventID),
		}); err != nil {
			t.Fatal(err)
		}
		if b.valid {
			req, err := erasure.Parse(string(b.body))
			if err != nil {
				t.Fatal(err)
			}
			s.track(req)
		}
	}

	began := time.Now()
	s.poller.Start()
	blocked := func() bool {
		failed := s.failedReceives()
		return failed["fifo-3"] > 0 && failed["fifo-4"] > 0
	}
	s.waitFor("the messages behind the failure reported failed", sc.FunctionTimeout+10*time.Second, blocked)
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d dead letters while the invalid message was blocked behind a failure", len(dl))
	}
	s.tencent.FailAccounts(0, down)
	s.waitFor("the group drained", drainTimeout(), func() bool {
		empty, err := awstier.Drained(ctx, tier.clients, queueURL)
		return err == nil && empty
	})
	took := time.Since(began)
	s.poller.Stop()

	// Audit: blocked receives are fifo_blocked and delayed by the schedule.
	blockedReceives := 0
	for _, l := range s.pool.AuditLines() {
		if l.Outcome == string(eraser.Erased) || l.HandOff == string(eraser.DeadLettered) {
			continue
		}
		if l.HandOff != string(eraser.Delayed) || time.Duration(l.RetryAfterSeconds)*time.Second != sc.Backoff().Delay(l.ReceiveCount).Truncate(time.Second) {
			t.Errorf("%s, receive %d: %s/%s handOff %q retryAfter %ds; want delayed by %v", l.EventID, l.ReceiveCount, l.Outcome, l.Class, l.HandOff, l.RetryAfterSeconds, sc.Backoff().Delay(l.ReceiveCount))
		}
		if l.Class == string(erasure.FIFOBlocked) {
			blockedReceives++
		}
		if l.EventID == "fifo-3" && l.ReceiveCount == 1 && l.Class != string(erasure.FIFOBlocked) {
			t.Errorf("fifo-3 on its first receive: %s/%s, want blocked behind fifo-2", l.Outcome, l.Class)
		}
	}
	dl := s.deadLetters()
	if len(dl) != 1 || attrStrings(dl[0])[sqsq.AttrClass] != string(erasure.Invalid) || eventIDOf(dl[0]) != "fifo-3" {
		t.Errorf("DLQ: %d messages, want fifo-3 alone, class invalid", len(dl))
	}
	if !s.erased() {
		t.Error("not every account of the valid messages was erased")
	}
	t.Logf("fifo: 4 messages in one group (one failing, one invalid behind it), %d invocations, %d blocked receives, drained in %v, 1 dead letter",
		len(s.poller.Invocations()), blockedReceives, took.Round(time.Millisecond))
}

func eventIDOf(m sqstypes.Message) string {
	req, _ := erasure.Parse(aws.ToString(m.Body))
	return req.EventID
}
