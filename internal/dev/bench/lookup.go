package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
)

// ShapeLookup is three 10,000-account messages: 300 im_remove_attr calls,
// three rate windows' worth, so one more call in im_remove_attr's window
// would push the last call into a fourth.
var ShapeLookup = Shape{Name: "300 calls", Messages: 3, AccountsPerMessage: 10_000}

// LookupResult compares the same 300-call batch handled with a fresh
// im_get_attr_name lookup and with the names cached, in one run.
type LookupResult struct {
	LatencyMs float64
	Runs      int
	// WithLookupS and CachedS are the median wall times of Handle.
	WithLookupS, CachedS float64
	// Lookups counts im_get_attr_name calls the stand-in received in the
	// timed invocations of each kind (Runs and 0 when correct).
	Lookups, CachedLookups int
	FailedMessages         int
	// Overhead is WithLookupS / CachedS - 1.
	Overhead float64
}

// RunLookup measures the cost of the attribute-name lookup to a batch that
// fills im_remove_attr's windows: each API has its own window, so the
// lookup must cost one round trip, not a window. The two kinds alternate,
// runs times each, each on a fresh stand-in (empty window) and a warm
// handler idle for 1.1 s.
func (h *Harness) RunLookup(ctx context.Context, latency time.Duration, runs int) (LookupResult, error) {
	res := LookupResult{LatencyMs: ms(latency), Runs: runs}
	var with, cached []float64
	for i := range runs {
		for _, lookup := range []bool{true, false} {
			d, lookups, failed, err := h.handleOnce(ctx, latency, lookup, fmt.Sprintf("%d-%v", i, lookup))
			if err != nil {
				return res, err
			}
			res.FailedMessages += failed
			if lookup {
				with, res.Lookups = append(with, d.Seconds()), res.Lookups+lookups
			} else {
				cached, res.CachedLookups = append(cached, d.Seconds()), res.CachedLookups+lookups
			}
		}
	}
	res.WithLookupS, res.CachedS = median(with), median(cached)
	res.Overhead = res.WithLookupS/res.CachedS - 1
	return res, nil
}

// handleOnce times one ShapeLookup batch. With lookup, the handler's names
// expire at once, so the batch must read them again.
func (h *Harness) handleOnce(ctx context.Context, latency time.Duration, lookup bool, tag string) (time.Duration, int, int, error) {
	srv, err := h.tencent(latency)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.Close()
	env := map[string]string{
		config.EnvBaseURL:   srv.URL(),
		config.EnvSecretID:  h.ARN,
		config.EnvRateLimit: strconv.Itoa(RateLimit),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return 0, 0, 0, err
	}
	var opts app.Options
	if lookup {
		opts.Tuning.AttrNamesTTL = time.Nanosecond
	}
	handler := app.New(ctx, cfg, nil, &countingWriter{}, opts)

	wctx, cancel := lambdaContext("warm-" + tag)
	resp, err := handler.Handle(wctx, Shape{Messages: 1, AccountsPerMessage: 1}.Event("warm-"+tag))
	cancel()
	if err != nil || len(resp.BatchItemFailures) > 0 {
		return 0, 0, 0, fmt.Errorf("warm-up invocation failed: %v %v", err, resp.BatchItemFailures)
	}
	time.Sleep(1100 * time.Millisecond)
	srv.Reset()

	ictx, cancel := lambdaContext("lookup-" + tag)
	defer cancel()
	t0 := time.Now()
	resp, err = handler.Handle(ictx, ShapeLookup.Event(tag))
	d := time.Since(t0)
	if err != nil {
		return 0, 0, 0, err
	}
	return d, srv.Stats().AttrNameCalls, len(resp.BatchItemFailures), nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
