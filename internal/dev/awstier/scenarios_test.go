package awstier_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestBacklog: a backlog of at least 5 invocations' capacity of
// 10,000-account messages. Every account is erased, no valid message ends
// in the DLQ, and no message is kept out for a backoff step merely because
// an invocation did not reach it: those come back at once as requeued
// copies, and a message that comes back after a delay was reached.
func TestBacklog(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "backlog")

	// One invocation's capacity: its per-instance rate for the time before
	// the function's cutoff, 100 accounts a call.
	rate, err := strconv.Atoi(tier.settings.Env[config.EnvRateLimit])
	if err != nil {
		t.Fatalf("the template's %s: %v", config.EnvRateLimit, err)
	}
	timeout := tier.scaled.FunctionTimeout
	margin := max(eraser.DefaultSafetyMargin, time.Duration(eraser.DefaultMarginFraction*float64(timeout)))
	capacity := int((timeout-margin).Seconds()*float64(rate)) * erasure.MaxAccountsPerCall
	n := ceilDiv(5*capacity, erasure.MaxAccountsPerRequest)
	msgs := make([]awstier.Erasure, n)
	for i := range msgs {
		msgs[i] = awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts(fmt.Sprintf("b%d", i), erasure.MaxAccountsPerRequest), EventID: fmt.Sprintf("backlog-%d", i)}
	}
	s.publishAll(msgs)
	accounts := n * erasure.MaxAccountsPerRequest

	began := time.Now()
	s.poller.Start()
	s.waitFor("every account erased", 150*time.Second, s.erased)
	took := time.Since(began)
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()

	if dl := s.checkNoValidDeadLetters(); len(dl) > 0 {
		t.Errorf("%d messages in the DLQ", len(dl))
	}

	// The function's account of each receive: unreached ones requeued.
	type receive struct {
		id string
		n  int
	}
	audit := map[receive]awstier.AuditLine{}
	unreached, requeued, delayed := 0, 0, 0
	for _, l := range s.pool.AuditLines() {
		audit[receive{l.MessageID, l.ReceiveCount}] = l
		if l.HandOff == string(eraser.Requeued) {
			requeued++
		}
		if l.Unreached {
			unreached++
			if l.HandOff != string(eraser.Requeued) && l.Requeues < eraser.MaxRequeues {
				t.Errorf("message %s (%s), unreached on receive %d, was handed off as %q (%s), not requeued", l.MessageID, l.EventID, l.ReceiveCount, l.HandOff, l.HandOffError)
			}
		}
		if l.HandOff == string(eraser.Delayed) {
			delayed++
		}
	}
	// What SQS delivered: copies carry their lineage, and a message that
	// came back after its visibility ran out was reached the time before.
	invs, ds := s.deliveries()
	copies := map[string]bool{}
	comebacks := 0
	for _, d := range ds {
		if _, ok := audit[receive{d.messageID, d.receiveCount}]; !ok {
			t.Errorf("no audit line for receive %d of message %s (%s)", d.receiveCount, d.messageID, d.eventID)
		}
		if d.requeues > 0 {
			copies[d.messageID] = true
		}
		if d.receiveCount < 2 {
			continue
		}
		comebacks++
		prev, ok := audit[receive{d.messageID, d.receiveCount - 1}]
		if !ok || prev.Unreached || prev.HandOff != string(eraser.Delayed) {
			t.Errorf("message %s (%s) came back for receive %d; its receive before: %+v", d.messageID, d.eventID, d.receiveCount, prev)
		}
	}
	if unreached == 0 {
		t.Errorf("no unreached receive in %d deliveries: a backlog of 5 x one invocation's capacity must leave messages unreached", len(ds))
	}
	if len(copies) != requeued {
		t.Errorf("the function reported %d requeues, SQS delivered %d copies", requeued, len(copies))
	}
	stats := s.tencent.Stats()
	if stats.MaxAccountsPerCall > erasure.MaxAccountsPerCall {
		t.Errorf("a call carried %d accounts", stats.MaxAccountsPerCall)
	}
	t.Logf("backlog: %d messages x %d accounts = %d (one invocation's capacity %d: timeout %v, %d calls/s) erased in %v, %.0f accounts/s (Tencent's ceiling %d); %d invocations, %d deliveries, %d unreached, %d requeued -> %d copies delivered, %d delayed -> %d back after a delay; %d Tencent calls, %d answered 60018 (rate limit; retried)",
		n, erasure.MaxAccountsPerRequest, accounts, capacity, timeout, rate, took.Round(time.Millisecond),
		float64(accounts)/took.Seconds(), tencentRateLimit*erasure.MaxAccountsPerCall,
		len(invs), len(ds), unreached, requeued, len(copies), delayed, comebacks, stats.RemoveCalls, stats.RateLimited)
}

