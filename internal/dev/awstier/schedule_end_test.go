package awstier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// scheduleEndReceives is the source queue's maxReceiveCount in
// TestScheduleEnd: the template's 30 receives would take the whole tier's
// time; the function reads whichever the queue has.
const scheduleEndReceives = 3

// TestScheduleEnd: Tencent answers 91000 (retryable) for one account on
// every call, so its message fails on every receive. On the receive at the
// queue's maxReceiveCount, read from the RedrivePolicy, the function
// dead-letters it itself, with class retryable and the reason, acknowledges
// it, and puts an "Erasure Failed" receipt once the copy is in the DLQ.
// The message beside it is erased; nothing else reaches the DLQ.
func TestScheduleEnd(t *testing.T) {
	t.Parallel()
	needTier(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sink, err := awstier.DeployReceiptSink(ctx, tier.clients, "schedule-end", true)
	if err != nil {
		t.Fatal(err)
	}
	s := newScenarioWith(t, "schedule-end", scenarioOptions{
		env:             map[string]string{config.EnvReceiptEventBus: sink.Bus},
		maxReceiveCount: scheduleEndReceives,
	})
	const doomedAccount = "end-doomed"
	s.tencent.FailAccounts(timtest.CodeInternal, doomedAccount)
	doomed := awstier.Erasure{Type: "gdpr.erasure", Accounts: []string{doomedAccount}, EventID: "schedule-end-doomed"}
	fine := awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts("end-fine", 20), EventID: "schedule-end-fine"}
	s.publish(awstier.Direct, doomed.JSON(), 0, false) // never erased: not tracked as valid
	s.publish(awstier.Direct, fine.JSON(), 1, true)
	began := time.Now()
	s.poller.Start()
	s.waitFor("the valid message erased", time.Minute, s.erased)
	sc := tier.scaled
	span := awstier.ScheduleSpan(sc.Backoff(), scheduleEndReceives)
	s.waitFor("the queue drained", span+time.Duration(scheduleEndReceives)*(sc.FunctionTimeout+sc.BatchingWindow)+drainTimeout(), s.drained)
	took := time.Since(began)
	s.poller.Stop()

	_, ds := s.deliveries()
	receives := 0
	for _, d := range ds {
		if d.eventID == doomed.EventID {
			receives = max(receives, d.receiveCount)
		}
	}
	if receives != scheduleEndReceives {
		t.Errorf("the failing message was received %d times, want %d (maxReceiveCount)", receives, scheduleEndReceives)
	}
	dl := s.checkNoValidDeadLetters()
	if len(dl) != 1 {
		t.Fatalf("%d messages in the DLQ, want the failing one alone", len(dl))
	}
	attrs := attrStrings(dl[0])
	if !strings.Contains(aws.ToString(dl[0].Body), doomed.EventID) || attrs[sqsq.AttrClass] != string(erasure.Retryable) ||
		!strings.Contains(attrs[sqsq.AttrReason], "91000") {
		t.Errorf("dead letter %.80s: attributes %v, want the failing message with class retryable and a reason naming 91000", aws.ToString(dl[0].Body), attrs)
	}
	var failed []awstier.Receipt
	s.waitFor("the Erasure Failed receipt", 30*time.Second, func() bool {
		rs, err := sink.Receive(s.ctx, tier.clients)
		if err != nil {
			t.Errorf("receipts: %v", err)
		}
		for _, r := range rs {
			if r.DetailType == string(eraser.ReceiptFailed) {
				failed = append(failed, r)
			}
		}
		return len(failed) > 0
	})
	if d := failed[0].Detail; len(failed) != 1 || d.EventID != doomed.EventID || d.Class != string(erasure.Retryable) || !strings.Contains(d.Reason, "91000") || d.Accounts != 1 {
		t.Errorf("Erasure Failed receipts %d, first %+v; want one for %s, class retryable, a reason naming 91000", len(failed), d, doomed.EventID)
	}
	t.Logf("schedule end: maxReceiveCount %d, received %d times, dead-lettered by the function with class %s after %v (the schedule's delays: %v)",
		scheduleEndReceives, receives, attrs[sqsq.AttrClass], took.Round(time.Millisecond), span)
}
