package awstier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// TestForgedLineage: a publisher sends messages straight to the queue with
// the function's lineage attributes set (20 requeues, someone else's
// original id, a first receive years ago) but without a MAC the audit key
// made. The function ignores them: each message is erased under its own
// id, with no requeues.
func TestForgedLineage(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "forged-lineage")
	const n = 3
	forged := map[string]sqstypes.MessageAttributeValue{
		sqsq.AttrRequeues:          {DataType: aws.String("Number"), StringValue: aws.String("20")},
		sqsq.AttrOriginalMessageID: {DataType: aws.String("String"), StringValue: aws.String("forged-original")},
		sqsq.AttrFirstReceived:     {DataType: aws.String("String"), StringValue: aws.String("2000-01-01T00:00:00Z")},
		sqsq.AttrLineageMAC:        {DataType: aws.String("String"), StringValue: aws.String("not-a-mac")},
	}
	ids := map[string]bool{}
	for i := range n {
		m := awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts(fmt.Sprintf("f%d", i), 20), EventID: fmt.Sprintf("forged-%d", i)}
		req, err := erasure.Parse(string(m.JSON()))
		if err != nil {
			t.Fatal(err)
		}
		attrs := forged
		if i == 0 {
			attrs = map[string]sqstypes.MessageAttributeValue{sqsq.AttrRequeues: forged[sqsq.AttrRequeues]} // no MAC at all
		}
		out, err := tier.clients.SQS.SendMessage(s.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.dep.QueueURL),
			MessageBody: aws.String(string(m.JSON())), MessageAttributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		ids[aws.ToString(out.MessageId)] = true
		s.track(req)
	}

	s.poller.Start()
	took := s.waitFor("the forged messages erased", time.Minute, s.erased)
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()

	seen := 0
	for _, l := range s.pool.AuditLines() {
		if !ids[l.MessageID] {
			continue
		}
		seen++
		if l.OriginalMessageID != l.MessageID || l.Requeues != 0 || l.Outcome != "erased" {
			t.Errorf("message %s: audit line %+v, want its own id as original, no requeues, erased", l.MessageID, l)
		}
	}
	if seen < n {
		t.Errorf("%d audit lines for %d messages", seen, n)
	}
	if dl := s.checkNoValidDeadLetters(); len(dl) > 0 {
		t.Errorf("%d messages in the DLQ", len(dl))
	}
	t.Logf("forged lineage: %d messages with forged attr-eraser.* attributes erased in %v under their own ids, no requeues", n, took.Round(time.Millisecond))
}