// signingKeyStaleRetry is how long the function keeps the outcome of a
// re-read of the secret that brought no new key (signingkey's staleRetry,
// unexported): the longest a fixed secret can go unnoticed.
const signingKeyStaleRetry = 30 * time.Second

// TestOutage: every call fails (HTTP 502 and 91000), then Tencent rejects
// the key, while each message is received outageReceives times on the
// scaled schedule; then the operator puts Tencent's key in the secret. No
// valid message ends in the DLQ, every account is erased, each message
// came back no sooner than the schedule says, and the Tencent calls of the
// outage stay under the bound the batches allow.
func TestOutage(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "outage")
	sc := tier.scaled
	if need := outageReceives + 1; sc.MaxReceiveCount > 0 && sc.MaxReceiveCount < need {
		t.Fatalf("the template's maxReceiveCount %d moves a message to the DLQ before the %d receives of this outage and the one after it", sc.MaxReceiveCount, need)
	}

	msgs := make([]awstier.Erasure, 8)
	for i := range msgs {
		msgs[i] = awstier.Erasure{Type: "gdpr.erasure", Accounts: awstier.Accounts(fmt.Sprintf("o%d", i), 150), EventID: fmt.Sprintf("outage-%d", i)}
	}
	s.publishAll(msgs)

	tencentKey := timtest.NewKey() // what Tencent's console holds after a rotation
	phases := []struct {
		name     string
		receives int // every message received at least this often by its end
		apply    func() error
		happened func(before, after timtest.Stats) bool
	}{
		{"every call fails (HTTP 502, 91000)", outageReceives / 2,
			func() error {
				f := latency
				f.HTTP502, f.Internal91000 = 0.5, 0.5
				return s.tencent.SetFaults(f)
			},
			func(b, a timtest.Stats) bool {
				return a.Faults[timtest.FaultHTTP502] > b.Faults[timtest.FaultHTTP502] &&
					a.Faults[timtest.FaultInternal] > b.Faults[timtest.FaultInternal] && a.RemoveCalls == b.RemoveCalls
			}},
		{"Tencent rejects the key", outageReceives,
			func() error {
				s.tencent.SetKey(tencentKey) // a key the secret does not hold
				return s.tencent.SetFaults(latency)
			},
			func(b, a timtest.Stats) bool {
				return a.Rejected[timtest.CodeSigMismatch] > b.Rejected[timtest.CodeSigMismatch] && a.RemoveCalls == b.RemoveCalls
			}},
	}
	first := s.tencent.Stats()
	began := time.Now()
	for i, ph := range phases {
		before := s.tencent.Stats()
		if err := ph.apply(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			s.poller.Start()
		}
		took := s.waitFor(ph.name, 2*time.Minute, func() bool {
			_, ds := s.deliveries()
			per := receivesPerEvent(ds)
			for _, m := range msgs {
				if per[m.EventID] < ph.receives {
					return false
				}
			}
			return true
		})
		if !ph.happened(before, s.tencent.Stats()) {
			t.Errorf("outage phase %q: Tencent's counters do not show it (before %+v, after %+v)", ph.name, before, s.tencent.Stats())
		}
		t.Logf("outage phase %q: %v", ph.name, took.Round(time.Millisecond))
	}
	ended := time.Now()
	outage := ended.Sub(began)
	during := s.tencent.Stats()

	// Recovery: the operator stores Tencent's key in the secret.
	if _, err := s.dep.RotateSecret(s.ctx, tier.clients, awstier.SecretValue(tencentKey, timtest.DefaultSDKAppID)); err != nil {
		t.Fatal(err)
	}
	recovered := time.Now()
	s.waitFor("every account erased after the recovery", 2*time.Minute, s.erased)
	recovery := time.Since(recovered)
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()

	s.checkNoValidDeadLetters()

	// Each message came back no sooner than the schedule: the receive
	// after the n-th one is at least Delay(n) after the invocation that
	// failed it began (the function sets the delay during it).
	invs, ds := s.deliveries()
	b := sc.Backoff()
	last := map[string]delivery{}
	for _, d := range ds {
		if prev, ok := last[d.messageID]; ok {
			gap := d.received.Sub(invs[prev.inv].Start)
			if want := b.Delay(prev.receiveCount); gap < want {
				t.Errorf("message %s: receive %d came %v after invocation of receive %d began, sooner than the schedule's %v",
					d.eventID, d.receiveCount, gap.Round(time.Millisecond), prev.receiveCount, want)
			}
		}
		last[d.messageID] = d
	}

	// The Tencent calls of the outage: each invocation that began in it
	// makes at most one attribute-name lookup and one call per 100
	// accounts of its batch, each tried at most DefaultMaxAttempts times.
	calls := during.Requests - first.Requests
	bound, systemic, invocations := 0, 0, 0
	for _, inv := range invs {
		if !inv.Start.Before(ended) {
			continue
		}
		invocations++
		bound += (1 + plannedCalls(inv.Records)) * eraser.DefaultMaxAttempts
		if inv.Verdict.BatchError != "" {
			systemic++
		}
	}
	if calls > bound {
		t.Errorf("%d Tencent requests during the outage, more than the bound %d", calls, bound)
	}
	if systemic == 0 {
		t.Error("no invocation returned an error while Tencent rejected the key: the function must report a systemic failure")
	}
	perEvent := map[string]int{}
	for _, d := range ds {
		if d.received.Before(ended) {
			perEvent[d.eventID]++
		}
	}
	maxPer := 0
	for _, n := range perEvent {
		maxPer = max(maxPer, n)
	}
	full := tier.settings.Scale(1).Backoff()
	t.Logf("outage: %v (%d receives of each message would take %v at full scale), %d invocations (%d returned an error), at most %d receives of a message; %d Tencent requests (bound %d = sum over invocations of (1 + calls) x %d attempts; %d at Tencent's limit for as long)",
		outage.Round(time.Millisecond), outageReceives, awstier.ScheduleSpan(full, outageReceives),
		invocations, systemic, maxPer, calls, bound, eraser.DefaultMaxAttempts, int(outage.Seconds()*tencentRateLimit))
	// The function notices the fixed secret at its next re-read, at most
	// signingKeyStaleRetry after the last fruitless one; the messages come
	// back within a schedule step, and one invocation erases them.
	limit := signingKeyStaleRetry + sc.RetryMax + sc.FunctionTimeout + sc.BatchingWindow + 5*time.Second
	t.Logf("outage: recovered %v after the secret was fixed (bound %v)", recovery.Round(time.Millisecond), limit.Round(time.Millisecond))
	if recovery > limit {
		t.Errorf("recovery took %v, more than %v", recovery, limit)
	}
}

