package awstier_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// startFailureReceives is the source queue's maxReceiveCount in
// TestStartFailureDelays: enough receives to see two steps of the
// schedule.
const startFailureReceives = 3

// TestStartFailureDelays: the function's configuration fails at start
// (TIM_API names no API). The queue wiring is usable, so every
// receive still delays its messages by the retry schedule, not the queue's
// visibility timeout: on moto, each message comes back after the
// schedule's delay for its receive count, the delays doubling. On its
// last receive the function dead-letters it with class configuration and
// deletes it (the invocation ends in an error, so Lambda would not), so
// SQS's redrive makes no second copy without a reason.
func TestStartFailureDelays(t *testing.T) {
	t.Parallel()
	s := newScenarioWith(t, "start-failure", scenarioOptions{
		env:             map[string]string{config.EnvAPI: "no-such-api"},
		maxReceiveCount: startFailureReceives,
	})
	const n = 2
	for i := range n {
		// Never erased: not tracked as valid.
		s.publish(awstier.Direct, awstier.Erasure{Type: "user.deleted", Accounts: []string{fmt.Sprintf("start-failure-%d", i)}, EventID: fmt.Sprintf("start-failure-%d", i)}.JSON(), i, false)
	}
	sc := tier.scaled
	backoff := sc.Backoff()
	span := awstier.ScheduleSpan(backoff, startFailureReceives)
	s.poller.Start()
	s.waitFor("the queue drained", span+time.Duration(startFailureReceives)*(sc.FunctionTimeout+sc.BatchingWindow)+drainTimeout(), s.drained)
	s.poller.Stop()

	// Each message's receives, in order.
	_, ds := s.deliveries()
	byMessage := map[string][]delivery{}
	for _, d := range ds {
		byMessage[d.messageID] = append(byMessage[d.messageID], d)
	}
	if len(byMessage) != n {
		t.Fatalf("%d messages delivered, want %d", len(byMessage), n)
	}
	var gaps []string
	for id, rs := range byMessage {
		if len(rs) != startFailureReceives {
			t.Errorf("message %s received %d times, want %d (maxReceiveCount)", id, len(rs), startFailureReceives)
			continue
		}
		for k := 1; k < len(rs); k++ {
			gap := rs[k].received.Sub(rs[k-1].received)
			want := backoff.Delay(rs[k-1].receiveCount)
			// The delay is set at the end of the invocation, after the
			// receive: the gap may be shorter than it by no more than an
			// invocation, and the tier's visibility timeout is far longer.
			switch {
			case gap < want-sc.FunctionTimeout:
				t.Errorf("message %s came back %v after receive %d, before the schedule's %v", id, gap.Round(time.Millisecond), rs[k-1].receiveCount, want)
			case want < sc.VisibilityTimeout && gap >= sc.VisibilityTimeout:
				t.Errorf("message %s came back %v after receive %d: the queue's visibility timeout (%v), not the schedule's %v", id, gap.Round(time.Millisecond), rs[k-1].receiveCount, sc.VisibilityTimeout, want)
			}
			gaps = append(gaps, fmt.Sprintf("%d→%d %v (schedule %v)", rs[k-1].receiveCount, rs[k].receiveCount, gap.Round(10*time.Millisecond), want))
		}
	}
	dl := s.deadLetters()
	if len(dl) != n {
		t.Errorf("%d messages in the DLQ, want %d: one copy each, with its reason", len(dl), n)
	}
	for _, m := range dl {
		attrs := attrStrings(m)
		if attrs[sqsq.AttrClass] != string(erasure.Configuration) || !strings.Contains(attrs[sqsq.AttrReason], config.EnvAPI) {
			t.Errorf("dead letter %.80s: attributes %v, want class configuration and a reason naming %s", aws.ToString(m.Body), attrs, config.EnvAPI)
		}
	}
	if out := s.pool.Tail(1 << 20); !strings.Contains(out, "invalid configuration") {
		t.Error("the function's output does not say its configuration is invalid")
	}
	t.Logf("start failure: visibility timeout %v, schedule %v..%v; receives of each message came back after %s; %d dead letters, each with class configuration",
		sc.VisibilityTimeout, sc.RetryBase, sc.RetryMax, strings.Join(gaps, ", "), len(dl))
}
