package receipts_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// digest recomputes accountsDigest from the documented recipe alone:
// hex(HMAC-SHA256(key, account)[:16]) per account, sorted, joined with
// "\n", SHA-256, hex.
func digest(key []byte, accts []string) string {
	hashes := make([]string, len(accts))
	for i, a := range accts {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(a))
		hashes[i] = hex.EncodeToString(mac.Sum(nil)[:16])
	}
	sort.Strings(hashes)
	sum := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	return hex.EncodeToString(sum[:])
}

// keyID recomputes auditKeyId as telemetry documents it.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("attr-eraser audit key id\x00"), key...))
	return hex.EncodeToString(sum[:4])
}

const emptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestDigestOfNothingIsTheEmptyHash(t *testing.T) {
	if got := receipts.AccountsDigest(auditKey, nil); got != emptyDigest || digest(auditKey, nil) != emptyDigest {
		t.Errorf("AccountsDigest(nil) = %s, want %s", got, emptyDigest)
	}
}

func TestDetail(t *testing.T) {
	const completedAt = "2026-05-06T05:08:09.123Z"
	alice := []string{"alice", "bob", "carol"}
	long := strings.Repeat("x", 1023) + "é" + strings.Repeat("y", 1000) // é straddles byte 1024
	tests := []struct {
		name         string
		m            eraser.MessageResult
		parts        []string
		verification string
		wantType     string
		want         map[string]any
	}{
		{
			name: "completed", m: erased(1, alice...), parts: []string{"attrs", "tags"}, wantType: "Erasure Completed",
			want: map[string]any{
				"eventId": "evt-001", "type": "user.deleted", "messageId": "orig-001", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"erased": []string{"attrs", "tags"}, "verification": "off", "verifiedAccounts": 0,
			},
		},
		{
			name: "completed, read back", m: func() eraser.MessageResult { m := erased(7, alice...); m.Verified = 3; return m }(),
			parts: []string{"attrs"}, verification: eraser.VerificationReadBack, wantType: "Erasure Completed",
			want: map[string]any{
				"eventId": "evt-007", "type": "user.deleted", "messageId": "orig-007", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"erased": []string{"attrs"}, "verification": "read-back", "verifiedAccounts": 3,
			},
		},
		{
			name: "completed, no parts named", m: erased(2, "dave"), wantType: "Erasure Completed",
			want: map[string]any{
				"eventId": "evt-002", "type": "user.deleted", "messageId": "orig-002", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 1, "accountsDigest": digest(auditKey, []string{"dave"}), "auditKeyId": keyID(auditKey),
				"erased": []string{"attrs"}, "verification": "off", "verifiedAccounts": 0,
			},
		},
		{
			name: "completed, no lineage, eventId or occurredAt",
			m: func() eraser.MessageResult {
				m := erased(3, alice...)
				m.Request.Type, m.Request.EventID, m.Request.OccurredAt = erasure.GDPRErasure, "", ""
				m.Lineage = eraser.Lineage{}
				return m
			}(),
			parts: []string{"attrs"}, wantType: "Erasure Completed",
			want: map[string]any{
				"eventId": "", "type": "gdpr.erasure", "messageId": "copy-003", "occurredAt": "",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"erased": []string{"attrs"}, "verification": "off", "verifiedAccounts": 0,
			},
		},
		{
			name: "rejected, invalid",
			m: eraser.MessageResult{MessageID: "copy-inv", Outcome: eraser.Invalid, Receipt: eraser.ReceiptRejected, Class: erasure.Invalid,
				Err: errors.New("invalid message: body is not JSON"), Lineage: eraser.Lineage{OriginalMessageID: "orig-inv"}},
			wantType: "Erasure Rejected",
			want: map[string]any{
				"eventId": "", "type": "", "messageId": "orig-inv", "occurredAt": "",
				"completedAt": completedAt, "accounts": 0, "accountsDigest": emptyDigest, "auditKeyId": keyID(auditKey),
				"class": "invalid", "reason": "invalid message: body is not JSON",
			},
		},
		{
			name: "rejected, content",
			m: func() eraser.MessageResult {
				m := erased(4, alice...)
				m.Outcome, m.Class, m.Receipt, m.Err = eraser.Failed, erasure.Content, eraser.ReceiptRejected, errors.New("tim: ErrorCode 90001: content rejected")
				return m
			}(),
			wantType: "Erasure Rejected",
			want: map[string]any{
				"eventId": "evt-004", "type": "user.deleted", "messageId": "orig-004", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"class": "content", "reason": "tim: ErrorCode 90001: content rejected",
			},
		},
		{
			// The end of the retry schedule: a person must look, and the
			// detail says why, as a rejection's does.
			name: "failed at the end of the schedule",
			m: func() eraser.MessageResult {
				m := erased(6, alice...)
				m.Outcome, m.Class, m.Receipt, m.Err = eraser.Failed, erasure.Retryable, eraser.ReceiptFailed, errors.New("tim: ErrorCode 91000: internal error")
				m.HandOff, m.Lineage.ReceiveCount, m.Lineage.LastReceive = eraser.DeadLettered, 30, true
				return m
			}(),
			wantType: "Erasure Failed",
			want: map[string]any{
				"eventId": "evt-006", "type": "user.deleted", "messageId": "orig-006", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"class": "retryable", "reason": "tim: ErrorCode 91000: internal error",
			},
		},
		{
			name:     "rejected, long reason cut on a rune boundary",
			m:        eraser.MessageResult{MessageID: "copy-long", Outcome: eraser.Invalid, Receipt: eraser.ReceiptRejected, Class: erasure.Invalid, Err: errors.New(long)},
			wantType: "Erasure Rejected",
			want: map[string]any{
				"eventId": "", "type": "", "messageId": "copy-long", "occurredAt": "",
				"completedAt": completedAt, "accounts": 0, "accountsDigest": emptyDigest, "auditKeyId": keyID(auditKey),
				"class": "invalid", "reason": strings.Repeat("x", 1023),
			},
		},
		{
			name: "rejected, a reason naming an account is withheld",
			m: func() eraser.MessageResult {
				m := erased(5, alice...)
				m.Outcome, m.Class, m.Receipt, m.Err = eraser.Failed, erasure.Content, eraser.ReceiptRejected, errors.New("tim: account bob rejected")
				return m
			}(),
			wantType: "Erasure Rejected",
			want: map[string]any{
				"eventId": "evt-005", "type": "user.deleted", "messageId": "orig-005", "occurredAt": "2026-05-01T00:00:00Z",
				"completedAt": completedAt, "accounts": 3, "accountsDigest": digest(auditKey, alice), "auditKeyId": keyID(auditKey),
				"class": "content", "reason": "[withheld: the reason contained an account of the message]",
			},
		},
		{
			name:     "rejected, neither class nor error",
			m:        eraser.MessageResult{MessageID: "copy-x", Outcome: eraser.Invalid, Receipt: eraser.ReceiptRejected},
			wantType: "Erasure Rejected",
			want: map[string]any{
				"eventId": "", "type": "", "messageId": "copy-x", "occurredAt": "",
				"completedAt": completedAt, "accounts": 0, "accountsDigest": emptyDigest, "auditKeyId": keyID(auditKey),
				"class": "unknown", "reason": "unknown",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := &eraser.Report{Messages: []eraser.MessageResult{tt.m}, Parts: tt.parts, Verification: tt.verification}
			if errs := put(t, f.p, ctx(t), r, []int{0}); errs[0] != nil {
				t.Fatal(errs[0])
			}
			evs := f.srv.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.EventBus != bus || ev.Source != "attr-eraser" || ev.DetailType != tt.wantType ||
				!ev.Time.Equal(clock.Truncate(time.Millisecond)) || len(ev.Resources) != 0 {
				t.Errorf("event = %+v", ev)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(ev.Detail), &got); err != nil {
				t.Fatal(err)
			}
			if want := normalize(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("detail:\n got %v\nwant %v", got, want)
			}
			if reason, ok := got["reason"].(string); ok && (len(reason) > receipts.MaxReasonBytes || !utf8.ValidString(reason)) {
				t.Errorf("reason of %d bytes, valid UTF-8 %v", len(reason), utf8.ValidString(reason))
			}
			// The typed view agrees.
			var d receipts.Detail
			if err := json.Unmarshal([]byte(ev.Detail), &d); err != nil || d.CompletedAt != completedAt || d.AuditKeyID != keyID(auditKey) {
				t.Errorf("Detail = %+v, %v", d, err)
			}
		})
	}
}

