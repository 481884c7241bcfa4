// Verified erasure: Tencent's OK to a removal is not proof that the data
// is gone. With Verify set, the accounts of every removal call that
// answered OK are read back (im_get_attr, im_get_tag) and a part counts as
// done for an account only when nothing removed is left. An account still
// showing data is removed again, once in the invocation, and read back
// again RecheckDelay later, as Tencent's read path may lag behind a write;
// still there, it fails with class unverified.
//
// Read-backs are pipelined: a call's read-back starts in its own goroutine
// as soon as its removal answered, while the part's workers go on with the
// next removals. The read-back APIs have their own rate windows, and at
// most MaxInFlight read-backs of a part are in flight.
//
// The client compares what it reads and keeps only which accounts are not
// clean: no value or tag reaches this package.

package eraser

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// The verification of a report, as audit lines and receipts name it.
const (
	// VerificationReadBack: every account counted erased was read back
	// clean.
	VerificationReadBack = "read-back"
	// VerificationOff: erased means Tencent answered OK to the removal
	// (VERIFY_ERASURE=false, or a dry run, which removes nothing).
	VerificationOff = "off"
)

// verifyError is why a removed account is not verified: read back after a
// second removal, it still showed data, or the read-back never answered
// for it. Its class is unverified; it never names the account or a value.
type verifyError struct {
	part   string
	reason string
}

func (e *verifyError) Error() string {
	return fmt.Sprintf("unverified %s: Tencent answered OK to removing them twice, but %s", e.part, e.reason)
}

var errNotReadBack = errors.New("removed, but not read back before the invocation ended")

// removed records the entries idx, whose removal by pt Tencent answered
// OK (absent[j]: Tencent has no such account), and starts their read-back.
// An entry removed a second time after a read-back found data (dirty) is
// read back by the verification that removed it again.
func (run *invocation) removed(ctx context.Context, pt *part, idx []int, absent []bool) {
	if !run.p.Verify {
		for j, i := range idx {
			pt.remove(i, absent[j])
		}
		return
	}
	var first []int
	for j, i := range idx {
		if pt.outcomes[i] == dirty {
			pt.outcomes[i] = rechecking
			if absent[j] {
				pt.outcomes[i] = recheckingAbsent
			}
			continue
		}
		pt.outcomes[i] = checking
		if absent[j] {
			pt.outcomes[i] = checkingAbsent
		}
		first = append(first, i)
	}
	if len(first) > 0 {
		run.verifying.Go(func() { run.verifyRecovering(ctx, pt, first) })
	}
}

// verifyRecovering verifies the entries idx of pt. A panic fails only
// those of them still awaiting a read-back.
func (run *invocation) verifyRecovering(ctx context.Context, pt *part, idx []int) {
	defer func() {
		if v := recover(); v != nil {
			pt.failPending(idx, erasure.Internal, recovered(ctx, run.p.logger(), "verifying a call", v))
		}
	}()
	run.verify(ctx, pt, idx)
}

// verify reads the entries idx back, removes again those not clean, reads
// those back once more after RecheckDelay, and decides every one of them.
func (run *invocation) verify(ctx context.Context, pt *part, idx []int) {
	left, err := run.readBack(ctx, pt, idx)
	if err != nil {
		pt.fail(idx, err)
		return
	}
	var again []int
	for _, i := range idx {
		if left[i] {
			pt.outcomes[i] = dirty
			again = append(again, i)
			continue
		}
		pt.remove(i, pt.outcomes[i] == checkingAbsent)
	}
	if len(again) == 0 {
		return
	}
	// The second removal, a new call with its own retry budget; what it
	// removes becomes rechecking (removed), what fails is decided by it.
	run.send(ctx, pt, again, 0)
	var recheck []int
	for _, i := range again {
		if o := pt.outcomes[i]; o == rechecking || o == recheckingAbsent {
			recheck = append(recheck, i)
		}
	}
	if len(recheck) == 0 {
		return
	}
	if !run.sleep(ctx, cmp.Or(run.p.Tuning.RecheckDelay, DefaultRecheckDelay)) {
		pt.fail(recheck, fmt.Errorf("%w: the read-back after a second removal could not start before the cutoff", errDeadline))
		return
	}
	left, err = run.readBack(ctx, pt, recheck)
	if err != nil {
		pt.fail(recheck, err)
		return
	}
	var still []int
	for _, i := range recheck {
		if left[i] {
			still = append(still, i)
			continue
		}
		pt.remove(i, pt.outcomes[i] == recheckingAbsent)
	}
	if len(still) > 0 {
		pt.fail(still, &verifyError{part: pt.name, reason: "reading them back still showed removed data, or no answer for them"})
	}
}

// readBack reads the entries idx of pt back in one call, with the retries
// of any call, and returns the entries not clean: still holding removed
// data, missing from the answer, or failed in its ErrorList.
func (run *invocation) readBack(ctx context.Context, pt *part, idx []int) (map[int]bool, error) {
	users := make([]tim.UserAttrs, len(idx))
	for j, i := range idx {
		users[j] = run.plan.Entries[i].UserAttrs
	}
	select {
	case pt.readSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-pt.readSlots }()
	var res tim.ReadResult
	_, err := run.withRetries(ctx, pt.readAPI, 0, func(ctx context.Context) error {
		var err error
		res, err = pt.read(ctx, run.p.API, users)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res.Clean() {
		return nil, nil
	}
	bad := make(map[string]bool, len(res.Dirty)+len(res.Missing)+len(res.Failed))
	for _, a := range res.Dirty {
		bad[a] = true
	}
	for _, a := range res.Missing {
		bad[a] = true
	}
	for _, f := range res.Failed {
		bad[f.Account] = true
	}
	left := make(map[int]bool, len(bad))
	for _, i := range idx {
		if bad[run.plan.Entries[i].Account] {
			left[i] = true
		}
	}
	return left, nil
}

// failPending fails, with class for err, the entries idx still awaiting a
// read-back; nil idx means every entry.
func (pt *part) failPending(idx []int, class erasure.Class, err error) {
	pt.failWhere(idx, class, err, pt.pending)
}
