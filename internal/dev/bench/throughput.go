package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// RateLimit is Tencent's limit and the function's RATE_LIMIT_PER_SECOND in
// every scenario: 100 calls per second.
const RateLimit = 100

// Ceiling is Tencent's physical limit: 100 calls/s x 100 accounts per call.
const Ceiling = 10_000.0

// InvocationTimeout is the context deadline of each in-process invocation.
const InvocationTimeout = 60 * time.Second

// Harness holds what every in-process scenario shares: a Secrets Manager
// stand-in, reached by the real SDK through the environment, and the key.
type Harness struct {
	Secrets *secretstest.Server
	ARN     string
	Key     []byte
}

// NewHarness starts the Secrets Manager stand-in and points the AWS SDK at
// it through this process's environment (os.Setenv), as Lambda's
// environment would.
func NewHarness() (*Harness, error) {
	sec, err := secretstest.Start()
	if err != nil {
		return nil, err
	}
	for _, kv := range sec.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			sec.Close()
			return nil, err
		}
	}
	key := timtest.NewKey()
	arn := sec.Put("attr-eraser/bench-signing-key", fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, key, timtest.DefaultSDKAppID))
	return &Harness{Secrets: sec, ARN: arn, Key: key}, nil
}

// Close stops the stand-in.
func (h *Harness) Close() { h.Secrets.Close() }

// tencent starts a Tencent stand-in enforcing RateLimit with latency added
// to every request.
func (h *Harness) tencent(latency time.Duration) (*timtest.Server, error) {
	return timtest.Start(timtest.Config{
		Key:       h.Key,
		RateLimit: RateLimit,
		Faults:    timtest.Faults{Latency: latency},
	})
}

// Throughput configures one in-process throughput scenario.
type Throughput struct {
	Shape   Shape
	Latency time.Duration
	// Invocations is the number of batches handled back to back after the
	// warm-up; their total wall time is what is measured.
	Invocations int
	// EraseTags sets ERASE_TAGS: every account's tags are removed too, in
	// calls with their own 100 calls/s window.
	EraseTags bool
	// NoVerify sets VERIFY_ERASURE=false: Tencent's OK counts and nothing
	// is read back. The zero value verifies, as production does.
	NoVerify bool
	// Options are handed to app.New (experiments only; zero for the table).
	Options app.Options
}

// ThroughputResult is what one scenario measured.
type ThroughputResult struct {
	Shape     string
	LatencyMs float64
	// Invocations and Accounts: batches handled and distinct accounts in them.
	Invocations int
	Accounts    int
	// Erased counts accounts the stand-in recorded as removed.
	Erased int
	// TagsCleared and TagCalls count accounts whose tags the stand-in
	// cleared and the tag calls it answered OK (EraseTags only).
	TagsCleared, TagCalls int
	// Verify says whether VERIFY_ERASURE was on; ReadBacks counts the
	// read-back calls (im_get_attr, im_get_tag) the stand-in answered OK,
	// and Verified the accounts the handler reported read back clean.
	Verify    bool
	ReadBacks int
	Verified  int
	// FailedMessages sums batchItemFailures over the invocations.
	FailedMessages int
	WallSeconds    float64
	// InvocationMs is each invocation's wall time of Handle.
	InvocationMs []float64
	AccountsPerS float64
	Efficiency   float64
	// Calls counts im_remove_attr requests the stand-in received, rejected
	// ones included; Admitted those it answered OK.
	Calls, Admitted int
	// RateLimited counts 60018 answers caused by the stand-in's window.
	RateLimited int
	// MaxInWindow is the most admitted calls in any one-second window.
	MaxInWindow int
	// LogBytes is what the handler wrote (audit lines, EMF) per invocation.
	LogBytes int64
	// Phases splits each invocation by the stand-in's call times (which
	// are stamped after the added latency): Before is from Handle's start
	// to the first call's stamp minus the latency (parse, plan, first
	// token); Span from the first to the last call's stamp (ideally 990 ms
	// for 100 calls at 100/s); After from the last call's stamp to
	// Handle's return (answer, settle, audit log, metrics).
	Phases []Phase
}

