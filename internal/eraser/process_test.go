package eraser_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

func TestProcessPacksSingleAccountMessages(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	var msgs []eraser.Message
	for i := range 250 {
		msgs = append(msgs, message(fmt.Sprintf("m-%03d", i), erasureBody(fmt.Sprintf("user-%03d", i))))
	}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
	if failed := r.FailedMessages(); len(failed) != 0 {
		t.Fatalf("failed messages: %v", failed)
	}
	if n := removeCalls(f.stub); n > 3 {
		t.Errorf("im_remove_attr calls = %d, want at most 3", n)
	}
	if r.AccountsErased != 250 || r.PlannedCalls != 3 {
		t.Errorf("AccountsErased = %d, PlannedCalls = %d; want 250, 3", r.AccountsErased, r.PlannedCalls)
	}
	checkPromise(t, f.stub, r)
}

func TestProcessMergesAccountsAcrossMessages(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	msgs := []eraser.Message{
		message("a", `{"type":"gdpr.erasure","accounts":["u1","u2"],"attrs":["sex"]}`),
		message("b", `{"type":"user.deleted","accounts":["u2","u3","u2"],"attrs":["city"]}`),
	}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
	if len(r.FailedMessages()) != 0 {
		t.Fatalf("failed: %+v", r.Messages)
	}
	want := map[string][]string{"u1": {"sex"}, "u2": {"city", "sex"}, "u3": {"city"}}
	for account, attrs := range want {
		if got := f.stub.Removed(account); !slices.Equal(got, attrs) {
			t.Errorf("removed for %s = %v, want %v", account, got, attrs)
		}
	}
	if r.Accounts != 3 || removeCalls(f.stub) != 1 {
		t.Errorf("Accounts = %d, calls = %d; want 3 accounts in 1 call", r.Accounts, removeCalls(f.stub))
	}
}

// TestProcessMixedBatch runs the sample batch of good and bad messages.
func TestProcessMixedBatch(t *testing.T) {
	raw, err := os.ReadFile("../../events/sqs-mixed-invalid.json")
	if err != nil {
		t.Fatal(err)
	}
	var event events.SQSEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatal(err)
	}
	var msgs []eraser.Message
	for _, rec := range event.Records {
		msgs = append(msgs, message(rec.MessageId, rec.Body))
	}
	f := newFixture(t, timtest.Config{})
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
	for _, m := range r.Messages {
		bad := strings.HasPrefix(m.MessageID, "bad-")
		switch {
		case bad && m.Outcome != eraser.Invalid:
			t.Errorf("%s: outcome %s, want invalid", m.MessageID, m.Outcome)
		case !bad && m.Outcome != eraser.Erased:
			t.Errorf("%s: outcome %s (%v), want erased", m.MessageID, m.Outcome, m.Err)
		case bad && m.Err == nil:
			t.Errorf("%s: invalid without a reason", m.MessageID)
		}
	}
	checkPromise(t, f.stub, r)
	if got := f.stub.Stats().Rejected; len(got) != 0 {
		t.Errorf("the stand-in rejected calls %v: bad input reached Tencent", got)
	}
}

// poisonedAccount makes Tencent reject, for its content (90001), every
// call holding one account, as it would a call it cannot parse.
type poisonedAccount struct {
	eraser.API
	account string
}

func (p poisonedAccount) RemoveAttrs(ctx context.Context, users []tim.UserAttrs) (tim.RemoveResult, error) {
	for _, u := range users {
		if u.Account == p.account {
			return tim.RemoveResult{}, &tim.APIError{Op: string(tim.OpRemoveAttr), Code: timtest.CodeJSONParse}
		}
	}
	return p.API.RemoveAttrs(ctx, users)
}

func TestProcessSplitsRejectedCalls(t *testing.T) {
	tests := []struct {
		name   string
		faults timtest.Faults
	}{
		{"clean API", timtest.Faults{}},
		// The halves must still retry transient failures of their own.
		{"flaky API", timtest.Faults{Seed: 5, Internal91000: 0.2, HTTP502: 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{Faults: tt.faults})
			f.p.API = poisonedAccount{API: f.p.API, account: "u17"}
			var msgs []eraser.Message
			for i := range 40 {
				msgs = append(msgs, message(fmt.Sprintf("m-%02d", i),
					fmt.Sprintf(`{"type":"gdpr.erasure","accounts":["u%02d"],"attrs":["sex"]}`, i)))
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			if failed := r.FailedMessages(); !slices.Equal(failed, []string{"m-17"}) {
				t.Fatalf("failed = %v, want [m-17]", failed)
			}
			if m := r.Messages[17]; m.Class != "content" {
				t.Errorf("class = %q, want content", m.Class)
			}
			if r.Splits == 0 {
				t.Error("no split recorded")
			}
			if tt.faults.Seed != 0 && f.stub.Stats().FaultsInjected == 0 {
				t.Error("no fault was injected; the flaky case tests nothing")
			}
			checkPromise(t, f.stub, r)
		})
	}
}

