package eraser_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/ratelimit"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// personal is an attribute value and a tag: it must never appear in a
// report, an error or a log line.
const personal = "PERSONAL-VALUE-Female"

// verifyFixture is a fixture with Verify on, a short RecheckDelay, and
// data for every account of accounts: a removed attribute with a value,
// and a tag.
func verifyFixture(t *testing.T, family tim.Family, tags bool, accounts ...string) *fixture {
	t.Helper()
	f := newFixture(t, timtest.Config{})
	f.p.API.(*tim.Client).Family = family
	f.p.Verify = true
	f.p.EraseTags = tags
	f.p.DefaultAttrs = []string{"sex", "city"}
	f.p.Tuning.RecheckDelay = 50 * time.Millisecond
	for _, a := range accounts {
		f.stub.SetAttrs(a, map[string]string{"sex": personal, "level": "kept"})
		if tags {
			f.stub.SetTags(a, personal)
		}
	}
	return f
}

// opCalls counts the stand-in's calls of op.
func opCalls(stub *timtest.Server, op timtest.Op) int { return len(stub.CallsOf(op)) }

// TestVerifiedErasure runs each rule of verification against the stand-in,
// in both families, attributes and tags.
func TestVerifiedErasure(t *testing.T) {
	type want struct {
		outcome    eraser.Outcome
		class      erasure.Class
		verified   int
		removals   int // removal calls of the part under test
		readBacks  int // read-back calls of the part under test
		unverified int
	}
	tests := []struct {
		name  string
		tags  bool // the fault hits the tag part (attributes are clean)
		setup func(s *timtest.Server)
		want  want
	}{
		{name: "clean", want: want{outcome: eraser.Erased, verified: 2, removals: 1, readBacks: 1}},
		{name: "clean with tags", tags: true, want: want{outcome: eraser.Erased, verified: 2, removals: 1, readBacks: 1}},
		{name: "not applied once: removed again, read back again, erased",
			setup: func(s *timtest.Server) { s.IgnoreRemovals(1, "a1") },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 2, readBacks: 2}},
		// Once each: attributes and tags count apart.
		{name: "tags not applied once", tags: true,
			setup: func(s *timtest.Server) { s.IgnoreRemovals(1, "a1") },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 2, readBacks: 2}},
		{name: "never applied: unverified, removed again only once",
			setup: func(s *timtest.Server) { s.IgnoreRemovals(-1, "a1") },
			want:  want{outcome: eraser.Failed, class: erasure.Unverified, verified: 1, removals: 2, readBacks: 2, unverified: 1}},
		{name: "tags never applied", tags: true,
			setup: func(s *timtest.Server) { s.IgnoreRemovals(-1, "a1") },
			want:  want{outcome: eraser.Failed, class: erasure.Unverified, verified: 1, removals: 2, readBacks: 2, unverified: 1}},
		{name: "read path lagging less than the recheck delay",
			setup: func(s *timtest.Server) { s.SetReadLag(20 * time.Millisecond) },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 2, readBacks: 2}},
		{name: "read path lagging past the recheck delay",
			setup: func(s *timtest.Server) { s.SetReadLag(time.Second) },
			want:  want{outcome: eraser.Failed, class: erasure.Unverified, removals: 2, readBacks: 2, unverified: 2}},
		{name: "a stranger in one answer: read again",
			setup: func(s *timtest.Server) { s.CorruptReadBacks(timtest.ReadBackStranger, 1) },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 1, readBacks: 2}},
		{name: "a duplicate in one answer: read again",
			setup: func(s *timtest.Server) { s.CorruptReadBacks(timtest.ReadBackDuplicate, 1) },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 1, readBacks: 2}},
		{name: "every answer untrusted: retryable, never erased",
			setup: func(s *timtest.Server) { s.CorruptReadBacks(timtest.ReadBackDuplicate, -1) },
			want:  want{outcome: eraser.Failed, class: erasure.Retryable, removals: 1, readBacks: eraser.DefaultMaxAttempts}},
		{name: "an unknown account (70107) reads back clean",
			setup: func(s *timtest.Server) { s.FailAccounts(timtest.CodeNoSuchAccount, "a1") },
			want:  want{outcome: eraser.Erased, verified: 2, removals: 1, readBacks: 1}},
	}
	for _, family := range []tim.Family{tim.AllMemberPush, tim.TimPush} {
		for _, tt := range tests {
			t.Run(family.String()+" "+tt.name, func(t *testing.T) {
				f := verifyFixture(t, family, tt.tags, "a1", "a2")
				if tt.tags {
					f.stub.SetAttrs("a1", nil) // only the tags hold data
					f.stub.SetAttrs("a2", nil)
				}
				if tt.setup != nil {
					tt.setup(f.stub)
				}
				var logs strings.Builder
				f.p.Logger = slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
				r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("a1", "a2"))}})
				m := r.Messages[0]
				if m.Outcome != tt.want.outcome || m.Class != tt.want.class {
					t.Fatalf("outcome %s %s (%v), want %s %s", m.Outcome, m.Class, m.Err, tt.want.outcome, tt.want.class)
				}
				if m.Verified != tt.want.verified || r.AccountsVerified != tt.want.verified || r.AccountsUnverified != tt.want.unverified {
					t.Errorf("Verified %d, AccountsVerified %d, AccountsUnverified %d; want %d, %d, %d",
						m.Verified, r.AccountsVerified, r.AccountsUnverified, tt.want.verified, tt.want.verified, tt.want.unverified)
				}
				remove, read := timtest.OpRemoveAttr, timtest.OpGetAttr
				if tt.tags {
					remove, read = timtest.OpRemoveAllTags, timtest.OpGetTag
				}
				if got := opCalls(f.stub, remove); got != tt.want.removals {
					t.Errorf("%d %s calls, want %d", got, remove, tt.want.removals)
				}
				if got := opCalls(f.stub, read); got != tt.want.readBacks {
					t.Errorf("%d %s calls, want %d", got, read, tt.want.readBacks)
				}
				if r.Verification != eraser.VerificationReadBack {
					t.Errorf("Verification = %q", r.Verification)
				}
				// Counters include read-backs: every request the stand-in answered.
				if st := f.stub.Stats(); r.Calls != st.Requests {
					t.Errorf("report counts %d calls, the stand-in answered %d", r.Calls, st.Requests)
				}
				if m.Err != nil && strings.Contains(m.Err.Error(), personal) || strings.Contains(fmt.Sprintf("%+v", r), personal) {
					t.Errorf("a value reached the report: %+v", r)
				}
				if strings.Contains(logs.String(), personal) || strings.Contains(logs.String(), `"a1"`) {
					t.Errorf("a value or an account reached the debug log:\n%s", logs.String())
				}
				if m.Err != nil && strings.Contains(m.Err.Error(), "a1") {
					t.Errorf("an account reached the error: %v", m.Err)
				}
			})
		}
	}
}

