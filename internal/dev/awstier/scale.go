package awstier

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// MinFunctionTimeout is the shortest function timeout the tier runs with.
// The function's own margins and retries are real time, not scaled: it
// starts no call in the last max(the end's reserve, 5 %) of an
// invocation (at the full CPU the tier tells its instances they have), and it retries a failing call with up to RetrySpan of
// backoff. An invocation needs room for the attribute-name lookup's
// retries and one call's, or a transient failure would be cut short by the
// deadline and look like a message the function never reached. Rounded
// up to whole seconds, which is what the emulator takes.
var MinFunctionTimeout = ceilSeconds(eraser.Budget{}.EndReserve()+2*RetrySpan(eraser.RetryPolicy{})+eraser.DefaultMinCallBudget, 1)

// RetrySpan is the longest one call's retries can wait under p: the upper
// ends of its jittered backoffs, MaxAttempts-1 of them.
func RetrySpan(p eraser.RetryPolicy) time.Duration {
	p.Rand = func() float64 { return math.Nextafter(1, 0) }
	var span time.Duration
	for a := 0; p.CheckRetry(a, erasure.Retryable); a++ {
		span += p.Backoff(a, erasure.Retryable)
	}
	return span
}

// sqsMinRetention is the shortest MessageRetentionPeriod SQS accepts.
const sqsMinRetention = 60 * time.Second

// Scaled are a template's Settings shrunk in time by one factor.
//
// SQS takes visibility timeouts, and the function its retry schedule
// (RETRY_BASE_SECONDS, RETRY_MAX_SECONDS), in whole seconds, so those are
// rounded and clamped to at least 1 s; the early steps of a strongly scaled
// schedule are therefore longer than the factor alone would make them,
// never shorter. The function timeout is floored at MinFunctionTimeout,
// and the visibility timeout and batching window, which the template sizes
// from the timeout (VisibilityTimeout >= 6 x Timeout + window), follow it,
// so that the floor never lets SQS hand out a message still in flight.
type Scaled struct {
	// Factor is the time-scale factor (scaled = real x Factor).
	Factor float64
	// InFlightFactor scales the timeout, visibility timeout and batching
	// window: Factor, unless the timeout floor raised it.
	InFlightFactor float64

	FunctionTimeout, VisibilityTimeout, BatchingWindow time.Duration
	MessageRetention, DeadLetterRetention              time.Duration
	RetryBase, RetryMax                                time.Duration

	// Counts and sizes are not scaled.
	MaxReceiveCount, BatchSize, MaxConcurrency int
	MaxMessageSize, DeadLetterMaxMessageSize   int
}

// Scale shrinks s by factor (0 < factor <= 1).
func (s Settings) Scale(factor float64) Scaled {
	inFlight := max(factor, MinFunctionTimeout.Seconds()/s.FunctionTimeout.Seconds())
	return Scaled{
		Factor:         factor,
		InFlightFactor: inFlight,
		// Rounded up: the emulator takes whole seconds, and a shorter
		// visibility than the template's proportion could expire in flight.
		FunctionTimeout:     ceilSeconds(s.FunctionTimeout, inFlight),
		VisibilityTimeout:   ceilSeconds(s.VisibilityTimeout, inFlight),
		BatchingWindow:      time.Duration(float64(s.BatchingWindow) * inFlight),
		MessageRetention:    max(ceilSeconds(s.MessageRetention, factor), sqsMinRetention),
		DeadLetterRetention: max(ceilSeconds(s.DeadLetterRetention, factor), sqsMinRetention),
		RetryBase:           roundSeconds(s.RetryBase, factor),
		RetryMax:            roundSeconds(s.RetryMax, factor),
		MaxReceiveCount:     s.MaxReceiveCount,
		BatchSize:           s.BatchSize,
		MaxConcurrency:      s.MaxConcurrency,
		MaxMessageSize:      s.MaxMessageSize,
		// The dead-letter queue's own, beside it.
		DeadLetterMaxMessageSize: s.DeadLetterMaxMessageSize,
	}
}

// ceilSeconds is d x f rounded up to whole seconds, at least 1 s.
func ceilSeconds(d time.Duration, f float64) time.Duration {
	return time.Duration(max(1, math.Ceil(d.Seconds()*f))) * time.Second
}

// roundSeconds is d x f rounded to whole seconds, at least 1 s.
func roundSeconds(d time.Duration, f float64) time.Duration {
	return time.Duration(max(1, math.Round(d.Seconds()*f))) * time.Second
}

// Backoff is the retry schedule the function runs with under sc.
func (sc Scaled) Backoff() erasure.Schedule {
	return erasure.Schedule{Base: sc.RetryBase, Max: sc.RetryMax}
}

// ScheduleSpan is how long a message that fails on every receive takes to
// be received `receives` times: the sum of the delays after each receive
// but the last (invocation time not included).
func ScheduleSpan(b erasure.Schedule, receives int) time.Duration {
	var span time.Duration
	for n := 1; n < receives; n++ {
		span += b.Delay(n)
	}
	return span
}

// ScheduleScale returns the largest factor at which `receives` receives of
// a failing message take at most budget under the template's schedule.
// Candidates are the factors that make RETRY_MAX_SECONDS a whole number,
// largest first, as the function takes whole seconds.
func ScheduleScale(s Settings, receives int, budget time.Duration) (float64, error) {
	if s.RetryMax < time.Second {
		return 0, errors.New("the template's RETRY_MAX is under a second")
	}
	for m := int(s.RetryMax / time.Second); m >= 1; m-- {
		f := float64(m) / s.RetryMax.Seconds()
		if ScheduleSpan(s.Scale(f).Backoff(), receives) <= budget {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%d receives cannot fit in %v even with 1 s steps", receives, budget)
}
