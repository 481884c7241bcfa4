// Parts: the kinds of removal every account of a plan needs. Attributes
// always; tags too when EraseTags is set. Each part has its own calls, its
// own rate window (Tencent counts calls per API) and its own results, and
// runs in parallel with the other; an account is erased when every part is.

package eraser

import (
	"cmp"
	"context"
	"sync"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// The parts, as named in reports, audit lines and receipts.
const (
	PartAttrs = "attrs"
	PartTags  = "tags"
)

type part struct {
	name string
	// api keys the part's rate window and names its calls in errors.
	api  string
	call func(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error)
	// readAPI and read are the part's read-back (verify.go), with its own
	// rate window.
	readAPI string
	read    func(ctx context.Context, api API, users []tim.UserAttrs) (tim.ReadResult, error)

	// outcomes[i] is the part's outcome for entries[i], and started[i] is
	// set once a call holding it was started. Only the worker owning the
	// entry writes them.
	outcomes []outcome
	started  []bool

	// readSlots bounds the part's read-backs in flight (MaxInFlight).
	readSlots chan struct{}

	mu       sync.Mutex
	failures []failure // what outcomes from failedFirst on stand for
}

// outcome is a part's result for one entry, packed into four bytes: a 6 MB
// batch names some 700,000 accounts. Its zero value is "not done", so an
// account nobody reported on can never count as erased.
type outcome uint32

const (
	notDone outcome = iota
	removed
	// removedAbsent: nothing to remove, Tencent has no such account.
	removedAbsent
	// checking: removed, Tencent answered OK, and the read-back is still
	// to tell whether anything is left (verify.go). It is not done.
	checking
	checkingAbsent
	// dirty: read back with something left; being removed a second time.
	dirty
	// rechecking: removed a second time; the last read-back is due.
	rechecking
	recheckingAbsent
	// failedFirst+k stands for the part's failure k, which the entries of a
	// failed call share.
	failedFirst
)

type failure struct {
	class erasure.Class
	err   error
}

// decided tells whether entry i has an outcome, or a read-back owns it.
func (pt *part) decided(i int) bool { return pt.outcomes[i] != notDone }

// pending tells whether entry i was removed and still awaits a read-back.
func (pt *part) pending(i int) bool {
	o := pt.outcomes[i]
	return o == checking || o == checkingAbsent || o == dirty || o == rechecking || o == recheckingAbsent
}

// done tells whether the part was removed for entry i.
func (pt *part) done(i int) bool {
	return pt.outcomes[i] == removed || pt.outcomes[i] == removedAbsent
}

// remove records that the part was removed for entry i.
func (pt *part) remove(i int, absent bool) {
	pt.outcomes[i] = removed
	if absent {
		pt.outcomes[i] = removedAbsent
	}
}

// fail records err as the outcome of the entries idx.
func (pt *part) fail(idx []int, err error) {
	o := pt.failure(failure{class: classOf(err), err: err})
	for _, i := range idx {
		pt.outcomes[i] = o
	}
}

// failUndecided records class and err as the outcome of the entries idx
// that have none yet; nil idx means every entry.
func (pt *part) failUndecided(idx []int, class erasure.Class, err error) {
	pt.failWhere(idx, class, err, func(i int) bool { return !pt.decided(i) })
}

// failWhere records class and err as the outcome of the entries idx (nil:
// every entry) for which open holds, as one failure.
func (pt *part) failWhere(idx []int, class erasure.Class, err error, open func(i int) bool) {
	o := notDone
	mark := func(i int) {
		if open(i) {
			if o == notDone {
				o = pt.failure(failure{class: class, err: err})
			}
			pt.outcomes[i] = o
		}
	}
	if idx == nil {
		for i := range pt.outcomes {
			mark(i)
		}
		return
	}
	for _, i := range idx {
		mark(i)
	}
}

func (pt *part) failure(f failure) outcome {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.failures = append(pt.failures, f)
	return failedFirst + outcome(len(pt.failures)-1)
}

// result is entry i's outcome as a value.
func (pt *part) result(i int) entryResult {
	switch o := pt.outcomes[i]; o {
	case notDone, checking, checkingAbsent, dirty, rechecking, recheckingAbsent:
		return entryResult{}
	case removed, removedAbsent:
		return entryResult{erased: true, absent: o == removedAbsent}
	default:
		pt.mu.Lock()
		defer pt.mu.Unlock()
		f := pt.failures[o-failedFirst]
		return entryResult{class: f.class, err: f.err}
	}
}

func removeAttrs(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error) {
	return api.RemoveAttrs(ctx, users)
}

func removeTags(ctx context.Context, api API, users []tim.UserAttrs) (tim.RemoveResult, error) {
	return api.RemoveAllTags(ctx, accountsOf(users))
}

func readAttrs(ctx context.Context, api API, users []tim.UserAttrs) (tim.ReadResult, error) {
	return api.GetAttrs(ctx, users)
}

func readTags(ctx context.Context, api API, users []tim.UserAttrs) (tim.ReadResult, error) {
	return api.GetTags(ctx, accountsOf(users))
}

func accountsOf(users []tim.UserAttrs) []string {
	accounts := make([]string, len(users))
	for i, u := range users {
		accounts[i] = u.Account
	}
	return accounts
}

// newParts returns the parts p erases, each ready for n entries.
func (p *Processor) newParts(n int) []*part {
	parts := []*part{{name: PartAttrs, api: apiRemoveAttr, call: removeAttrs, readAPI: apiGetAttr, read: readAttrs}}
	if p.EraseTags {
		parts = append(parts, &part{name: PartTags, api: apiRemoveAllTags, call: removeTags, readAPI: apiGetTag, read: readTags})
	}
	for _, pt := range parts {
		pt.outcomes = make([]outcome, n)
		pt.started = make([]bool, n)
		pt.readSlots = make(chan struct{}, cmp.Or(p.Tuning.MaxInFlight, DefaultMaxInFlight))
	}
	return parts
}

// partNames names parts for the report.
func partNames(parts []*part) []string {
	names := make([]string, len(parts))
	for i, pt := range parts {
		names[i] = pt.name
	}
	return names
}