// TestUnverifiedFailsOnlyItsMessage: one account whose removal is never
// applied fails its message with class unverified; the others are erased.
func TestUnverifiedFailsOnlyItsMessage(t *testing.T) {
	f := verifyFixture(t, tim.AllMemberPush, false, "bad", "ok1", "ok2")
	f.stub.IgnoreRemovals(-1, "bad")
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{
		message("m1", erasureBody("ok1")),
		message("m2", erasureBody("bad", "ok2")),
		message("m3", erasureBody("ok2")),
	}})
	got := outcomes(r)
	if got["m1"] != eraser.Erased || got["m3"] != eraser.Erased || got["m2"] != eraser.Failed {
		t.Fatalf("outcomes %v", got)
	}
	s := r.Messages[1].Status()
	if s.Class != erasure.Unverified || s.Acknowledged || !s.Pending {
		t.Errorf("m2 status %+v, want unverified, pending, not acknowledged", s)
	}
	if r.Messages[1].Verified != 1 || r.AccountsVerified != 2 || r.AccountsErased != 2 || r.AccountsUnverified != 1 {
		t.Errorf("m2 verified %d; report %d verified, %d erased, %d unverified", r.Messages[1].Verified, r.AccountsVerified, r.AccountsErased, r.AccountsUnverified)
	}
	if r.Systemic {
		t.Error("an unverified account made the batch systemic")
	}
}

