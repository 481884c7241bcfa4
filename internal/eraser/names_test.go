package eraser_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// verdict is what a test expects of one message.
type verdict struct {
	outcome eraser.Outcome
	class   erasure.Class // for a failed message
	removed []string      // sorted names removed from the message's first account; nil: none
}

var (
	erased = func(removed ...string) verdict { return verdict{outcome: eraser.Erased, removed: removed} }
	// held: failed as retryable, so it is delayed and comes back; no
	// receipt, no dead letter.
	held     = verdict{outcome: eraser.Failed, class: erasure.Retryable}
	rejected = verdict{outcome: eraser.Failed, class: erasure.Content}
	invalid  = verdict{outcome: eraser.Invalid, class: erasure.Invalid}
)

// checkVerdicts compares each message of r with want, by message ID.
func checkVerdicts(t *testing.T, stub *timtest.Server, r *eraser.Report, want map[string]verdict) {
	t.Helper()
	for _, m := range r.Messages {
		w, ok := want[m.MessageID]
		if !ok {
			t.Errorf("message %s not expected", m.MessageID)
			continue
		}
		if m.Outcome != w.outcome || (w.outcome != eraser.Erased && m.Class != w.class) {
			t.Errorf("%s: %s, class %q (%v); want %s, class %q", m.MessageID, m.Outcome, m.Class, m.Err, w.outcome, w.class)
		}
		if len(m.Request.Accounts) == 0 {
			continue
		}
		if got := stub.Removed(m.Request.Accounts[0]); w.outcome == eraser.Erased && !slices.Equal(got, w.removed) {
			t.Errorf("%s: removed %v, want %v", m.MessageID, got, w.removed)
		}
	}
	checkPromise(t, stub, r)
}

func named(account string, attrs ...string) string {
	return fmt.Sprintf(`{"type":"gdpr.erasure","accounts":["%s"],"attrs":["%s"]}`, account, strings.Join(attrs, `","`))
}

// TestProcessAttrNamesChangeInTheConsole edits the app's names while the
// processor's list of them is cached. A message is rejected
// only for a name it gives itself and that a list read after Tencent's
// rejection lacks; everything else is erased, or held while the names
// cannot be read or do not explain the rejection.
func TestProcessAttrNamesChangeInTheConsole(t *testing.T) {
	all := timtest.DefaultAttrNames // sex city country level interest
	tests := []struct {
		name     string
		defaults []string // TIM_ATTRS; nil: every name of the app
		wait     time.Duration
		// change edits the console after the names were cached.
		change func(stub *timtest.Server)
		msgs   []eraser.Message
		want   map[string]verdict
		// lookups counts im_get_attr_name calls, the one that filled the
		// cache included.
		lookups int
	}{
		{
			name:    "a deleted name leaves the app's default set",
			change:  func(s *timtest.Server) { s.SetAttrNames("sex", "country", "level", "interest") },
			msgs:    []eraser.Message{message("a", erasureBody("u1")), message("b", erasureBody("u2", "u3"))},
			want:    map[string]verdict{"a": erased("country", "interest", "level", "sex"), "b": erased("country", "interest", "level", "sex")},
			lookups: 2,
		},
		{
			name:     "a deleted name leaves TIM_ATTRS",
			defaults: []string{"sex", "city"},
			change:   func(s *timtest.Server) { s.SetAttrNames("sex", "country") },
			msgs:     []eraser.Message{message("a", erasureBody("u1"))},
			want:     map[string]verdict{"a": erased("sex")},
			lookups:  2,
		},
		{
			// Nothing of the names it was to remove is left; it comes back
			// to be judged against the app's current names.
			name:    "every default name deleted: held",
			change:  func(s *timtest.Server) { s.SetAttrNames("hobby") },
			msgs:    []eraser.Message{message("a", erasureBody("u1"))},
			want:    map[string]verdict{"a": held},
			lookups: 2,
		},
		{
			name:   "a message naming the deleted name is rejected alone",
			change: func(s *timtest.Server) { s.SetAttrNames("sex", "country", "level", "interest") },
			msgs: []eraser.Message{
				message("own", named("u1", "city")),
				message("default", erasureBody("u1", "u2")),
			},
			want:    map[string]verdict{"own": rejected, "default": erased("country", "interest", "level", "sex")},
			lookups: 2,
		},
		{
			name:    "names unreadable after the rejection: held, not rejected",
			change:  func(s *timtest.Server) { s.SetAttrNames("sex"); s.FailAttrNames(timtest.CodeInternal) },
			msgs:    []eraser.Message{message("default", erasureBody("u1")), message("own", named("u2", "city"))},
			want:    map[string]verdict{"default": held, "own": held},
			lookups: 1 + eraser.DefaultMaxAttempts,
		},
		{
			name:    "a name added 11 s ago is known to a message naming it",
			wait:    11 * time.Second,
			change:  func(s *timtest.Server) { s.SetAttrNames(append(slices.Clone(all), "hobby")...) },
			msgs:    []eraser.Message{message("own", named("u1", "hobby", "sex"))},
			want:    map[string]verdict{"own": erased("hobby", "sex")},
			lookups: 2,
		},
		{
			name:    "a list at most 10 s old is trusted",
			wait:    5 * time.Second,
			change:  func(s *timtest.Server) { s.SetAttrNames(append(slices.Clone(all), "hobby")...) },
			msgs:    []eraser.Message{message("own", named("u1", "hobby"))},
			want:    map[string]verdict{"own": invalid},
			lookups: 1,
		},
		{
			name:    "a name that is nowhere is invalid after one fresh read",
			wait:    11 * time.Second,
			change:  func(*timtest.Server) {},
			msgs:    []eraser.Message{message("own", named("u1", "nosuch")), message("other", named("u1", "sex"))},
			want:    map[string]verdict{"own": invalid, "other": erased("sex")},
			lookups: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			clock := fakeclock.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			f.p.Tuning.Now = clock.Now
			f.p.DefaultAttrs = tt.defaults
			warm := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("warm", named("warm", "sex"))}})
			if failed := warm.FailedMessages(); len(failed) != 0 {
				t.Fatalf("warming the cache: %+v", warm.Messages)
			}
			tt.change(f.stub)
			clock.Advance(tt.wait + time.Second) // still well within the cache's minute
			r := f.p.Process(context.Background(), eraser.Batch{Messages: tt.msgs})
			checkVerdicts(t, f.stub, r, tt.want)
			if n := len(f.stub.CallsOf(timtest.OpGetAttrName)); n != tt.lookups {
				t.Errorf("im_get_attr_name calls = %d, want %d", n, tt.lookups)
			}
		})
	}
}