// Phase is one invocation's time split, in milliseconds.
type Phase struct{ BeforeMs, SpanMs, AfterMs float64 }

type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// lambdaContext is what the Lambda runtime gives the handler: a deadline and
// the invocation's metadata.
func lambdaContext(id string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), InvocationTimeout)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       id,
		InvokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:attr-eraser",
	})
	return ctx, cancel
}

// RunThroughput builds the real handler with app.New, as main does, and
// measures K back-to-back invocations of t.Shape against a Tencent stand-in
// enforcing 100 calls/s with t.Latency.
//
// Before the timed part, one small warm-up invocation reads the secret,
// generates the UserSig and reads the app's attribute names (a warm
// container has done this), then the run waits 1.1 s so the stand-in's
// window is empty and the function's limiter has every slot free, as in a
// container that was idle for a second.
func (h *Harness) RunThroughput(ctx context.Context, t Throughput) (ThroughputResult, error) {
	res := ThroughputResult{Shape: t.Shape.Name, LatencyMs: ms(t.Latency), Invocations: t.Invocations, Verify: !t.NoVerify}
	srv, err := h.tencent(t.Latency)
	if err != nil {
		return res, err
	}
	defer srv.Close()

	env := map[string]string{
		config.EnvBaseURL:       srv.URL(),
		config.EnvSecretID:      h.ARN,
		config.EnvRateLimit:     strconv.Itoa(RateLimit),
		config.EnvEraseTags:     strconv.FormatBool(t.EraseTags),
		config.EnvVerifyErasure: strconv.FormatBool(!t.NoVerify),
	}
	cfg, cfgErr := config.Load(func(k string) string { return env[k] })
	if cfgErr != nil {
		return res, cfgErr
	}
	out := &countingWriter{}
	handler := app.New(ctx, cfg, nil, out, t.Options)

	warm := Shape{Messages: 1, AccountsPerMessage: 1}.Event("warm")
	wctx, cancel := lambdaContext("warm-up")
	resp, err := handler.Handle(wctx, warm)
	cancel()
	if err != nil || len(resp.BatchItemFailures) > 0 {
		return res, fmt.Errorf("warm-up invocation failed: %v %v", err, resp.BatchItemFailures)
	}
	time.Sleep(1100 * time.Millisecond)

	// One full batch first, untimed: it fills the rate limiter's state the
	// way a backlog does, so the timed batches measure the steady state
	// and not the idle second before them.
	pctx, cancel := lambdaContext("prime")
	resp, err = handler.Handle(pctx, t.Shape.Event("prime"))
	cancel()
	if err != nil || len(resp.BatchItemFailures) > 0 {
		return res, fmt.Errorf("priming invocation failed: %v, %d failures", err, len(resp.BatchItemFailures))
	}
	srv.Reset()
	out.n.Store(0)

	batches := make([]events.SQSEvent, t.Invocations)
	for k := range batches {
		batches[k] = t.Shape.Event(strconv.Itoa(k))
	}
	starts := make([]time.Time, 0, t.Invocations+1)
	start := time.Now()
	for k, ev := range batches {
		ictx, cancel := lambdaContext(fmt.Sprintf("inv-%d", k))
		t0 := time.Now()
		starts = append(starts, t0)
		resp, err := handler.Handle(ictx, ev)
		res.InvocationMs = append(res.InvocationMs, ms(time.Since(t0)))
		cancel()
		if err != nil {
			return res, fmt.Errorf("invocation %d: %w", k, err)
		}
		res.FailedMessages += len(resp.BatchItemFailures)
	}
	wall := time.Since(start)

	st := srv.Stats()
	calls := srv.Calls()
	res.Accounts = t.Invocations * t.Shape.Accounts()
	res.Erased = st.Accounts
	res.TagsCleared, res.TagCalls = st.TagAccounts, st.RemoveAllTagsCalls
	res.ReadBacks = st.GetAttrCalls + st.GetTagCalls
	res.WallSeconds = wall.Seconds()
	res.AccountsPerS = float64(res.Erased) / wall.Seconds()
	res.Efficiency = res.AccountsPerS / Ceiling
	res.Calls = len(calls)
	res.Admitted = st.RemoveCalls
	res.RateLimited = st.RateLimited
	res.MaxInWindow = maxInWindow(calls, time.Second)
	res.LogBytes = out.n.Load() / int64(t.Invocations)
	for k, t0 := range starts {
		end := t0.Add(time.Duration(res.InvocationMs[k] * float64(time.Millisecond)))
		var first, last time.Time
		for _, c := range calls {
			if c.Time.After(t0) && c.Time.Before(end) {
				if first.IsZero() {
					first = c.Time
				}
				last = c.Time
			}
		}
		if !first.IsZero() {
			res.Phases = append(res.Phases, Phase{
				BeforeMs: ms(first.Sub(t0) - t.Latency),
				SpanMs:   ms(last.Sub(first)),
				AfterMs:  ms(end.Sub(last)),
			})
		}
	}
	return res, nil
}

