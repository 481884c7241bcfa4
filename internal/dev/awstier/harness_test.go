package awstier_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// tencentRateLimit is Tencent's limit: calls per second per API for the
// whole app, so for all the instances of a deployment together.
const tencentRateLimit = 100

// latency is the Tencent stand-in's answer time: tens of milliseconds, as
// measured against the real API.
var latency = timtest.Faults{Latency: 20 * time.Millisecond, LatencyJitter: 30 * time.Millisecond}

// scenario is one deployment in moto with its instances, Tencent stand-in
// and poller.
type scenario struct {
	t       *testing.T
	ctx     context.Context
	dep     *awstier.Deployment
	tencent *timtest.Server
	key     []byte
	pool    *awstier.Pool
	poller  *awstier.Poller

	mu        sync.Mutex
	published map[string]erasure.Request // by eventId, valid messages only
	pending   []pendingAccount           // accounts not yet seen erased
}

// pendingAccount is an account of a valid message and the attributes it
// must lose.
type pendingAccount struct {
	account string
	attrs   []string
}

// newScenario deploys the template's resources under name and starts the
// instances, with a Tencent stand-in of their own answering with latency.
// The poller is not started: a scenario publishes first when it wants its
// first batch to see a backlog.
func newScenario(t *testing.T, name string) *scenario {
	t.Helper()
	return newScenarioWith(t, name, scenarioOptions{})
}

// scenarioOptions change what newScenarioWith deploys.
type scenarioOptions struct {
	// env overrides variables the template sets (TIM_API, ERASE_TAGS,
	// RECEIPT_EVENT_BUS...), as the template's parameters would.
	env map[string]string
	// auditKey, when set, is the secret's auditKey.
	auditKey string
	// deadLetterURL, when set, replaces the deployment's DLQ as the
	// function's DEAD_LETTER_QUEUE_URL (a FIFO source needs a FIFO DLQ).
	deadLetterURL string
	// maxReceiveCount, when set, replaces the template's in the source
	// queue's RedrivePolicy, so that a scenario reaches the end of the
	// schedule in a few receives.
	maxReceiveCount int
}

