package awstier_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestWithoutReportBatchItemFailures: the mapping in moto loses
// ReportBatchItemFailures (an operator's edit). The function's wiring check
// (lambda:ListEventSourceMappings on moto) sees it: each invocation deletes
// the messages it finished itself and ends in an error, so that only the
// failed one comes back; each erased message is delivered once, so no
// receipt or copy of it is made twice. Every other scenario runs with the
// setting on, and would fail if the check did not find it.
func TestWithoutReportBatchItemFailures(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "unwired")
	if err := awstier.SetReportBatchItemFailures(s.ctx, tier.clients, s.dep.MappingUUID, false); err != nil {
		t.Fatal(err)
	}
	s.tencent.FailAccounts(timtest.CodeInternal, "unwired-stuck")
	const n = 4
	for i := range n {
		s.publish(awstier.Direct, awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts(fmt.Sprintf("unwired-%d", i), 20), EventID: fmt.Sprintf("unwired-%d", i)}.JSON(), i, true)
	}
	stuck := s.publish(awstier.Direct, awstier.Erasure{Type: "user.deleted", Accounts: []string{"unwired-stuck"}, EventID: "unwired-stuck"}.JSON(), n, false)

	s.poller.Start()
	took := s.waitFor("the other messages erased", time.Minute, s.erased)
	s.waitFor("the failed message back", drainTimeout(), func() bool {
		_, ds := s.deliveries()
		return slices.ContainsFunc(ds, func(d delivery) bool { return d.messageID == stuck && d.receiveCount >= 2 })
	})
	s.poller.Stop()

	invs, ds := s.deliveries()
	times := map[string]int{}
	for _, d := range ds {
		times[d.messageID]++
	}
	for id, k := range times {
		if id != stuck && k != 1 {
			t.Errorf("message %s delivered %d times, want once: the function deletes what it finished", id, k)
		}
	}
	errored := 0
	for _, inv := range invs {
		if inv.Verdict.BatchError != "" {
			errored++
			if len(inv.Deleted) != 0 {
				t.Errorf("the poller deleted %v after a failed invocation", inv.Deleted)
			}
		} else {
			t.Errorf("an invocation of %d records ended without error though the mapping lacks ReportBatchItemFailures", len(inv.Records))
		}
	}
	v, f, d, err := awstier.QueueDepth(s.ctx, tier.clients, s.dep.QueueURL)
	if err != nil || v+f+d != 1 {
		t.Errorf("the queue holds %d messages (%v), want only the failed one", v+f+d, err)
	}
	out := s.pool.Tail(1 << 20)
	for _, want := range []string{`"level":"ERROR"`, `"` + telemetry.PartialBatchUnsupported + `":1`, sqsq.ErrPartialBatchUnsupported.Error()} {
		if !strings.Contains(out, want) {
			t.Errorf("the function's output lacks %s", want)
		}
	}
	t.Logf("without ReportBatchItemFailures: %d erased in %v, %d invocations all failed by the function (%d), the failed message back on receive 2, nothing else delivered twice",
		n, took.Round(time.Millisecond), len(invs), errored)
}