// normalize gives want the types encoding/json decodes into.
func normalize(t *testing.T, want map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDigestFromAuditLines recomputes a receipt's digest the way a
// consumer would: from the accountHashes of the message's audit lines, all
// parts, as telemetry writes them.
func TestDigestFromAuditLines(t *testing.T) {
	f := newFixture(t)
	accts := accounts(7, 2500)
	r := &eraser.Report{Messages: []eraser.MessageResult{erased(7, accts...)}, Parts: []string{"attrs"}}

	var logs bytes.Buffer
	audit := &telemetry.Audit{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Keys: f.keys, HashesPerLine: 1000}
	audit.Observe(ctx(t), r)
	var hashes []string
	parts, lineKeyID := 0, ""
	for line := range strings.Lines(logs.String()) {
		var l struct {
			Msg           string   `json:"msg"`
			AccountHashes []string `json:"accountHashes"`
			AuditKeyID    string   `json:"auditKeyId"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Msg == "audit" {
			parts++
			hashes = append(hashes, l.AccountHashes...)
			lineKeyID = l.AuditKeyID
		}
	}
	if parts != 3 || len(hashes) != len(accts) {
		t.Fatalf("%d audit lines holding %d hashes, want 3 holding %d", parts, len(hashes), len(accts))
	}
	slices.Sort(hashes)
	sum := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	fromLines := hex.EncodeToString(sum[:])

	if errs := put(t, f.p, ctx(t), r, []int{0}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	var d receipts.Detail
	if err := json.Unmarshal([]byte(f.srv.Events()[0].Detail), &d); err != nil {
		t.Fatal(err)
	}
	if d.AccountsDigest != fromLines || d.AccountsDigest != digest(auditKey, accts) || d.AccountsDigest != receipts.AccountsDigest(auditKey, accts) {
		t.Errorf("accountsDigest = %s; from the audit lines %s, from the accounts %s", d.AccountsDigest, fromLines, digest(auditKey, accts))
	}
	if d.AuditKeyID != lineKeyID || d.Accounts != len(accts) {
		t.Errorf("auditKeyId %s, accounts %d; the audit lines say %s, %d", d.AuditKeyID, d.Accounts, lineKeyID, len(accts))
	}
	// Another key gives another digest.
	if d.AccountsDigest == digest([]byte("another key"), accts) {
		t.Error("digest does not depend on the key")
	}
}

// TestNoAccountIDOnTheWire checks what left the process: every request
// body the stand-in received, every event it took, and every error Put
// returned, under retries and failures, for messages of up to 10,000
// accounts.
func TestNoAccountIDOnTheWire(t *testing.T) {
	f := newFixture(t)
	r := &eraser.Report{Parts: []string{"attrs", "tags"}}
	var all []string
	for i := range 25 {
		n := 50
		if i == 3 {
			n = erasure.MaxAccountsPerRequest
		}
		accts := accounts(i, n)
		all = append(all, accts...)
		m := erased(i, accts...)
		switch i % 3 {
		case 1:
			m.Outcome, m.Class, m.Receipt, m.Err = eraser.Failed, erasure.Content, eraser.ReceiptRejected, errors.New("tim: ErrorCode 90001: content rejected")
		case 2:
			m.Outcome, m.Class, m.Receipt, m.Err = eraser.Failed, erasure.Content, eraser.ReceiptRejected, fmt.Errorf("tim: account %s rejected", accts[1])
		}
		r.Messages = append(r.Messages, m)
	}
	f.srv.FailEntries("InternalFailure", 2, detailHas(4))
	f.srv.FailEntries("AccessDeniedException", -1, detailHas(5))
	f.srv.FailCalls("InternalException", -1, func(es []eventstest.Event) bool { return slices.ContainsFunc(es, detailHas(21)) })
	idx := make([]int, len(r.Messages))
	for i := range idx {
		idx[i] = i
	}
	errs := put(t, f.p, ctx(t), r, idx)
	if errs[5] == nil || errs[20] == nil || errs[4] != nil || errs[3] != nil {
		t.Fatalf("errs[3,4,5,20] = %v, %v, %v, %v: the faults did not happen as planned", errs[3], errs[4], errs[5], errs[20])
	}
	var wire strings.Builder
	for _, b := range f.srv.Bodies() {
		wire.WriteString(b)
	}
	for _, e := range f.srv.Events() {
		wire.WriteString(e.Detail)
		if size := eventstest.Size(e); size > 2048 {
			t.Errorf("a receipt of %d bytes; it should not grow with its accounts", size)
		}
	}
	wire.WriteString(errText(errs))
	text := wire.String()
	for _, a := range all {
		if strings.Contains(text, a) {
			t.Fatalf("account %s left the process", a)
		}
	}
	if !strings.Contains(text, "[withheld") {
		t.Error("no reason was withheld")
	}
}

func TestBatching(t *testing.T) {
	tests := []struct {
		n         int
		wantSizes []int // entries per call
	}{
		{1, []int{1}},
		{10, []int{10}},
		{11, []int{1, 10}},
		{25, []int{5, 10, 10}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			f := newFixture(t)
			r, idx := report(tt.n)
			for _, err := range put(t, f.p, ctx(t), r, idx) {
				if err != nil {
					t.Fatal(err)
				}
			}
			var sizes []int
			for _, b := range f.srv.Bodies() {
				var in struct{ Entries []json.RawMessage }
				if err := json.Unmarshal([]byte(b), &in); err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(in.Entries))
			}
			slices.Sort(sizes)
			if f.srv.Calls() != len(tt.wantSizes) || !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("%d calls of %v entries, want %v", f.srv.Calls(), sizes, tt.wantSizes)
			}
			var ids []string
			for _, e := range f.srv.Events() {
				var d receipts.Detail
				if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, d.MessageID)
			}
			slices.Sort(ids)
			for i, id := range ids {
				if want := fmt.Sprintf("orig-%03d", i); id != want {
					t.Fatalf("receipt %d is for %s, want %s", i, id, want)
				}
			}
		})
	}
}

func TestRetries(t *testing.T) {
	type failure struct {
		code     string
		attempts int
		is       error // a cause errors.Is must find; nil skips
	}
	batchWith := func(i int) func([]eventstest.Event) bool {
		return func(es []eventstest.Event) bool { return slices.ContainsFunc(es, detailHas(i)) }
	}
	tests := []struct {
		name      string
		n         int
		setup     func(*eventstest.Server)
		wantCalls int
		wantFail  map[int]failure // by index; the others must be put
	}{
		{
			name: "transient entry failure is retried", n: 5,
			setup:     func(s *eventstest.Server) { s.FailEntries("InternalFailure", 2, detailHas(3)) },
			wantCalls: 3,
		},
		{
			name: "throttled entry is retried", n: 5,
			setup:     func(s *eventstest.Server) { s.FailEntries("ThrottlingException", 1, detailHas(0)) },
			wantCalls: 2,
		},
		{
			name: "persistent entry failure fails only its index", n: 5,
			setup:     func(s *eventstest.Server) { s.FailEntries("InternalFailure", -1, detailHas(2)) },
			wantCalls: receipts.DefaultMaxAttempts,
			wantFail:  map[int]failure{2: {"InternalFailure", receipts.DefaultMaxAttempts, receipts.ErrAttemptsExhausted}},
		},
		{
			name: "entry failure EventBridge calls final is not retried", n: 5,
			setup:     func(s *eventstest.Server) { s.FailEntries("AccessDeniedException", -1, detailHas(1)) },
			wantCalls: 1,
			wantFail:  map[int]failure{1: {"AccessDeniedException", 1, nil}},
		},
		{
			name: "whole-call failure fails that batch's indexes only", n: 25,
			setup:     func(s *eventstest.Server) { s.FailCalls("InternalException", -1, batchWith(12)) },
			wantCalls: 2 + receipts.DefaultMaxAttempts, // the client itself does not retry
			wantFail: func() map[int]failure {
				m := map[int]failure{}
				for i := 10; i < 20; i++ {
					m[i] = failure{"InternalException", receipts.DefaultMaxAttempts, receipts.ErrAttemptsExhausted}
				}
				return m
			}(),
		},
		{
			name: "throttled call is retried", n: 5,
			setup:     func(s *eventstest.Server) { s.FailCalls("ThrottlingException", 2, nil) },
			wantCalls: 3,
		},
		{
			name: "denied call is not retried", n: 3,
			setup:     func(s *eventstest.Server) { s.FailCalls("AccessDeniedException", -1, nil) },
			wantCalls: 1,
			wantFail: map[int]failure{
				0: {"AccessDeniedException", 1, nil}, 1: {"AccessDeniedException", 1, nil}, 2: {"AccessDeniedException", 1, nil},
			},
		},
		{
			name: "retried entries and a failed call together", n: 20,
			setup: func(s *eventstest.Server) {
				s.FailEntries("ThrottlingException", 3, detailHas(15))
				s.FailEntries("InternalFailure", 1, detailHas(16))
				s.FailCalls("ServiceUnavailable", 1, batchWith(3))
			},
			wantCalls: 2 + 1 + 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f.srv)
			r, idx := report(tt.n)
			errs := put(t, f.p, ctx(t), r, idx)
			for i, err := range errs {
				want, fails := tt.wantFail[i]
				if !fails {
					if err != nil {
						t.Errorf("index %d: %v", i, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("index %d was put, want %s", i, want.code)
					continue
				}
				e := asError(t, err)
				if e.Op != receipts.OpPutEvents || e.Code != want.code || e.Attempts != want.attempts || e.EventBus != bus {
					t.Errorf("index %d: %+v, want code %s after %d attempts", i, e, want.code, want.attempts)
				}
				if want.is != nil && !errors.Is(err, want.is) {
					t.Errorf("index %d: %v is not %v", i, err, want.is)
				}
			}
			if got := f.srv.Calls(); got != tt.wantCalls {
				t.Errorf("Calls = %d, want %d", got, tt.wantCalls)
			}
			if got, want := len(f.srv.Events()), tt.n-len(tt.wantFail); got != want {
				t.Errorf("%d events, want %d", got, want)
			}
		})
	}
}

// fakeAPI stands in for the client where the stand-in cannot: panics,
// hangs, broken answers.
type fakeAPI func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)

func (f fakeAPI) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return f(ctx, in)
}

// accept answers every entry as put.
func accept(_ context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	for i := range in.Entries {
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint("id-", i))})
	}
	return out, nil
}

func TestRetriesStopBeforeDeadline(t *testing.T) {
	const (
		timeout = 1500 * time.Millisecond
		reserve = 400 * time.Millisecond
	)
	policy := receipts.Retry{BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxAttempts: 10000, Reserve: reserve, MinCallTime: 50 * time.Millisecond}
	tests := []struct {
		name      string
		api       func(f fixture) receipts.API // nil: the stand-in
		setup     func(*eventstest.Server)
		wantIs    error
		manyCalls bool
	}{
		{
			name:      "failing entry",
			setup:     func(s *eventstest.Server) { s.FailEntries("InternalFailure", -1, nil) },
			wantIs:    receipts.ErrNoTimeToRetry,
			manyCalls: true,
		},
		{
			name:      "failing call",
			setup:     func(s *eventstest.Server) { s.FailCalls("ThrottlingException", -1, nil) },
			wantIs:    receipts.ErrNoTimeToRetry,
			manyCalls: true,
		},
		{
			name: "hanging call",
			api: func(fixture) receipts.API {
				return fakeAPI(func(ctx context.Context, _ *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
					<-ctx.Done()
					return nil, ctx.Err()
				})
			},
			wantIs: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.p.Retry = policy
			if tt.setup != nil {
				tt.setup(f.srv)
			}
			if tt.api != nil {
				f.p.API = tt.api(f)
			}
			c, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			deadline, _ := c.Deadline()
			r, idx := report(3)
			errs := put(t, f.p, c, r, idx)
			if left := time.Until(deadline); left < reserve-100*time.Millisecond {
				t.Errorf("Put returned %v before the deadline, want about %v (Reserve)", left, reserve)
			}
			for i, err := range errs {
				if !errors.Is(err, tt.wantIs) {
					t.Errorf("index %d: %v, want %v", i, err, tt.wantIs)
				}
			}
			if tt.manyCalls && f.srv.Calls() < 3 {
				t.Errorf("only %d calls: it gave up long before the deadline", f.srv.Calls())
			}
		})
	}
}

func TestAuditKeyErrorFailsAll(t *testing.T) {
	f := newFixture(t)
	keyErr := errors.New("signingkey: secret unavailable")
	f.keys.err = keyErr
	r, idx := report(12)
	for i, err := range put(t, f.p, ctx(t), r, idx) {
		if e := asError(t, err); e.Op != receipts.OpAuditKey || !errors.Is(err, keyErr) {
			t.Errorf("index %d: %v", i, err)
		}
	}
	if f.srv.Calls() != 0 {
		t.Errorf("%d calls without a key", f.srv.Calls())
	}
}

// TestOneErrorPerIndex: whatever happens, Put answers every index.
func TestOneErrorPerIndex(t *testing.T) {
	r2, _ := report(2)
	r25, idx25 := report(25)
	panicOn12 := fakeAPI(func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		for _, e := range in.Entries {
			if strings.Contains(aws.ToString(e.Detail), `"orig-012"`) {
				panic("boom")
			}
		}
		return accept(ctx, in)
	})
	tests := []struct {
		name   string
		change func(p *receipts.Publisher, k *keys)
		report *eraser.Report
		idx    []int
		want   []error // per index: nil, or a cause errors.Is finds
		panics bool    // every non-nil error tells of a panic
	}{
		{
			name: "API panics", report: r25, idx: idx25, panics: true,
			change: func(p *receipts.Publisher, _ *keys) {
				p.API = fakeAPI(func(context.Context, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
					panic("boom")
				})
			},
			want: slices.Repeat([]error{errors.New("any")}, 25),
		},
		{
			name: "API panics for one batch", report: r25, idx: idx25, panics: true,
			change: func(p *receipts.Publisher, _ *keys) { p.API = panicOn12 },
			want:   slices.Concat(slices.Repeat([]error{nil}, 10), slices.Repeat([]error{errors.New("any")}, 10), slices.Repeat([]error{nil}, 5)),
		},
		{
			name: "KeySource panics", report: r2, idx: []int{0, 1}, panics: true,
			change: func(p *receipts.Publisher, _ *keys) { p.Keys = panicKeys{} },
			want:   []error{errors.New("any"), errors.New("any")},
		},
		{
			name: "no answer", report: r2, idx: []int{0, 1},
			change: func(p *receipts.Publisher, _ *keys) {
				p.API = fakeAPI(func(context.Context, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
					return nil, nil
				})
			},
			want: []error{receipts.ErrNotAnswered, receipts.ErrNotAnswered},
		},
		{
			name: "short answer", report: r2, idx: []int{0, 1},
			change: func(p *receipts.Publisher, _ *keys) {
				p.API = fakeAPI(func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
					out, _ := accept(ctx, in)
					out.Entries = out.Entries[:1]
					return out, nil
				})
			},
			want: []error{receipts.ErrNotAnswered, receipts.ErrNotAnswered},
		},
		{
			name: "entry without EventId", report: r2, idx: []int{0, 1},
			change: func(p *receipts.Publisher, _ *keys) {
				p.API = fakeAPI(func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
					out, _ := accept(ctx, in)
					for i, e := range in.Entries {
						if strings.Contains(aws.ToString(e.Detail), `"orig-001"`) {
							out.Entries[i].EventId = nil
						}
					}
					return out, nil
				})
			},
			want: []error{nil, receipts.ErrNotAnswered},
		},
		{name: "indexes out of range", report: r2, idx: []int{0, 2, -1, 1}, want: []error{nil, receipts.ErrNoSuchMessage, receipts.ErrNoSuchMessage, nil}},
		{name: "same index twice", report: r2, idx: []int{1, 1}, want: []error{nil, nil}},
		{name: "nil report", report: nil, idx: []int{0, 1}, want: []error{receipts.ErrNoSuchMessage, receipts.ErrNoSuchMessage}},
		{name: "no indexes", report: r2, idx: nil, want: nil},
		{
			name: "no client", report: r2, idx: []int{0, 1}, want: []error{receipts.ErrNotConfigured, receipts.ErrNotConfigured},
			change: func(p *receipts.Publisher, _ *keys) { p.API = nil },
		},
		{
			name: "no bus", report: r2, idx: []int{0}, want: []error{receipts.ErrNotConfigured},
			change: func(p *receipts.Publisher, _ *keys) { p.EventBus = "" },
		},
		{
			name: "no key source", report: r2, idx: []int{0}, want: []error{receipts.ErrNotConfigured},
			change: func(p *receipts.Publisher, _ *keys) { p.Keys = nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.p.Retry.MaxAttempts = 2
			if tt.change != nil {
				tt.change(f.p, f.keys)
			}
			errs := put(t, f.p, ctx(t), tt.report, tt.idx)
			for i, err := range errs {
				want := tt.want[i]
				switch {
				case want == nil && err != nil:
					t.Errorf("index %d: %v", i, err)
				case want != nil && err == nil:
					t.Errorf("index %d was put, want %v", i, want)
				case want != nil && tt.panics:
					// The panic's type, never its value, which might hold data.
					var p *erasure.PanicError
					if !errors.As(err, &p) || strings.Contains(err.Error(), "boom") {
						t.Errorf("index %d: %v, want the panic without its value", i, err)
					}
				case want != nil && !errors.Is(err, want):
					t.Errorf("index %d: %v, want %v", i, err, want)
				}
				if err != nil {
					asError(t, err)
				}
			}
		})
	}
}

type panicKeys struct{}

func (panicKeys) AuditKey(context.Context) ([]byte, error) { panic("boom") }

func TestNoIndexesNeedNoKey(t *testing.T) {
	f := newFixture(t)
	r, _ := report(2)
	if errs := f.p.Put(ctx(t), r, nil); len(errs) != 0 {
		t.Fatalf("errs = %v", errs)
	}
	if f.keys.calls.Load() != 0 || f.srv.Calls() != 0 {
		t.Errorf("key read %d times, %d calls, for nothing", f.keys.calls.Load(), f.srv.Calls())
	}
}

// TestConcurrentPuts shares one Publisher between invocations (-race).
func TestConcurrentPuts(t *testing.T) {
	f := newFixture(t)
	f.srv.FailEntries("ThrottlingException", 1, nil) // every entry once
	const puts = 8
	var wg sync.WaitGroup
	results := make([][]error, puts)
	for g := range puts {
		wg.Go(func() {
			r := &eraser.Report{Parts: []string{"attrs"}}
			var idx []int
			for i := range 12 {
				m := erased(g*100+i, accounts(g*100+i, 5)...)
				r.Messages = append(r.Messages, m)
				idx = append(idx, i)
			}
			results[g] = f.p.Put(ctx(t), r, idx)
		})
	}
	wg.Wait()
	for g, errs := range results {
		if len(errs) != 12 {
			t.Fatalf("put %d: %d errors for 12 receipts", g, len(errs))
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("put %d, index %d: %v", g, i, err)
			}
		}
	}
	ids := map[string]bool{}
	for _, e := range f.srv.Events() {
		var d receipts.Detail
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatal(err)
		}
		ids[d.MessageID] = true
	}
	if len(ids) != puts*12 {
		t.Errorf("%d distinct receipts, want %d: %v", len(ids), puts*12, slices.Sorted(maps.Keys(ids)))
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *receipts.Error
		want string
	}{
		{&receipts.Error{Op: receipts.OpPutEvents, EventBus: "b", Code: "InternalFailure", Attempts: 3, Err: errors.New("oops")},
			"receipts: PutEvents to bus b: InternalFailure: oops (3 attempts)"},
		{&receipts.Error{Op: receipts.OpAuditKey, Err: errors.New("no key")}, "receipts: AuditKey: no key"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