// newScenarioWith is newScenario with options.
func newScenarioWith(t *testing.T, name string, o scenarioOptions) *scenario {
	t.Helper()
	needTier(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	s := &scenario{t: t, ctx: ctx, key: timtest.NewKey(), published: map[string]erasure.Request{}}
	var err error
	s.tencent, err = timtest.Start(timtest.Config{Key: s.key, RateLimit: tencentRateLimit, Faults: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.tencent.Close)
	sc := tier.scaled
	if o.maxReceiveCount > 0 {
		sc.MaxReceiveCount = o.maxReceiveCount
	}
	secret := awstier.SecretValue(s.key, timtest.DefaultSDKAppID)
	if o.auditKey != "" {
		secret = awstier.SecretValueWithAuditKey(s.key, timtest.DefaultSDKAppID, o.auditKey)
	}
	s.dep, err = awstier.Deploy(ctx, tier.clients, name, sc, tier.settings.DetailTypes, secret)
	if err != nil {
		t.Fatal(err)
	}
	if o.deadLetterURL != "" {
		s.dep.DeadLetterURL = o.deadLetterURL
	}
	settings := tier.settings
	if len(o.env) > 0 {
		settings.Env = maps.Clone(settings.Env)
		maps.Copy(settings.Env, o.env)
	}
	env, err := awstier.FunctionEnv(settings, sc, s.dep, s.tencent.URL())
	if err != nil {
		t.Fatal(err)
	}
	s.pool, err = awstier.StartPool(ctx, awstier.PoolOptions{
		Bootstrap: tier.bootstrap, RIE: tier.rie,
		Instances: sc.MaxConcurrency,
		Tencent:   s.tencent,
		AWS:       localrun.AWS{SecretID: s.dep.SecretARN, Env: tier.clients.FunctionEnv()},
		Env:       env,
		Timeout:   sc.FunctionTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.poller = &awstier.Poller{
		SQS: tier.clients.SQS, QueueURL: s.dep.QueueURL, QueueARN: s.dep.QueueARN,
		BatchSize: sc.BatchSize, Window: sc.BatchingWindow,
		Instances: s.pool.Invokers(),
		// The emulator enforces the timeout; this only bounds a hung
		// exchange.
		Timeout: sc.FunctionTimeout + 30*time.Second,
		Logf:    t.Logf,
	}
	t.Cleanup(func() {
		s.poller.Stop()
		for _, inv := range s.poller.Invocations() {
			if len(inv.DeleteErrors) > 0 {
				t.Errorf("SQS refused deletions: %v", inv.DeleteErrors)
			}
		}
		if t.Failed() {
			t.Logf("instances' output (tails):\n%s", s.pool.Tail(3000))
			for _, inv := range s.poller.Invocations() {
				t.Logf("invocation on instance %d at %v: %v, %d records, %d left in the queue %.200s",
					inv.Instance, inv.Start.Format("15:04:05.000"), inv.End.Sub(inv.Start).Round(time.Millisecond),
					len(inv.Records), len(inv.Verdict.Failed), inv.Verdict.BatchError)
			}
		}
		s.pool.Close()
	})
	t.Logf("scale %.5f (timeout, visibility, window x %.4f): function timeout %v, visibility %v, window %v, retry %v..%v, maxReceiveCount %d, batch %d, %d instances",
		sc.Factor, sc.InFlightFactor, sc.FunctionTimeout, sc.VisibilityTimeout, sc.BatchingWindow, sc.RetryBase, sc.RetryMax,
		sc.MaxReceiveCount, sc.BatchSize, sc.MaxConcurrency)
	return s
}

// publish sends body by route; seq picks the EventBridge detail-type.
// valid says whether the function must erase it (some bodies parse but
// name what the app lacks).
// It returns the id the route's service gave the message
// (Deployment.PublishID).
func (s *scenario) publish(r awstier.Route, body []byte, seq int, valid bool) string {
	s.t.Helper()
	id, err := s.dep.PublishID(s.ctx, tier.clients, r, body, seq)
	if err != nil {
		s.t.Fatal(err)
	}
	if !valid {
		return id
	}
	req, err := erasure.Parse(string(body))
	if err != nil {
		s.t.Fatalf("a valid message does not parse: %v", err)
	}
	s.track(req)
	return id
}

// track records req as a valid message whose accounts must be erased.
func (s *scenario) track(req erasure.Request) {
	want := req.Attrs
	if want == nil {
		want = timtest.DefaultAttrNames // TIM_ATTRS=*: every name of the app
	}
	s.mu.Lock()
	s.published[req.EventID] = req
	for _, a := range req.Accounts {
		s.pending = append(s.pending, pendingAccount{a, want})
	}
	s.mu.Unlock()
}

// publishAll publishes valid messages, spreading them over every route.
func (s *scenario) publishAll(msgs []awstier.Erasure) {
	s.t.Helper()
	for i, m := range msgs {
		s.publish(awstier.Routes[i%len(awstier.Routes)], m.JSON(), i, true)
	}
}

// isValid reports whether body (in any envelope) is one of the valid
// messages published.
func (s *scenario) isValid(body string) bool {
	req, err := erasure.Parse(body)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.published[req.EventID]
	return ok
}

// waitFor polls cond until it holds, failing the test after timeout.
func (s *scenario) waitFor(what string, timeout time.Duration, cond func() bool) time.Duration {
	s.t.Helper()
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			v, f, d, _ := awstier.QueueDepth(s.ctx, tier.clients, s.dep.QueueURL)
			s.t.Fatalf("%s: not within %v (%d invocations; queue: %d visible, %d in flight, %d delayed)",
				what, timeout, len(s.poller.Invocations()), v, f, d)
		case <-s.ctx.Done():
			s.t.Fatalf("%s: %v", what, s.ctx.Err())
		case <-tick.C:
		}
	}
	return time.Since(start)
}

// erased reports whether every account of every valid message published
// so far had all its attributes removed (the message's, else the app's).
// It is polled while the instances work, so it looks at each account only
// until it is done, one short lookup at a time, and stops at the first
// one still to do: holding the stand-in's lock for a snapshot of every
// account would slow the calls it is waiting for.
func (s *scenario) erased() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) > 0 {
		p := s.pending[0]
		got := s.tencent.Removed(p.account)
		for _, attr := range p.attrs {
			if !slices.Contains(got, attr) {
				return false
			}
		}
		s.pending = s.pending[1:]
	}
	return true
}