// TestInvalid: invalid messages are in the DLQ after their first receive,
// with attr-eraser.class = invalid, a reason and the original message ID;
// the valid messages of the same batch are erased. A 350 KB one, sent
// straight to SQS (over the 256 KiB copies were once limited to), arrives
// in the DLQ intact.
func TestInvalid(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "invalid")
	checkMaxMessageSizes(t, s)
	large := []byte(`{"eventId":"invalid-large","type":"user.renamed","accounts":["x3"],"padding":"` + strings.Repeat("p", 350_000) + `"}`)
	invalid := []struct {
		marker string // unique text of the body, inside any envelope
		route  awstier.Route
		body   []byte
	}{
		{"invalid-not-json", awstier.Direct, []byte(`{"eventId":"invalid-not-json","type":"user.deleted","accounts":[`)},
		{"invalid-type", awstier.SNSRaw, awstier.Erasure{Type: "user.renamed", Accounts: []string{"x1"}, EventID: "invalid-type"}.JSON()},
		{"invalid-no-accounts", awstier.SNSEnvelope, awstier.Erasure{Type: "user.deleted", Accounts: []string{}, EventID: "invalid-no-accounts"}.JSON()},
		{"invalid-attr", awstier.EventBridge, awstier.Erasure{Type: "gdpr.erasure", Accounts: []string{"x2"}, Attrs: []string{"shoe-size"}, EventID: "invalid-attr"}.JSON()},
		{"invalid-large", awstier.Direct, large},
	}
	valid := make([]awstier.Erasure, len(awstier.Routes))
	for i := range valid {
		valid[i] = awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts(fmt.Sprintf("v%d", i), 50), EventID: fmt.Sprintf("valid-%d", i)}
	}
	// Interleaved, so that however the two instances' pollers split the
	// queue between their batches, a batch holds both kinds.
	for i := range max(len(invalid), len(valid)) {
		if i < len(invalid) {
			s.publish(invalid[i].route, invalid[i].body, i, false)
		}
		if i < len(valid) {
			s.publish(awstier.Routes[i%len(awstier.Routes)], valid[i].JSON(), i, true)
		}
	}

	s.poller.Start()
	s.waitFor("the valid messages erased", time.Minute, s.erased)
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()

	invs, ds := s.deliveries()
	byID := map[string][]delivery{}
	for _, d := range ds {
		byID[d.messageID] = append(byID[d.messageID], d)
	}
	dl := s.checkNoValidDeadLetters()
	found := map[string]bool{}
	for _, m := range dl {
		attrs := attrStrings(m)
		body := aws.ToString(m.Body)
		orig := attrs[sqsq.AttrOriginalMessageID]
		if attrs[sqsq.AttrClass] != string(erasure.Invalid) || attrs[sqsq.AttrReason] == "" {
			t.Errorf("dead letter %.80s: attributes %v, want class invalid and a reason", body, attrs)
		}
		got := byID[orig]
		if len(got) != 1 || got[0].receiveCount != 1 {
			t.Errorf("dead letter %.80s: original %s delivered %d times (%+v), want once, on its first receive", body, orig, len(got), got)
		}
		for _, row := range invalid {
			if strings.Contains(body, row.marker) {
				found[row.marker] = true
			}
		}
		if strings.Contains(body, "invalid-large") && body != string(large) {
			t.Errorf("the 350 KB dead letter is %d bytes and differs from the %d published", len(body), len(large))
		}
		t.Logf("dead letter of %s (%d bytes): class %s, reason %q", orig, len(body), attrs[sqsq.AttrClass], attrs[sqsq.AttrReason])
	}
	for _, row := range invalid {
		if !found[row.marker] {
			t.Errorf("invalid message %s (by %v) is not in the DLQ", row.marker, row.route)
		}
	}
	if len(dl) != len(invalid) {
		t.Errorf("%d dead letters for %d invalid messages", len(dl), len(invalid))
	}

	// The valid messages that shared a batch with an invalid one.
	mixed := 0
	for _, inv := range invs {
		var nInvalid, nValid int
		for _, r := range inv.Records {
			if s.isValid(r.Body) {
				nValid++
			} else {
				nInvalid++
			}
		}
		if nInvalid > 0 && nValid > 0 {
			mixed++
			if len(inv.Verdict.Failed) > 0 || inv.Verdict.BatchError != "" {
				t.Errorf("a batch of %d invalid and %d valid messages left %v in the queue (%s)", nInvalid, nValid, inv.Verdict.Failed, inv.Verdict.BatchError)
			}
		}
	}
	if mixed == 0 {
		t.Errorf("no batch held both invalid and valid messages (%d invocations)", len(invs))
	}
	t.Logf("invalid: %d invalid and %d valid messages, %d invocations (%d mixed), %d dead letters", len(invalid), len(valid), len(invs), mixed, len(dl))
}

