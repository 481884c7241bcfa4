package eraser_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

var allClasses = []erasure.Class{
	erasure.Unknown, erasure.Retryable, erasure.RateLimited, erasure.SigExpired,
	erasure.Signature, erasure.Content, erasure.Configuration, erasure.Cancelled,
}

func TestCheckRetry(t *testing.T) {
	retried := map[erasure.Class]bool{erasure.Retryable: true, erasure.RateLimited: true, erasure.SigExpired: true}
	tests := []struct {
		name        string
		maxAttempts int
		wantTries   int // attempts 0..wantTries-2 retry, wantTries-1 and later do not
	}{
		{"default", 0, eraser.DefaultMaxAttempts},
		{"one try", 1, 1},
		{"two tries", 2, 2},
		{"three tries", 3, 3},
		{"ten tries", 10, 10},
	}
	for _, tt := range tests {
		for _, class := range allClasses {
			t.Run(fmt.Sprintf("%s/%s", tt.name, class), func(t *testing.T) {
				p := eraser.RetryPolicy{MaxAttempts: tt.maxAttempts}
				for attempt := 0; attempt < tt.wantTries+3; attempt++ {
					want := retried[class] && attempt+1 < tt.wantTries
					if got := p.CheckRetry(attempt, class); got != want {
						t.Errorf("CheckRetry(%d, %s) = %v, want %v", attempt, class, got, want)
					}
				}
			})
		}
	}
	if eraser.DefaultMaxAttempts != 6 {
		t.Errorf("DefaultMaxAttempts = %d", eraser.DefaultMaxAttempts)
	}
}

// TestCheckRetryBoundsTries counts the tries a loop makes under the policy.
func TestCheckRetryBoundsTries(t *testing.T) {
	tests := []struct {
		max  int
		want int
	}{{0, 6}, {1, 1}, {4, 4}}
	for _, tt := range tests {
		p := eraser.RetryPolicy{MaxAttempts: tt.max}
		tries := 0
		for attempt := 0; ; attempt++ {
			tries++
			if !p.CheckRetry(attempt, erasure.Retryable) {
				break
			}
			if tries > 100 {
				t.Fatal("retries forever")
			}
		}
		if tries != tt.want {
			t.Errorf("MaxAttempts %d: %d tries, want %d", tt.max, tries, tt.want)
		}
	}
}

func fixed(r float64) func() float64 { return func() float64 { return r } }

func TestBackoffRanges(t *testing.T) {
	policies := []struct {
		name string
		p    eraser.RetryPolicy
		// effective bounds
		base, ceiling, rlBase, rlCeiling time.Duration
	}{
		{"defaults", eraser.RetryPolicy{}, eraser.DefaultBase, eraser.DefaultCap, eraser.DefaultRateLimitedBase, eraser.DefaultRateLimitedCap},
		{"custom", eraser.RetryPolicy{Base: 10 * time.Millisecond, Cap: time.Second, RateLimitedBase: 300 * time.Millisecond, RateLimitedCap: 3 * time.Second},
			10 * time.Millisecond, time.Second, 300 * time.Millisecond, 3 * time.Second},
		{"huge base", eraser.RetryPolicy{Base: time.Minute, Cap: 10 * time.Minute, RateLimitedBase: time.Hour, RateLimitedCap: 2 * time.Hour},
			time.Minute, 10 * time.Minute, time.Hour, 2 * time.Hour},
		{"base above cap", eraser.RetryPolicy{Base: 5 * time.Second, Cap: time.Second}, 5 * time.Second, time.Second, eraser.DefaultRateLimitedBase, eraser.DefaultRateLimitedCap},
	}
	attempts := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 29, 30, 31, 40, 62, 63, 64, 100, 1 << 20}
	for _, pol := range policies {
		for _, r := range []float64{0, 0.5, 0.999} {
			for _, attempt := range attempts {
				t.Run(fmt.Sprintf("%s/r=%v/attempt=%d", pol.name, r, attempt), func(t *testing.T) {
					p := pol.p
					p.Rand = fixed(r)

					limit := expLimit(pol.base, pol.ceiling, attempt)
					got := p.Backoff(attempt, erasure.Retryable)
					if got < 0 || got >= limit {
						t.Errorf("Retryable backoff %v outside [0, %v)", got, limit)
					}
					if want := time.Duration(r * float64(limit)); got != want {
						t.Errorf("Retryable backoff %v, want %v", got, want)
					}

					rl := expLimit(pol.rlBase, pol.rlCeiling, attempt)
					got = p.Backoff(attempt, erasure.RateLimited)
					if got < rl/2 || got >= rl {
						t.Errorf("RateLimited backoff %v outside [%v, %v)", got, rl/2, rl)
					}

					if got := p.Backoff(attempt, erasure.SigExpired); got != 0 {
						t.Errorf("SigExpired backoff %v, want 0", got)
					}
				})
			}
		}
	}
}

// expLimit is min(ceiling, base*2^attempt), computed without overflow.
func expLimit(base, ceiling time.Duration, attempt int) time.Duration {
	limit := min(base, ceiling)
	for range attempt {
		if limit >= ceiling/2 {
			return ceiling
		}
		limit *= 2
	}
	return min(limit, ceiling)
}

func TestBackoffGrowsThenCaps(t *testing.T) {
	p := eraser.RetryPolicy{Rand: fixed(0.999)}
	tests := []struct {
		attempt int
		want    time.Duration // the limit for Retryable with defaults
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, 1600 * time.Millisecond},
		{5, 2 * time.Second},
		{62, 2 * time.Second},
	}
	for _, tt := range tests {
		got := p.Backoff(tt.attempt, erasure.Retryable)
		if lo := time.Duration(0.998 * float64(tt.want)); got < lo || got >= tt.want {
			t.Errorf("attempt %d: %v, want just under %v", tt.attempt, got, tt.want)
		}
	}
}

func TestBackoffNegativeAttempt(t *testing.T) {
	p := eraser.RetryPolicy{Rand: fixed(0.5)}
	for _, class := range []erasure.Class{erasure.Retryable, erasure.RateLimited, erasure.Unknown} {
		got := p.Backoff(-1, class)
		if got < 0 || got > eraser.DefaultRateLimitedBase {
			t.Errorf("Backoff(-1, %s) = %v", class, got)
		}
	}
}

func TestBackoffDefaultRand(t *testing.T) {
	var p eraser.RetryPolicy
	for i := range 1000 {
		attempt := i % 12
		if got, limit := p.Backoff(attempt, erasure.Retryable), expLimit(eraser.DefaultBase, eraser.DefaultCap, attempt); got < 0 || got >= limit {
			t.Fatalf("Retryable attempt %d: %v outside [0, %v)", attempt, got, limit)
		}
		if got, limit := p.Backoff(attempt, erasure.RateLimited), expLimit(eraser.DefaultRateLimitedBase, eraser.DefaultRateLimitedCap, attempt); got < limit/2 || got >= limit {
			t.Fatalf("RateLimited attempt %d: %v outside [%v, %v)", attempt, got, limit/2, limit)
		}
	}
}
