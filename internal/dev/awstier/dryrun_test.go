package awstier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// dryRunReceives is how many receives of each message TestDryRun watches:
// enough to see the schedule's delays grow, few enough to keep the tier
// short (the scaled schedule's first steps take seconds).
const dryRunReceives = 3

// TestDryRun: with DRY_RUN=true on a real queue, every message, an invalid
// one too, is only delayed by the retry schedule: it comes back after the
// schedule's delay for its receive count (not after the visibility
// timeout, which would carry it to the DLQ within hours), nothing is
// dead-lettered, and Tencent gets no removal call.
func TestDryRun(t *testing.T) {
	t.Parallel()
	s := newScenarioWith(t, "dryrun", scenarioOptions{env: map[string]string{config.EnvDryRun: "true"}})
	sc := tier.scaled
	valid := awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts("dry", 5), EventID: "dryrun-valid"}
	s.publish(awstier.Direct, valid.JSON(), 0, true)
	s.publish(awstier.Direct, []byte(`{"type":"user.renamed","accounts":["dry-x"],"eventId":"dryrun-invalid"}`), 1, false)

	began := time.Now()
	s.poller.Start()
	// Without a delay the second receive would wait for the visibility
	// timeout; with the schedule the whole watch takes its first steps.
	bound := sc.Backoff().Delay(1) + sc.Backoff().Delay(2) + 2*(sc.FunctionTimeout+sc.BatchingWindow) + 10*time.Second
	bound = min(bound, sc.VisibilityTimeout)
	s.waitFor(fmt.Sprintf("each message received %d times", dryRunReceives), bound, func() bool {
		n := receivesPerEvent(s.deliveriesNow())
		return n["dryrun-valid"] >= dryRunReceives && n["dryrun-invalid"] >= dryRunReceives
	})
	watched := time.Since(began)
	s.poller.Stop()

	// Each receive came back no sooner than the delay its audit line set.
	lines := map[string]map[int]awstier.AuditLine{} // eventId -> receive -> line
	for _, l := range s.pool.AuditLines() {
		if lines[l.EventID] == nil {
			lines[l.EventID] = map[int]awstier.AuditLine{}
		}
		lines[l.EventID][l.ReceiveCount] = l
		want := sc.Backoff().Delay(l.ReceiveCount)
		if l.HandOff != string(eraser.Delayed) || time.Duration(l.RetryAfterSeconds)*time.Second != want.Truncate(time.Second) || l.Class == "" {
			t.Errorf("%s, receive %d: outcome %s class %s handOff %q retryAfter %ds; want delayed by %v", l.EventID, l.ReceiveCount, l.Outcome, l.Class, l.HandOff, l.RetryAfterSeconds, want)
		}
	}
	ds := s.deliveriesNow()
	last := map[string]time.Time{}
	for _, d := range ds {
		if prev, ok := last[d.eventID]; ok {
			if gap, want := d.received.Sub(prev), sc.Backoff().Delay(d.receiveCount-1); gap < want-500*time.Millisecond {
				t.Errorf("%s came back for receive %d after %v, before its delay %v", d.eventID, d.receiveCount, gap, want)
			}
		}
		last[d.eventID] = d.received
	}
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d messages in the DLQ after a dry run", len(dl))
	}
	if st := s.tencent.Stats(); st.RemoveCalls != 0 {
		t.Errorf("%d removal calls in a dry run", st.RemoveCalls)
	}
	t.Logf("dry run: 2 messages (1 invalid), each received %d times in %v (visibility timeout %v, delays %v, %v), no dead letter, no removal call",
		dryRunReceives, watched.Round(time.Millisecond), sc.VisibilityTimeout, sc.Backoff().Delay(1), sc.Backoff().Delay(2))
}