// maxInWindow is the most admitted calls whose times fall in any window
// (t-d, t], the stand-in's own definition.
func maxInWindow(calls []timtest.Call, d time.Duration) int {
	var ts []time.Time
	for _, c := range calls {
		if c.ErrorCode == 0 && c.HTTPStatus == 200 {
			ts = append(ts, c.Time)
		}
	}
	slices.SortFunc(ts, time.Time.Compare) // the log is in answer order, not admission order
	best, lo := 0, 0
	for hi := range ts {
		for !ts[lo].After(ts[hi].Add(-d)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// Baseline is the naive consumer users write by hand: for each message,
// decode the body and make one im_remove_attr call with its accounts,
// sequentially, with a hard-coded attribute list.
type BaselineResult struct {
	Shape        string
	LatencyMs    float64
	Messages     int // the sample actually sent
	Accounts     int
	Errors       int
	WallSeconds  float64
	AccountsPerS float64
	RateLimited  int
}

// staticSigner signs every request with one UserSig made at start.
type staticSigner struct{ creds tim.Credentials }

func (s staticSigner) Credentials(context.Context) (tim.Credentials, error) { return s.creds, nil }

// RunBaseline runs the naive consumer over the first sample messages of one
// batch of shape s, against a fresh stand-in with the same limit and
// latency, and reports its rate. A sequential consumer's rate does not
// depend on how many messages it is given, so a sample extrapolates.
func (h *Harness) RunBaseline(ctx context.Context, s Shape, latency time.Duration, sample int) (BaselineResult, error) {
	res := BaselineResult{Shape: s.Name, LatencyMs: ms(latency)}
	srv, err := h.tencent(latency)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	sig, err := usersig.Generate(timtest.DefaultSDKAppID, timtest.DefaultIdentifier, h.Key, time.Now(), 24*time.Hour)
	if err != nil {
		return res, err
	}
	base, _ := config.Load(func(k string) string {
		return map[string]string{config.EnvBaseURL: srv.URL(), config.EnvSecretID: "x"}[k]
	})
	client := &tim.Client{
		BaseURL: base.BaseURL,
		Signer: staticSigner{tim.Credentials{
			SDKAppID: timtest.DefaultSDKAppID, Identifier: timtest.DefaultIdentifier, UserSig: sig,
		}},
	}
	ev := s.Event("base")
	if sample > len(ev.Records) {
		sample = len(ev.Records)
	}
	start := time.Now()
	for _, rec := range ev.Records[:sample] {
		var msg struct {
			Accounts []string `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil {
			res.Errors++
			continue
		}
		users := make([]tim.UserAttrs, len(msg.Accounts))
		for i, a := range msg.Accounts {
			users[i] = tim.UserAttrs{Account: a, Attrs: timtest.DefaultAttrNames}
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := client.RemoveAttrs(cctx, users)
		cancel()
		if err != nil {
			res.Errors++
			continue
		}
		res.Accounts += len(users)
	}
	wall := time.Since(start)
	res.Messages = sample
	res.WallSeconds = wall.Seconds()
	res.AccountsPerS = float64(res.Accounts) / wall.Seconds()
	res.RateLimited = srv.Stats().RateLimited
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