// checkMaxMessageSizes checks that the scenario's queues take messages as
// large as the template's do (moto's default, 1 MiB, would hide a queue
// created without it).
func checkMaxMessageSizes(t *testing.T, s *scenario) {
	t.Helper()
	for url, want := range map[string]int{s.dep.QueueURL: tier.scaled.MaxMessageSize, s.dep.DeadLetterURL: tier.scaled.DeadLetterMaxMessageSize} {
		out, err := tier.clients.SQS.GetQueueAttributes(s.ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameMaximumMessageSize},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Attributes[string(sqstypes.QueueAttributeNameMaximumMessageSize)]; got != strconv.Itoa(want) {
			t.Errorf("queue %s: MaximumMessageSize %s, want the template's %d", url, got, want)
		}
	}
}

// TestRotation: the signing key is rotated mid-run, first in Secrets
// Manager (PutSecretValue: the new version AWSCURRENT, the old one
// AWSPREVIOUS), then in Tencent while calls are in flight. No message
// fails: a rejected call re-reads the secret and is sent again.
func TestRotation(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "rotation")
	oldVersion := ""
	if stages, err := s.dep.SecretStages(s.ctx, tier.clients); err == nil {
		for v, st := range stages {
			if slices.Contains(st, "AWSCURRENT") {
				oldVersion = v
			}
		}
	}
	newKey := timtest.NewKey()
	wave := func(i, messages, accounts int) []awstier.Erasure {
		w := make([]awstier.Erasure, messages)
		for j := range w {
			w[j] = awstier.Erasure{Type: "user.deleted", Accounts: awstier.Accounts(fmt.Sprintf("r%d-%d", i, j), accounts), EventID: fmt.Sprintf("rotation-%d-%d", i, j)}
		}
		return w
	}
	s.poller.Start()
	began := time.Now()

	s.publishAll(wave(1, 4, 400))
	s.waitFor("wave 1 erased", time.Minute, s.erased)

	newVersion, err := s.dep.RotateSecret(s.ctx, tier.clients, awstier.SecretValue(newKey, timtest.DefaultSDKAppID))
	if err != nil {
		t.Fatal(err)
	}
	stages, err := s.dep.SecretStages(s.ctx, tier.clients)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(stages[newVersion], "AWSCURRENT") || !slices.Contains(stages[oldVersion], "AWSPREVIOUS") {
		t.Errorf("after PutSecretValue: stages %v, want %s AWSCURRENT and %s AWSPREVIOUS", stages, newVersion, oldVersion)
	}
	s.publishAll(wave(2, 4, 400)) // Tencent still has the old key: the cached one works
	s.waitFor("wave 2 erased", time.Minute, s.erased)

	w3 := wave(3, 6, 2000)
	s.publishAll(w3)
	first, _ := erasure.Parse(string(w3[0].JSON()))
	s.waitFor("wave 3 under way", time.Minute, func() bool { return s.removedOf(first) > 0 })
	rotated := time.Now()
	s.tencent.SetKey(newKey)
	s.publishAll(wave(4, 4, 400))
	s.waitFor("every wave erased", time.Minute, s.erased)
	s.waitFor("the queue drained", drainTimeout(), s.drained)
	s.poller.Stop()

	if dl := s.deadLetters(); len(dl) > 0 {
		t.Errorf("%d messages in the DLQ", len(dl))
	}
	invs, ds := s.deliveries()
	for _, inv := range invs {
		if len(inv.Verdict.Failed) > 0 {
			t.Errorf("an invocation left %d messages in the queue (%s)", len(inv.Verdict.Failed), inv.Verdict.BatchError)
		}
	}
	for _, d := range ds {
		if d.receiveCount != 1 || d.requeues != 0 {
			t.Errorf("message %s received %d times, %d requeues", d.eventID, d.receiveCount, d.requeues)
		}
	}
	for _, l := range s.pool.AuditLines() {
		if l.Outcome != string(eraser.Erased) {
			t.Errorf("audit: message %s %s (%s: %s)", l.MessageID, l.Outcome, l.Class, l.Reason)
		}
	}
	// Calls signed with the old key after Tencent switched: a call is
	// rejected at most once, as its retry waits for the re-read and is
	// signed with the new key; so at most one per call (and lookup) of the
	// invocations that ran after the switch. At least one, or the rotation
	// was not tested.
	rejected := s.tencent.Stats().Rejected[timtest.CodeSigMismatch]
	bound := 0
	for _, inv := range invs {
		if inv.End.After(rotated) {
			bound += 1 + plannedCalls(inv.Records)
		}
	}
	if rejected < 1 || rejected > bound {
		t.Errorf("%d calls rejected with the old key, want 1 to %d", rejected, bound)
	}
	t.Logf("rotation: %d invocations, %d deliveries, all erased in %v (%v after Tencent switched keys); %d calls rejected with the old key (bound %d), 0 failed",
		len(invs), len(ds), time.Since(began).Round(time.Millisecond), time.Since(rotated).Round(time.Millisecond), rejected, bound)
}
