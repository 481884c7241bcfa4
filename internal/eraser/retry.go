// Whether a failed API call is tried again and how long to wait first.
// Like go-retryablehttp's CheckRetry and Backoff, both are small functions
// kept apart from the transport and the sending loop.

package eraser

import (
	"cmp"
	"math/rand/v2"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// RetryPolicy holds the retry limits. The zero value is usable: zero fields take
// the defaults below.
type RetryPolicy struct {
	// MaxAttempts bounds the tries of one call, the first included.
	MaxAttempts int
	// Base and Cap bound the exponential backoff of retryable errors.
	Base, Cap time.Duration
	// RateLimitedBase and RateLimitedCap bound the backoff after Tencent
	// answered a rate-limit code: its window is one second, so waiting less
	// than a few hundred milliseconds mostly earns another rejection.
	RateLimitedBase, RateLimitedCap time.Duration
	// Rand returns a number in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// Defaults of a zero RetryPolicy.
const (
	DefaultMaxAttempts     = 6
	DefaultBase            = 100 * time.Millisecond
	DefaultCap             = 2 * time.Second
	DefaultRateLimitedBase = 500 * time.Millisecond
	DefaultRateLimitedCap  = 4 * time.Second
)

// CheckRetry tells whether a call that failed with class on the given
// attempt (0 for the first) should be tried again. Signature errors are
// retried once by the caller after re-reading the key, outside this policy.
func (p RetryPolicy) CheckRetry(attempt int, class erasure.Class) bool {
	if attempt+1 >= cmp.Or(p.MaxAttempts, DefaultMaxAttempts) {
		return false
	}
	switch class {
	case erasure.Retryable, erasure.RateLimited, erasure.SigExpired:
		return true
	}
	return false
}

// Backoff returns the wait before retry number attempt+1: exponential with
// full jitter (uniform in [0, min(cap, base*2^attempt))), which spreads the
// retries of many concurrent calls instead of synchronising them.
func (p RetryPolicy) Backoff(attempt int, class erasure.Class) time.Duration {
	base, ceiling := cmp.Or(p.Base, DefaultBase), cmp.Or(p.Cap, DefaultCap)
	switch class {
	case erasure.RateLimited:
		base, ceiling = cmp.Or(p.RateLimitedBase, DefaultRateLimitedBase), cmp.Or(p.RateLimitedCap, DefaultRateLimitedCap)
	case erasure.SigExpired:
		return 0 // a fresh UserSig fixes it at once
	}
	limit := erasure.Backoff(base, ceiling, attempt)
	random := p.Rand
	if random == nil {
		random = rand.Float64
	}
	if class == erasure.RateLimited {
		// Half fixed, half jitter: a rate-limited retry must wait at least
		// part of the window out.
		return limit/2 + time.Duration(random()*float64(limit/2))
	}
	return time.Duration(random() * float64(limit))
}