// TestProcessErrorList checks what an ErrorList means: only the listed
// accounts failed; an account that does not exist (70107) has nothing to
// erase; an entry naming no account of the call makes the whole answer
// untrustworthy, so nothing of that call counts as erased.
func TestProcessErrorList(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*timtest.Server)
		want       map[string]eraser.Outcome
		wantClass  erasure.Class
		wantAbsent map[string]int
	}{
		{
			name:  "listed account fails, the rest of the call is erased",
			setup: func(s *timtest.Server) { s.FailAccounts(70402, "odd-user") },
			want:  map[string]eraser.Outcome{"ok": eraser.Erased, "listed": eraser.Failed},
		},
		{
			name:       "account that does not exist counts as erased",
			setup:      func(s *timtest.Server) { s.FailAccounts(timtest.CodeNoSuchAccount, "odd-user") },
			want:       map[string]eraser.Outcome{"ok": eraser.Erased, "listed": eraser.Erased},
			wantAbsent: map[string]int{"listed": 1},
		},
		{
			name:      "entry with an empty account fails the whole call",
			setup:     func(s *timtest.Server) { s.InjectErrorList(timtest.AccountError{Account: "", ErrorCode: 70402}) },
			want:      map[string]eraser.Outcome{"ok": eraser.Failed, "listed": eraser.Failed},
			wantClass: "retryable",
		},
		{
			name:      "entry naming an unknown account fails the whole call",
			setup:     func(s *timtest.Server) { s.InjectErrorList(timtest.AccountError{Account: "odd-usr", ErrorCode: 70402}) },
			want:      map[string]eraser.Outcome{"ok": eraser.Failed, "listed": eraser.Failed},
			wantClass: "retryable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			tt.setup(f.stub)
			msgs := []eraser.Message{
				message("ok", erasureBody("u1", "u2")),
				message("listed", erasureBody("u3", "odd-user")),
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			if got := outcomes(r); !maps.Equal(got, tt.want) {
				t.Fatalf("outcomes = %v, want %v", got, tt.want)
			}
			absent := 0
			for _, m := range r.Messages {
				if m.Outcome == eraser.Failed && tt.wantClass != "" && m.Class != tt.wantClass {
					t.Errorf("%s: class %q, want %q", m.MessageID, m.Class, tt.wantClass)
				}
				if m.Absent != tt.wantAbsent[m.MessageID] {
					t.Errorf("%s: absent %d, want %d", m.MessageID, m.Absent, tt.wantAbsent[m.MessageID])
				}
				absent += m.Absent
			}
			if r.AccountsAbsent != absent {
				t.Errorf("report counts %d absent accounts, messages %d", r.AccountsAbsent, absent)
			}
			if tt.wantClass == "" && f.stub.Removed("u3") == nil {
				t.Error("u3 was not removed although only odd-user was listed")
			}
			for _, m := range r.Messages {
				for _, a := range m.Request.Accounts {
					if m.Outcome == eraser.Erased && a != "odd-user" && len(f.stub.Removed(a)) == 0 {
						t.Errorf("message %s acknowledged but an account of it was not removed", m.MessageID)
					}
				}
			}
		})
	}
}

// TestProcessNeverFollowsRedirects answers every call with a redirect to a
// server that would say OK: nothing reaches it, nothing is acknowledged,
// and the batch is systemic (a wrong TIM_BASE_URL or proxy).
func TestProcessNeverFollowsRedirects(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var reached atomic.Int64
			elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
				fmt.Fprint(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
			}))
			defer elsewhere.Close()
			f := newFixture(t, timtest.Config{})
			f.p.DefaultAttrs = nil
			if err := f.stub.SetRedirect(status, elsewhere.URL+"/v4/all_member_push/im_remove_attr"); err != nil {
				t.Fatal(err)
			}
			msgs := []eraser.Message{
				message("a", erasureBody("u1")),
				message("b", `{"type":"gdpr.erasure","accounts":["u2"],"attrs":["sex"]}`),
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			if failed := r.FailedMessages(); len(failed) != len(msgs) {
				t.Errorf("failed = %v, want every message", failed)
			}
			for _, m := range r.Messages {
				if m.Class != "configuration" {
					t.Errorf("%s: class %q, want configuration", m.MessageID, m.Class)
				}
			}
			if !r.Systemic {
				t.Error("a redirect must be systemic")
			}
			if n := reached.Load(); n != 0 {
				t.Errorf("the redirect target received %d requests", n)
			}
		})
	}
}