// removedOf counts the accounts of req that have had attributes removed.
func (s *scenario) removedOf(req erasure.Request) int {
	n := 0
	for _, a := range req.Accounts {
		if s.tencent.Removed(a) != nil {
			n++
		}
	}
	return n
}

// drainTimeout bounds the wait for an empty queue once the work is done:
// a message whose invocation ended without a word (a timeout) is hidden
// for the visibility timeout, then needs one more invocation.
func drainTimeout() time.Duration {
	sc := tier.scaled
	return sc.VisibilityTimeout + sc.FunctionTimeout + sc.BatchingWindow + 10*time.Second
}

// drained reports whether the source queue is empty, in flight included.
func (s *scenario) drained() bool {
	empty, err := awstier.Drained(s.ctx, tier.clients, s.dep.QueueURL)
	return err == nil && empty
}

// deadLetters receives every message in the DLQ (hiding each for longer
// than the scenario has left, so none is read twice).
func (s *scenario) deadLetters() []sqstypes.Message {
	s.t.Helper()
	var all []sqstypes.Message
	for {
		out, err := tier.clients.SQS.ReceiveMessage(s.ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(s.dep.DeadLetterURL),
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           600,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			s.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}

// checkNoValidDeadLetters fails for every DLQ message that is a valid
// erasure, and returns the DLQ's messages.
func (s *scenario) checkNoValidDeadLetters() []sqstypes.Message {
	s.t.Helper()
	dl := s.deadLetters()
	for _, m := range dl {
		if body := aws.ToString(m.Body); s.isValid(body) {
			s.t.Errorf("valid message %.100s in the DLQ, attributes %v", body, attrStrings(m))
		}
	}
	return dl
}

// delivery is one message of one invocation.
type delivery struct {
	inv          int // index in the poller's invocations
	messageID    string
	eventID      string // "" for a body that does not parse
	receiveCount int
	requeues     int // attr-eraser.requeues of a requeued copy
	received     time.Time
}

// deliveries flattens the poller's invocations.
func (s *scenario) deliveries() ([]awstier.Invocation, []delivery) {
	invs := s.poller.Invocations()
	var ds []delivery
	for i, inv := range invs {
		for j, r := range inv.Records {
			d := delivery{inv: i, messageID: r.MessageId, received: inv.Received[j]}
			d.receiveCount, _ = strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
			if a, ok := r.MessageAttributes[sqsq.AttrRequeues]; ok && a.StringValue != nil {
				d.requeues, _ = strconv.Atoi(*a.StringValue)
			}
			if req, err := erasure.Parse(r.Body); err == nil {
				d.eventID = req.EventID
			}
			ds = append(ds, d)
		}
	}
	return invs, ds
}

// receivesPerEvent counts deliveries by eventId.
func receivesPerEvent(ds []delivery) map[string]int {
	n := map[string]int{}
	for _, d := range ds {
		n[d.eventID]++
	}
	return n
}

func attrStrings(m sqstypes.Message) map[string]string {
	out := map[string]string{}
	for k, v := range m.MessageAttributes {
		out[k] = aws.ToString(v.StringValue)
	}
	return out
}

// plannedCalls is the most im_remove_attr calls a batch can need: each
// message's accounts in calls of 100 (packing across messages needs fewer).
func plannedCalls(records []events.SQSMessage) int {
	n := 0
	for _, r := range records {
		if req, err := erasure.Parse(r.Body); err == nil {
			n += (len(req.Accounts) + erasure.MaxAccountsPerCall - 1) / erasure.MaxAccountsPerCall
		}
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
