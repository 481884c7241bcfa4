// The retries of the calls made at the end of an invocation: the SDK's
// standard retryer, with a short backoff, that never starts a retry the
// caller's deadline could not see through.

package awsbatch

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

const (
	// RetryAttempts bounds the attempts of one call, the first included.
	RetryAttempts = 3
	// RetryMaxBackoff bounds the wait before a retry: the SDK's default
	// (20 s) is longer than the end of an invocation.
	RetryMaxBackoff = 250 * time.Millisecond
	// MinRetryTime is the least time a retry needs before the caller's
	// deadline, its backoff included: an AWS call in the region answers
	// in tens of milliseconds.
	MinRetryTime = RetryMaxBackoff + 100*time.Millisecond
)

// ErrNoTimeToRetry joins the last error of a call whose retry could not
// end before the caller's deadline.
var ErrNoTimeToRetry = errors.New("no time left before the deadline to retry")

// Retryer returns the retryer of a client whose calls run under a
// deadline: at most RetryAttempts attempts, at most RetryMaxBackoff
// apart, and no retry with less than MinRetryTime left before the
// context's deadline. The SDK's sleep before a retry ends with the
// context, so no retry outlives it.
func Retryer() aws.RetryerV2 {
	return deadlineRetryer{RetryerV2: retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryAttempts
		o.MaxBackoff = RetryMaxBackoff
	})}
}

type deadlineRetryer struct {
	aws.RetryerV2
}

// GetRetryToken refuses a retry that could not end before ctx's deadline.
func (r deadlineRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < MinRetryTime {
		return nil, ErrNoTimeToRetry
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}