func TestProcessFIFOFailsEverythingAfterTheFirstFailure(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	msgs := []eraser.Message{
		message("1", erasureBody("f1")),
		message("2", erasureBody("f2")),
		message("3", `{"type":"nope","accounts":["f3"]}`),
		message("4", erasureBody("f4")),
	}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs, Ordered: true})
	want := []string{"3", "4"}
	if got := r.FailedMessages(); !slices.Equal(got, want) {
		t.Fatalf("failed = %v, want %v", got, want)
	}
	if f.stub.Removed("f4") != nil {
		t.Error("a message after the failed one was still sent")
	}
	if r.Messages[3].Class != erasure.FIFOBlocked {
		t.Errorf("class of message 4 = %q", r.Messages[3].Class)
	}
	checkPromise(t, f.stub, r)
}

func TestProcessWrongKeyIsSystemic(t *testing.T) {
	f := newFixture(t, timtest.Config{Key: []byte("a-different-key")})
	// One invalid message must not hide the systemic failure of the others.
	msgs := []eraser.Message{message("1", erasureBody("k1")), message("2", erasureBody("k2")), message("bad", "{")}
	reads := f.secrets.Calls()
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
	if !r.Systemic {
		t.Fatalf("Systemic = false; messages %+v", r.Messages)
	}
	for _, m := range r.Messages[:2] {
		if m.Outcome != eraser.Failed || m.Class != "signature" {
			t.Errorf("%s: %s/%s, want failed/signature", m.MessageID, m.Outcome, m.Class)
		}
	}
	// The first call reads the key; its rejection re-reads it once.
	if n := f.secrets.Calls() - reads; n != 2 {
		t.Errorf("secret read %d times, want 2", n)
	}
}

func TestProcessKeyRotationMidRun(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	var msgs []eraser.Message
	for i := range 30 {
		msgs = append(msgs, message(fmt.Sprintf("m%d", i), erasureBody(fmt.Sprintf("r%d", i))))
	}
	// The first batch signs with the old key; then the key rotates in both
	// Tencent and Secrets Manager, as an operator's rotation would.
	if r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs[:10]}); len(r.FailedMessages()) != 0 {
		t.Fatalf("before rotation: %v", r.FailedMessages())
	}
	f.stub.SetKey([]byte("rotated-key-rotated-key"))
	f.secrets.Put(secretName, "rotated-key-rotated-key")
	r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs[10:]})
	if failed := r.FailedMessages(); len(failed) != 0 {
		t.Fatalf("after rotation: failed %v", failed)
	}
	checkPromise(t, f.stub, r)
}

func TestProcessDeadline(t *testing.T) {
	f := newFixture(t, timtest.Config{Faults: timtest.Faults{Latency: 400 * time.Millisecond}})
	f.p.Tuning.MaxInFlight = 1
	f.p.Tuning.SafetyMargin = 300 * time.Millisecond
	f.p.Tuning.MinCallBudget = 50 * time.Millisecond
	var msgs []eraser.Message
	for i := range 10 {
		// 100 accounts a message: ten sequential calls of 400 ms each.
		accounts := make([]string, 100)
		for j := range accounts {
			accounts[j] = fmt.Sprintf("d%d-%d", i, j)
		}
		msgs = append(msgs, message(fmt.Sprintf("m%d", i), erasureBody(accounts...)))
	}
	const budget = 1500 * time.Millisecond
	ctx := withDeadline(t, budget)
	deadline, _ := ctx.Deadline()
	r := f.p.Process(ctx, eraser.Batch{Messages: msgs})
	if late := time.Since(deadline); late > -200*time.Millisecond {
		t.Errorf("Process returned %v before the deadline; want at least the safety margin", -late)
	}
	failed := r.FailedMessages()
	if len(failed) == 0 || len(failed) == len(msgs) {
		t.Fatalf("failed %d of %d messages; want some done and some left", len(failed), len(msgs))
	}
	unreached := 0
	for _, m := range r.Messages {
		if m.Outcome == eraser.Failed && m.Class != erasure.Deadline {
			t.Errorf("%s failed with class %q, want deadline", m.MessageID, m.Class)
		}
		if !m.Unreached {
			continue
		}
		// Unreached means no call for it started: SQS may requeue it
		// without counting a failure.
		unreached++
		if m.Outcome != eraser.Failed {
			t.Errorf("%s: unreached but %s", m.MessageID, m.Outcome)
		}
		for _, a := range m.Request.Accounts {
			if f.stub.Removed(a) != nil {
				t.Fatalf("%s: unreached, yet an account of it was removed", m.MessageID)
			}
		}
	}
	if unreached == 0 || !r.Messages[len(r.Messages)-1].Unreached {
		t.Errorf("%d unreached messages; want the last ones (no call for them could start)", unreached)
	}
	checkPromise(t, f.stub, r)
}