// TestVerificationOffAndDryRun: without Verify nothing is read back and an
// OK counts; a dry run reads nothing back either.
func TestVerificationOffAndDryRun(t *testing.T) {
	f := verifyFixture(t, tim.AllMemberPush, true, "a1")
	f.p.Verify = false
	f.stub.IgnoreRemovals(-1, "a1")
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("a1"))}})
	if r.Messages[0].Outcome != eraser.Erased || r.Verification != eraser.VerificationOff || r.AccountsVerified != 0 || r.Messages[0].Verified != 0 {
		t.Errorf("off: %+v", r)
	}
	if n := opCalls(f.stub, timtest.OpGetAttr) + opCalls(f.stub, timtest.OpGetTag); n != 0 {
		t.Errorf("off: %d read-backs", n)
	}

	f.p.Verify, f.p.DryRun = true, true
	r = f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("a1"))}})
	if r.Messages[0].Class != erasure.DryRun || r.Verification != eraser.VerificationOff {
		t.Errorf("dry run: %+v", r)
	}
	if n := opCalls(f.stub, timtest.OpGetAttr) + opCalls(f.stub, timtest.OpGetTag); n != 0 {
		t.Errorf("dry run: %d read-backs", n)
	}
}

// TestReadBackAfterTheCutoff: a read-back that cannot start before the
// cutoff fails as deadline, not as unverified, and is not acknowledged.
func TestReadBackAfterTheCutoff(t *testing.T) {
	f := verifyFixture(t, tim.AllMemberPush, false, "a1")
	f.stub.IgnoreRemovals(1, "a1")
	f.p.Tuning.RecheckDelay = 10 * time.Second
	f.p.Tuning.SafetyMargin = 100 * time.Millisecond
	ctx := withDeadline(t, 2*time.Second)
	r := f.p.Process(ctx, eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("a1"))}})
	m := r.Messages[0]
	if m.Outcome != eraser.Failed || m.Class != erasure.Deadline || m.Status().Acknowledged {
		t.Fatalf("outcome %s %s (%v), want failed deadline", m.Outcome, m.Class, m.Err)
	}
	if n := opCalls(f.stub, timtest.OpGetAttr); n != 1 {
		t.Errorf("%d read-backs, want the first only", n)
	}
}

// TestReadBacksArePipelined: with one removal in flight at a time, the
// first call's read-back is answered before the last removal is sent.
func TestReadBacksArePipelined(t *testing.T) {
	var accounts []string
	for i := range 500 {
		accounts = append(accounts, fmt.Sprintf("p%03d", i))
	}
	f := verifyFixture(t, tim.AllMemberPush, false)
	f.p.Tuning.MaxInFlight = 1
	if err := f.stub.SetFaults(timtest.Faults{Latency: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody(accounts...))}})
	if r.Messages[0].Outcome != eraser.Erased || r.AccountsVerified != 500 {
		t.Fatalf("%+v", r.Messages[0])
	}
	removes, reads := f.stub.CallsOf(timtest.OpRemoveAttr), f.stub.CallsOf(timtest.OpGetAttr)
	if len(removes) != 5 || len(reads) != 5 {
		t.Fatalf("%d removals, %d read-backs; want 5 of each", len(removes), len(reads))
	}
	if !reads[0].Time.Before(removes[len(removes)-1].Time) {
		t.Errorf("first read-back at %v, after the last removal at %v: not pipelined", reads[0].Time, removes[len(removes)-1].Time)
	}
}

