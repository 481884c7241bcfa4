package erasure

import "time"

// The retry schedule of failed messages (RETRY_BASE_SECONDS,
// RETRY_MAX_SECONDS), written once here for configuration, the processor
// and the queue.
const (
	// MaxRetryDelay is the longest a failed message can be held back:
	// SQS's longest visibility timeout, 12 hours. A longer delay could not
	// be set on the queue.
	MaxRetryDelay = 12 * time.Hour
	// DefaultRetryBase is the delay after a message's first failed receive.
	DefaultRetryBase = 30 * time.Second
	// DefaultRetryMax is the longest delay unless configured otherwise.
	DefaultRetryMax = time.Hour
)

// Backoff is the one capped exponential: min(ceiling, base·2^n). A
// negative n counts as 0, and a base or ceiling of 0 or less gives 0. It
// compares before it shifts, so no base or n can overflow into a negative
// or short wait.
func Backoff(base, ceiling time.Duration, n int) time.Duration {
	if base <= 0 || ceiling <= 0 {
		return 0
	}
	n = max(n, 0)
	// base·2^n <= ceiling exactly when base <= ceiling>>n, and then the
	// shift cannot overflow; a shift of 64 or more gives 0, so a huge n
	// caps too.
	if base > ceiling>>n {
		return ceiling
	}
	return base << n
}

// Schedule is the visibility schedule of failed messages: after the n-th
// receive of a message that fails, it stays hidden for
// min(Base·2^(n-1), Max, MaxRetryDelay). A field of 0 or less takes its
// default, so the zero Schedule is usable.
type Schedule struct {
	Base, Max time.Duration
}

// Delay returns how long to hide a message that failed on its
// receiveCount-th receive; a count below 1 counts as 1.
func (s Schedule) Delay(receiveCount int) time.Duration {
	base, ceiling := s.Base, s.Max
	if base <= 0 {
		base = DefaultRetryBase
	}
	if ceiling <= 0 {
		ceiling = DefaultRetryMax
	}
	// max before subtracting, so math.MinInt cannot wrap to a huge n.
	return Backoff(base, min(ceiling, MaxRetryDelay), max(receiveCount, 1)-1)
}