func TestProcessDryRunSendsNothing(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.DryRun = true
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("1", erasureBody("x"))}})
	if n := removeCalls(f.stub); n != 0 {
		t.Errorf("dry run sent %d calls", n)
	}
	if got := r.FailedMessages(); !slices.Equal(got, []string{"1"}) || r.Messages[0].Class != erasure.DryRun {
		t.Errorf("dry run: failed %v class %q; want every message failed as dry_run", got, r.Messages[0].Class)
	}
	if r.PlannedCalls != 1 || r.Systemic {
		t.Errorf("PlannedCalls = %d Systemic = %v", r.PlannedCalls, r.Systemic)
	}
}

func TestProcessConcurrentInvocations(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	var wg sync.WaitGroup
	reports := make([]*eraser.Report, 4)
	for g := range reports {
		wg.Go(func() {
			var msgs []eraser.Message
			for i := range 120 {
				msgs = append(msgs, message(fmt.Sprintf("g%d-%d", g, i), erasureBody(fmt.Sprintf("c%d-%d", g, i))))
			}
			reports[g] = f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
		})
	}
	wg.Wait()
	for g, r := range reports {
		if failed := r.FailedMessages(); len(failed) != 0 {
			t.Errorf("invocation %d failed %v", g, failed)
		}
		checkPromise(t, f.stub, r)
	}
}

func TestProcessAttrNamesAreCached(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	for i := range 3 {
		r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("1", erasureBody(fmt.Sprintf("n%d", i)))}})
		if len(r.FailedMessages()) != 0 {
			t.Fatalf("failed: %+v", r.Messages)
		}
	}
	if n := f.stub.Stats().AttrNameCalls; n != 1 {
		t.Errorf("im_get_attr_name calls = %d, want 1", n)
	}
	if got := f.stub.Removed("n0"); len(got) != len(timtest.DefaultAttrNames) {
		t.Errorf("default set removed %v, want every app attribute", got)
	}
}

func TestProcessNeverAcknowledgesWithoutAnswer(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.stub.Close() // every call fails to connect
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("1", erasureBody("x"))}})
	if r.Messages[0].Outcome != eraser.Failed {
		t.Fatalf("outcome %s, want failed", r.Messages[0].Outcome)
	}
	if r.Systemic {
		t.Error("a network failure must not count as systemic")
	}
	if err := r.Messages[0].Err; err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// TestProcessReservesTimeForReporting: the cutoff moves earlier with the
// batch's accounts, so hashing them for the audit lines and receipts after
// the last call still ends before Lambda's deadline.
func TestProcessReservesTimeForReporting(t *testing.T) {
	tests := []struct {
		name       string
		perAccount time.Duration // at a full CPU
		cpuShare   float64
		wantCalls  bool
	}{
		// 5 accounts: 5 s, more than the invocation has.
		{"a full CPU", time.Second, 0, false},
		// 5 × 100 ms is 0.5 s at a full CPU, 5 s at a tenth of one.
		{"a tenth of a CPU", 100 * time.Millisecond, 0.1, false},
		{"the same at a full CPU", 100 * time.Millisecond, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			f.p.Tuning.ReservePerAccount = tt.perAccount
			f.p.CPUShare = tt.cpuShare
			var msgs []eraser.Message
			for i := range 5 {
				msgs = append(msgs, message(fmt.Sprintf("m%d", i), erasureBody(fmt.Sprintf("r%d", i))))
			}
			r := f.p.Process(withDeadline(t, 3*time.Second), eraser.Batch{Messages: msgs})
			if n := removeCalls(f.stub); (n > 0) != tt.wantCalls {
				t.Errorf("%d calls started, want calls: %v", n, tt.wantCalls)
			}
			for _, m := range r.Messages {
				if m.Unreached == tt.wantCalls {
					t.Errorf("%s: %s/%s, unreached %v", m.MessageID, m.Outcome, m.Class, m.Unreached)
				}
			}
		})
	}
}