// TestRecheckWaitsAfterTheSecondRemoval: the second read-back starts
// RecheckDelay (by default DefaultRecheckDelay, about 1 s) after the
// second removal answered, so a lagging read path can catch up.
func TestRecheckWaitsAfterTheSecondRemoval(t *testing.T) {
	f := verifyFixture(t, tim.AllMemberPush, false, "a1")
	f.p.Tuning.RecheckDelay = 0 // the default
	f.stub.SetReadLag(700 * time.Millisecond)
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody("a1"))}})
	if m := r.Messages[0]; m.Outcome != eraser.Erased {
		t.Fatalf("outcome %s %s (%v): the lag is shorter than the default recheck delay", m.Outcome, m.Class, m.Err)
	}
	removes, reads := f.stub.CallsOf(timtest.OpRemoveAttr), f.stub.CallsOf(timtest.OpGetAttr)
	if len(removes) != 2 || len(reads) != 2 {
		t.Fatalf("%d removals, %d read-backs; want 2 of each", len(removes), len(reads))
	}
	if gap := reads[1].Time.Sub(removes[1].Time); gap < eraser.DefaultRecheckDelay {
		t.Errorf("second read-back %v after the second removal, want at least %v", gap, eraser.DefaultRecheckDelay)
	}
}

// syncWriter serialises the writes of concurrent workers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestReadBacksHaveTheirOwnWindow: with 5 calls a second per API, 5
// removals and their 5 read-backs fit in one second; a shared window would
// need two.
func TestReadBacksHaveTheirOwnWindow(t *testing.T) {
	var accounts []string
	for i := range 500 {
		accounts = append(accounts, fmt.Sprintf("w%03d", i))
	}
	f := verifyFixture(t, tim.AllMemberPush, false)
	f.p.Limits = ratelimit.NewLimits(5, time.Second)
	start := time.Now()
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m1", erasureBody(accounts...))}})
	elapsed := time.Since(start)
	if r.Messages[0].Outcome != eraser.Erased || opCalls(f.stub, timtest.OpGetAttr) != 5 {
		t.Fatalf("%+v, %d read-backs", r.Messages[0], opCalls(f.stub, timtest.OpGetAttr))
	}
	if elapsed >= time.Second {
		t.Errorf("5 removals and 5 read-backs took %v: the read-backs waited for the removals' window", elapsed)
	}
}

// TestUnverifiedOnTheSchedule: through the handler and a queue, an
// unverified message is delayed by the schedule like any failure, and on
// its last receive dead-lettered with class unverified and an Erasure
// Failed receipt; the erased one gets Erasure Completed.
func TestUnverifiedOnTheSchedule(t *testing.T) {
	for _, last := range []bool{false, true} {
		f := verifyFixture(t, tim.AllMemberPush, false, "stuck", "fine")
		f.stub.IgnoreRemovals(-1, "stuck")
		msgs := []eraser.Message{message("ok", erasureBody("fine")), message("stuck", erasureBody("stuck"))}
		msgs[1].Lineage.ReceiveCount, msgs[1].Lineage.LastReceive = 3, last
		q := &recordingQueue{messages: msgs}
		rec := &recordingReceipts{}
		h := &eraser.Handler{Processor: f.p, Receipts: rec}
		r, err := h.Handle(context.Background(), eraser.Batch{Messages: msgs}, q)
		if err != nil {
			t.Fatal(err)
		}
		want, wantFailed, wantReceipts := []string{"stuck:delay:2m0s"}, []string{"stuck"}, []string{"ok:Erasure Completed"}
		if last {
			want, wantFailed, wantReceipts = []string{"stuck:dead-letter:unverified"}, nil, []string{"ok:Erasure Completed", "stuck:Erasure Failed"}
		}
		if got := q.summary(); !slices.Equal(got, want) {
			t.Errorf("last receive %v: orders %q, want %q", last, got, want)
		}
		if got := r.FailedMessages(); !slices.Equal(got, wantFailed) {
			t.Errorf("last receive %v: failed %v, want %v", last, got, wantFailed)
		}
		if !slices.Equal(rec.kinds, wantReceipts) {
			t.Errorf("last receive %v: receipts %q, want %q", last, rec.kinds, wantReceipts)
		}
	}
}
