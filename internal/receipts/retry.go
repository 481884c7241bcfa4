package receipts

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// The retry policy beside deliver's loop, in the manner of
// hashicorp/go-retryablehttp: checkRetry and retryEntry decide whether
// a failure is worth another call, backoff how long to wait first.

// retryables is the SDK's own verdict on a failed call: throttling, 5xx
// answers, connection errors and timeouts are retried.
var retryables = retry.IsErrorRetryables(retry.DefaultRetryables)

// checkRetry tells whether a failed PutEvents call is worth another one.
// It never is once ctx is done, for a call that ran out of time, or after
// a panic.
func checkRetry(ctx context.Context, err error) bool {
	var p *erasure.PanicError
	switch {
	case ctx.Err() != nil,
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &p):
		return false
	}
	return retryables.IsErrorRetryable(err) == aws.TrueTernary
}

// retryEntry tells whether an entry EventBridge did not take may succeed
// when put again: one it did not answer for may, and of its failures
// those it names retryable, InternalFailure and ThrottlingException; its
// other entry codes (AccessDeniedException, InvalidArgument,
// MalformedDetail, NotAuthorizedFor...) are not.
func retryEntry(o awsbatch.Outcome) bool {
	return !o.Failed || o.Code == "InternalFailure" || o.Code == "ThrottlingException"
}

// backoff is the wait before retry n (n >= 1): "full jitter", random in
// [0, min(maxDelay, base·2^(n-1))], so that callers failing together do
// not retry together.
func backoff(base, maxDelay time.Duration, n int) time.Duration {
	ceiling := erasure.Backoff(base, maxDelay, n-1)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