// rejectingNames answers every removal of attributes with 90033, as if
// Tencent disagreed with a list of names that still has every name sent.
type rejectingNames struct{ eraser.API }

func (rejectingNames) RemoveAttrs(context.Context, []tim.UserAttrs) (tim.RemoveResult, error) {
	return tim.RemoveResult{}, &tim.APIError{Op: string(tim.OpRemoveAttr), Code: timtest.CodeInvalidAttr}
}

// TestProcessUnexplainedInvalidAttrIsRetryable: when a fresh list still
// has every name sent, a 90033 says nothing about the message, which is
// held rather than rejected, and the call is not split.
func TestProcessUnexplainedInvalidAttrIsRetryable(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.API = rejectingNames{f.p.API}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{
		message("default", erasureBody("u1", "u2")),
		message("own", named("u3", "sex")),
	}})
	checkVerdicts(t, f.stub, r, map[string]verdict{"default": held, "own": held})
	if r.Splits != 0 {
		t.Errorf("splits = %d, want 0: the rejection is not the content's fault", r.Splits)
	}
}

// TestProcessOneReReadForConcurrentRejections deletes a name while two
// invocations, each with three calls, rely on the cached list: every call
// is rejected at about the same time, and one re-read serves them all.
func TestProcessOneReReadForConcurrentRejections(t *testing.T) {
	// Latency holds every answer back until all calls were sent.
	f := newFixture(t, timtest.Config{Faults: timtest.Faults{Latency: 50 * time.Millisecond}})
	if r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("warm", erasureBody("warm"))}}); len(r.FailedMessages()) != 0 {
		t.Fatalf("warming the cache: %+v", r.Messages)
	}
	f.stub.SetAttrNames("sex")
	batch := func(prefix string) eraser.Batch {
		accounts := make([]string, 250)
		for i := range accounts {
			accounts[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return eraser.Batch{Messages: []eraser.Message{message(prefix, erasureBody(accounts...))}}
	}
	var wg sync.WaitGroup
	reports := make([]*eraser.Report, 2)
	for i, prefix := range []string{"x", "y"} {
		wg.Go(func() { reports[i] = f.p.Process(context.Background(), batch(prefix)) })
	}
	wg.Wait()
	for _, r := range reports {
		checkVerdicts(t, f.stub, r, map[string]verdict{r.Messages[0].MessageID: erased("sex")})
	}
	if n := len(f.stub.CallsOf(timtest.OpGetAttrName)); n != 2 {
		t.Errorf("im_get_attr_name calls = %d, want 2: the first, and one re-read shared by six rejected calls", n)
	}
}

// TestProcessHoldsNamedAttrsWhileNamesUnreadable: a name a message gives
// is never sent unchecked, where it could fail another message naming the
// same account. While the names cannot be read, both messages
// are held; once they can, each is judged on its own.
func TestProcessHoldsNamedAttrsWhileNamesUnreadable(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	batch := eraser.Batch{Messages: []eraser.Message{
		message("a", named("u1", "nosuch")),
		message("b", `{"type":"gdpr.erasure","accounts":["u1","u2"],"attrs":["sex"]}`),
	}}
	steps := []struct {
		name        string
		namesFail   int
		want        map[string]verdict
		removeCalls int // im_remove_attr calls so far
	}{
		{"names unreadable", timtest.CodeInternal, map[string]verdict{"a": held, "b": held}, 0},
		{"names readable again", 0, map[string]verdict{"a": invalid, "b": erased("sex")}, 1},
	}
	for _, step := range steps {
		f.stub.FailAttrNames(step.namesFail)
		r := f.p.Process(context.Background(), batch)
		t.Run(step.name, func(t *testing.T) {
			checkVerdicts(t, f.stub, r, step.want)
			if n := removeCalls(f.stub); n != step.removeCalls {
				t.Errorf("im_remove_attr calls = %d, want %d", n, step.removeCalls)
			}
		})
	}
}
