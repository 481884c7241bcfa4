package eraser

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"slices"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/ratelimit"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

var errDeadline = errors.New("not enough time left before the Lambda deadline")

// send makes pt's removal for the entries idx in one call, retrying what
// may be retried and splitting a call whose content Tencent rejects.
// attempt counts the tries these same entries already had.
func (run *invocation) send(ctx context.Context, pt *part, idx []int, attempt int) {
	users, idx := run.usersOf(pt, idx)
	if len(idx) == 0 {
		return
	}
	var result tim.RemoveResult
	var sentAt time.Time
	tries, err := run.withRetries(ctx, pt.api, attempt, func(ctx context.Context) error {
		for _, i := range idx {
			pt.started[i] = true
		}
		sentAt = run.p.now()
		var err error
		result, err = pt.call(ctx, run.p.API, users)
		return err
	})
	attempt += tries

	if err != nil {
		if pt.name == PartAttrs && invalidAttr(err) {
			run.afterInvalidAttr(ctx, pt, idx, users, sentAt, err)
			return
		}
		class := tim.Classify(err)
		if class == erasure.Content && len(idx) > 1 {
			// Each half is a new call with its own retry budget: the
			// budget is for transient failures, which the halves have not
			// had yet.
			run.splits.Add(1)
			half := len(idx) / 2
			run.send(ctx, pt, idx[:half], 0)
			run.send(ctx, pt, idx[half:], 0)
			return
		}
		pt.fail(idx, err)
		return
	}

	// An ErrorList names the only accounts that failed; an account that
	// does not exist has nothing to erase.
	failed := make(map[string]int, len(result.Failed))
	for _, f := range result.Failed {
		failed[f.Account] = f.Code
	}
	var again, ok []int
	var absent []bool
	wait := erasure.Retryable // the longer rate-limit backoff if any account needs it
	for _, i := range idx {
		account := run.plan.Entries[i].Account
		code, bad := failed[account]
		class := tim.ClassifyCode(code)
		switch {
		case !bad:
			ok = append(ok, i)
			absent = append(absent, slices.Contains(result.Absent, account))
		case run.p.Tuning.Retry.CheckRetry(attempt-1, class):
			again = append(again, i)
			if class == erasure.RateLimited {
				wait = class
			}
		default:
			pt.fail([]int{i}, &tim.APIError{Op: pt.api, Code: code})
		}
	}
	// Before any retry's backoff, so that the read-back of what was
	// removed goes on meanwhile.
	run.removed(ctx, pt, ok, absent)
	if len(again) > 0 {
		if !run.sleep(ctx, run.p.Tuning.Retry.Backoff(attempt-1, wait)) {
			pt.fail(again, errDeadline)
			return
		}
		run.send(ctx, pt, again, attempt)
	}
}

// withRetries runs op until it succeeds, fails for good, or time runs out.
// Every try waits for the shared rate limiter first. It returns the
// number of tries made and the last error.
func (run *invocation) withRetries(ctx context.Context, api string, attempt int, op func(context.Context) error) (int, error) {
	first, refreshed := attempt, false
	for ; ; attempt++ {
		slot, err := run.acquire(ctx, api)
		if err != nil {
			return attempt - first, err
		}
		// Every request counts here, whatever its API, so that Retries,
		// a subset of Calls, can never exceed it.
		run.calls.Add(1)
		if attempt > first || first > 0 {
			run.retries.Add(1)
		}
		err = run.callWithin(ctx, slot, op)
		if err == nil {
			return attempt - first + 1, nil
		}
		class := tim.Classify(err)
		run.p.logger().DebugContext(ctx, "call failed", "attempt", attempt+1, "class", class.String(), "error", err)
		switch class {
		case erasure.RateLimited:
			run.rateLimited.Add(1)
		case erasure.SigExpired:
			run.p.Credentials.UserSigExpired()
		case erasure.Signature:
			// The key may have been rotated: Credentials re-reads it (once
			// for all calls), and a second rejection of this call means the
			// configuration is wrong.
			if refreshed {
				return attempt - first + 1, err
			}
			refreshed = true
			if rerr := run.signatureRejected(ctx, keyVersion(err)); rerr != nil {
				return attempt - first + 1, fmt.Errorf("%w; re-reading the signing key: %w", err, rerr)
			}
			continue
		}
		if !run.p.Tuning.Retry.CheckRetry(attempt, class) {
			return attempt - first + 1, err
		}
		if !run.sleep(ctx, run.p.Tuning.Retry.Backoff(attempt, class)) {
			return attempt - first + 1, fmt.Errorf("%w; last error: %w", errDeadline, err)
		}
	}
}

// keyVersion is the version of the signing key a rejected call was signed
// with.
func keyVersion(err error) string {
	var apiErr *tim.APIError
	if errors.As(err, &apiErr) {
		return apiErr.KeyVersion
	}
	return ""
}

// acquire waits for a slot of api's shared rate window, unless the wait
// would leave less than MinCallBudget before the cutoff. The slot is nil
// when there is no limiter.
func (run *invocation) acquire(ctx context.Context, api string) (*ratelimit.Slot, error) {
	window := run.p.Limits.For(api)
	if window == nil {
		return nil, run.timeLeft(0)
	}
	waitCtx := ctx
	if !run.cutoff.IsZero() {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithDeadline(ctx, run.cutoff.Add(-run.minCallBudget()))
		defer cancel()
	}
	slot, err := window.Acquire(waitCtx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errDeadline
	}
	return slot, nil
}

// callWithin runs op with a context that ends at the cutoff, so no call
// outlives the invocation's safety margin. The limiter counts the call from
// the moment its request is written, which httptrace reports.
func (run *invocation) callWithin(ctx context.Context, slot *ratelimit.Slot, op func(context.Context) error) error {
	if slot != nil {
		defer slot.Release()
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { slot.Sent() },
		})
	}
	callCtx, cancel := run.untilCutoff(ctx)
	defer cancel()
	return op(callCtx)
}

// untilCutoff returns ctx ending at the cutoff, if there is one.
func (run *invocation) untilCutoff(ctx context.Context) (context.Context, context.CancelFunc) {
	if run.cutoff.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, run.cutoff)
}

// timeLeft reports errDeadline when waiting d more would leave less than
// MinCallBudget before the cutoff.
func (run *invocation) timeLeft(d time.Duration) error {
	if run.cutoff.IsZero() {
		return nil
	}
	if run.p.now().Add(d + run.minCallBudget()).After(run.cutoff) {
		return errDeadline
	}
	return nil
}

func (run *invocation) minCallBudget() time.Duration {
	return run.p.Budget().minCall()
}

// sleep waits d, or reports false at once if a call could not follow it
// before the cutoff.
func (run *invocation) sleep(ctx context.Context, d time.Duration) bool {
	if run.timeLeft(d) != nil {
		return false
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
