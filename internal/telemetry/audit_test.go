package telemetry_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// testKey keys the hashes of every test here. Its vectors below were
// computed independently: `printf user-1001 | openssl dgst -sha256 -hmac
// 'attr-eraser test audit key'` and Python's hashlib for KeyID.
var testKey = []byte("attr-eraser test audit key")

const (
	testKeyHash  = "7cce8f93bfcb6c8446f9360a73c0611a" // Hash(testKey, "user-1001")
	testKeyKeyID = "8668ce8a"                         // KeyID(testKey)
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestHashVector(t *testing.T) {
	if got := telemetry.Hash(testKey, "user-1001"); got != testKeyHash {
		t.Errorf("Hash = %s, want %s", got, testKeyHash)
	}
	if got := telemetry.KeyID(testKey); got != testKeyKeyID {
		t.Errorf("KeyID = %s, want %s", got, testKeyKeyID)
	}
}

func TestHashProperties(t *testing.T) {
	otherKey := []byte("another audit key")
	tests := []struct {
		name    string
		key     []byte
		account string
	}{
		{"short account", testKey, "u"},
		{"32-byte account", testKey, strings.Repeat("x", 32)},
		{"printable ASCII with spaces", testKey, "a b ~!@#$%^&*()"},
		{"other key", otherKey, "user-1001"},
		{"empty key", nil, "user-1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := telemetry.Hash(tt.key, tt.account)
			if !hex32.MatchString(h) {
				t.Errorf("Hash = %q, want 32 lower-case hex characters", h)
			}
			if again := telemetry.Hash(tt.key, tt.account); again != h {
				t.Errorf("Hash is not stable: %s then %s", h, again)
			}
			if strings.Contains(h, tt.account) {
				t.Errorf("Hash %q contains the account", h)
			}
			if other := telemetry.Hash(append(bytes.Clone(tt.key), 'x'), tt.account); other == h {
				t.Errorf("Hash does not depend on the key")
			}
			if other := telemetry.Hash(tt.key, tt.account+"x"); other == h {
				t.Errorf("Hash does not depend on the account")
			}
		})
	}
	if telemetry.KeyID(testKey) == telemetry.KeyID(otherKey) {
		t.Error("KeyID is the same for two keys")
	}
	if id := telemetry.KeyID(testKey); !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(id) || strings.Contains(string(testKey), id) {
		t.Errorf("KeyID = %q, want 8 hex characters that do not reveal the key", id)
	}
}

// keys is a KeySource returning a fixed key or error.
type keys struct {
	key []byte
	err error
}

func (k keys) AuditKey(context.Context) ([]byte, error) { return k.key, k.err }

// line is one decoded log line; raw keeps every member for presence checks.
type line struct {
	Level         string   `json:"level"`
	Msg           string   `json:"msg"`
	MessageID     string   `json:"messageId"`
	EventID       string   `json:"eventId"`
	Type          string   `json:"type"`
	OccurredAt    string   `json:"occurredAt"`
	Accounts      int      `json:"accounts"`
	Outcome       string   `json:"outcome"`
	Class         string   `json:"class"`
	Reason        string   `json:"reason"`
	AuditKeyID    string   `json:"auditKeyId"`
	AccountHashes []string `json:"accountHashes"`
	HashError     string   `json:"hashError"`
	Part          int      `json:"part"`
	Parts         int      `json:"parts"`
	RequestID     string   `json:"requestId"`
	raw           map[string]json.RawMessage
}

func (l line) has(member string) bool { _, ok := l.raw[member]; return ok }

// decode splits output into JSON lines; every line must be a JSON object.
func decode(t *testing.T, out string) []line {
	t.Helper()
	var lines []line
	for _, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if s == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, s)
		}
		if err := json.Unmarshal([]byte(s), &l.raw); err != nil {
			t.Fatalf("not a JSON object: %v: %s", err, s)
		}
		lines = append(lines, l)
	}
	return lines
}

// observe runs one Observe over report and returns the raw output, the
// lines encoded by hand (TestAuditLinesEncodeAsSlog holds them to slog's).
func observe(t *testing.T, ks telemetry.KeySource, perLine int, report *eraser.Report) string {
	t.Helper()
	var buf bytes.Buffer
	l := &telemetry.Audit{Out: &buf, Keys: ks, HashesPerLine: perLine}
	l.Observe(context.Background(), report)
	return buf.String()
}

// accounts returns n distinctive account IDs.
func accounts(prefix string, n int) []string {
	a := make([]string, n)
	for i := range a {
		a[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return a
}

func hashes(key []byte, accts []string) []string {
	h := make([]string, len(accts))
	for i, a := range accts {
		h[i] = telemetry.Hash(key, a)
	}
	return h
}

func request(accts []string) erasure.Request {
	return erasure.Request{
		Type:       erasure.GDPRErasure,
		Accounts:   accts,
		EventID:    "evt-123",
		OccurredAt: "2026-11-25T10:00:00Z",
	}
}

// wantLine describes one expected audit line.
type wantLine struct {
	level   string
	outcome string
	class   string // also asserts presence: empty means absent
	reason  string // likewise
	hashes  []string
	noKey   bool // hashError set, auditKeyId absent
	part    int  // 0: part and parts absent
	parts   int
}

func TestAuditLines(t *testing.T) {
	three := accounts("acct-three", 3)
	five := accounts("acct-five", 5)
	four := accounts("acct-four", 4)
	errRetry := errors.New("tim: im_remove_attr: HTTP status 502")
	errInvalid := errors.New(`invalid message: type: "bogus" is not user.deleted or gdpr.erasure`)
	keyErr := errors.New("signingkey: read secret \"x\": AccessDeniedException")

	tests := []struct {
		name    string
		keys    keys
		perLine int
		msg     eraser.MessageResult
		want    []wantLine
	}{
		{
			name: "erased",
			keys: keys{key: testKey},
			msg:  eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Erased},
			want: []wantLine{{level: "INFO", outcome: "erased", hashes: hashes(testKey, three)}},
		},
		{
			name: "failed with class and reason",
			keys: keys{key: testKey},
			msg:  eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Failed, Class: "retryable", Err: errRetry},
			want: []wantLine{{level: "WARN", outcome: "failed", class: "retryable", reason: errRetry.Error(), hashes: hashes(testKey, three)}},
		},
		{
			name: "failed without an error has a class but no reason",
			keys: keys{key: testKey},
			msg:  eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Failed, Class: erasure.Deadline},
			want: []wantLine{{level: "WARN", outcome: "failed", class: "deadline", hashes: hashes(testKey, three)}},
		},
		{
			name: "invalid has no accounts and no hashes",
			keys: keys{key: testKey},
			msg:  eraser.MessageResult{MessageID: "m-1", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errInvalid},
			want: []wantLine{{level: "WARN", outcome: "invalid", class: "invalid", reason: errInvalid.Error()}},
		},
		{
			name:    "chunked into parts",
			keys:    keys{key: testKey},
			perLine: 2,
			msg:     eraser.MessageResult{MessageID: "m-1", Request: request(five), Outcome: eraser.Erased},
			want: []wantLine{
				{level: "INFO", outcome: "erased", hashes: hashes(testKey, five[0:2]), part: 1, parts: 3},
				{level: "INFO", outcome: "erased", hashes: hashes(testKey, five[2:4]), part: 2, parts: 3},
				{level: "INFO", outcome: "erased", hashes: hashes(testKey, five[4:5]), part: 3, parts: 3},
			},
		},
		{
			name:    "chunked failure repeats class and reason on every part",
			keys:    keys{key: testKey},
			perLine: 2,
			msg:     eraser.MessageResult{MessageID: "m-1", Request: request(four), Outcome: eraser.Failed, Class: "retryable", Err: errRetry},
			want: []wantLine{
				{level: "WARN", outcome: "failed", class: "retryable", reason: errRetry.Error(), hashes: hashes(testKey, four[0:2]), part: 1, parts: 2},
				{level: "WARN", outcome: "failed", class: "retryable", reason: errRetry.Error(), hashes: hashes(testKey, four[2:4]), part: 2, parts: 2},
			},
		},
		{
			name:    "exactly one line's worth is not chunked",
			keys:    keys{key: testKey},
			perLine: 3,
			msg:     eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Erased},
			want:    []wantLine{{level: "INFO", outcome: "erased", hashes: hashes(testKey, three)}},
		},
		{
			name: "default hashes per line",
			keys: keys{key: testKey},
			msg:  eraser.MessageResult{MessageID: "m-1", Request: request(accounts("acct-big", telemetry.DefaultHashesPerLine+1)), Outcome: eraser.Erased},
			want: []wantLine{
				{level: "INFO", outcome: "erased", hashes: hashes(testKey, accounts("acct-big", telemetry.DefaultHashesPerLine)), part: 1, parts: 2},
				{level: "INFO", outcome: "erased", hashes: hashes(testKey, accounts("acct-big", telemetry.DefaultHashesPerLine+1)[telemetry.DefaultHashesPerLine:]), part: 2, parts: 2},
			},
		},
		{
			name: "key unavailable: hashError, no hashes, no key id",
			keys: keys{err: keyErr},
			msg:  eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Erased},
			want: []wantLine{{level: "INFO", outcome: "erased", noKey: true}},
		},
		{
			name:    "key unavailable is one line even when it would be chunked",
			keys:    keys{err: keyErr},
			perLine: 1,
			msg:     eraser.MessageResult{MessageID: "m-1", Request: request(three), Outcome: eraser.Failed, Class: "configuration", Err: keyErr},
			want:    []wantLine{{level: "WARN", outcome: "failed", class: "configuration", reason: keyErr.Error(), noKey: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := observe(t, tt.keys, tt.perLine, &eraser.Report{Messages: []eraser.MessageResult{tt.msg}})
			lines := decode(t, out)
			if len(lines) != len(tt.want)+1 {
				t.Fatalf("got %d lines, want %d audit lines and a summary:\n%s", len(lines), len(tt.want), out)
			}
			for i, w := range tt.want {
				l := lines[i]
				if l.Msg != "audit" || l.Level != w.level {
					t.Errorf("line %d: msg %q level %q, want audit %s", i, l.Msg, l.Level, w.level)
				}
				req := tt.msg.Request
				if l.MessageID != tt.msg.MessageID || l.EventID != req.EventID || l.Type != string(req.Type) ||
					l.OccurredAt != req.OccurredAt || l.Accounts != len(req.Accounts) || l.Outcome != w.outcome {
					t.Errorf("line %d: messageId %q eventId %q type %q occurredAt %q accounts %d outcome %q; want %q %q %q %q %d %q",
						i, l.MessageID, l.EventID, l.Type, l.OccurredAt, l.Accounts, l.Outcome,
						tt.msg.MessageID, req.EventID, req.Type, req.OccurredAt, len(req.Accounts), w.outcome)
				}
				for _, member := range []string{"messageId", "eventId", "type", "occurredAt", "accounts", "outcome"} {
					if !l.has(member) {
						t.Errorf("line %d: no %q member", i, member)
					}
				}
				if l.has("class") != (w.class != "") || l.Class != w.class {
					t.Errorf("line %d: class %q (present %v), want %q", i, l.Class, l.has("class"), w.class)
				}
				if l.has("reason") != (w.reason != "") || l.Reason != w.reason {
					t.Errorf("line %d: reason %q (present %v), want %q", i, l.Reason, l.has("reason"), w.reason)
				}
				if w.noKey {
					if l.has("auditKeyId") || l.has("accountHashes") || l.HashError == "" {
						t.Errorf("line %d: without a key want hashError and neither auditKeyId nor accountHashes: %v", i, l.raw)
					}
				} else {
					if l.AuditKeyID != testKeyKeyID || l.has("hashError") {
						t.Errorf("line %d: auditKeyId %q hashError %q, want %s and none", i, l.AuditKeyID, l.HashError, testKeyKeyID)
					}
					if !slices.Equal(l.AccountHashes, w.hashes) || (len(w.hashes) == 0) == l.has("accountHashes") {
						t.Errorf("line %d: accountHashes %v, want %v", i, l.AccountHashes, w.hashes)
					}
				}
				if l.Part != w.part || l.Parts != w.parts || l.has("part") != (w.part != 0) || l.has("parts") != (w.parts != 0) {
					t.Errorf("line %d: part %d/%d, want %d/%d (0: absent)", i, l.Part, l.Parts, w.part, w.parts)
				}
			}
			if last := lines[len(lines)-1]; last.Msg != "batch processed" {
				t.Errorf("last line is %q, want the summary", last.Msg)
			}
			assertNoAccounts(t, out, tt.msg.Request.Accounts)
		})
	}
}

func assertNoAccounts(t *testing.T, out string, accts []string) {
	t.Helper()
	for _, a := range accts {
		if strings.Contains(out, a) {
			t.Fatalf("output contains the raw account %q:\n%s", a, out)
		}
	}
}

func TestAuditOneLinePerMessageInBatchOrder(t *testing.T) {
	a, b := accounts("acct-a", 2), accounts("acct-b", 1)
	report := &eraser.Report{Messages: []eraser.MessageResult{
		{MessageID: "m-1", Request: request(a), Outcome: eraser.Erased},
		{MessageID: "m-2", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid message: bad")},
		{MessageID: "m-3", Request: request(b), Outcome: eraser.Failed, Class: "signature", Err: errors.New("tim: signature")},
	}}
	out := observe(t, keys{key: testKey}, 0, report)
	lines := decode(t, out)
	var ids []string
	for _, l := range lines {
		if l.Msg == "audit" {
			ids = append(ids, l.MessageID)
		}
	}
	if want := []string{"m-1", "m-2", "m-3"}; !slices.Equal(ids, want) {
		t.Errorf("audit lines for %v, want %v", ids, want)
	}
	assertNoAccounts(t, out, append(a, b...))
}

func TestSummaryLine(t *testing.T) {
	report := &eraser.Report{
		Messages: []eraser.MessageResult{
			{MessageID: "m-1", Request: request(accounts("s1", 2)), Outcome: eraser.Erased, Absent: 1, Verified: 2},
			{MessageID: "m-2", Request: request(accounts("s2", 1)), Outcome: eraser.Failed, Class: "retryable"},
			{MessageID: "m-3", Request: request(accounts("s3", 1)), Outcome: eraser.Failed, Class: "retryable"},
			{MessageID: "m-4", Request: request(accounts("s4", 1)), Outcome: eraser.Failed, Class: "rate_limited"},
			{MessageID: "m-5", Outcome: eraser.Invalid, Class: erasure.Invalid},
		},
		Accounts:         5,
		AccountsErased:   2,
		AccountsAbsent:   1,
		Verification:     eraser.VerificationReadBack,
		AccountsVerified: 2,
		PlannedCalls:     1,
		Calls:            7,
		Retries:          6,
		RateLimited:      2,
		Splits:           1,
		Duration:         1234567 * time.Microsecond,
		DryRun:           false,
		Systemic:         false,
	}
	out := observe(t, keys{key: testKey}, 0, report)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var got struct {
		Level            string         `json:"level"`
		Msg              string         `json:"msg"`
		Messages         int            `json:"messages"`
		Erased           int            `json:"erased"`
		Failed           int            `json:"failed"`
		Invalid          int            `json:"invalid"`
		Accounts         int            `json:"accounts"`
		AccountsErased   int            `json:"accountsErased"`
		AccountsAbsent   int            `json:"accountsAbsent"`
		AccountsVerified int            `json:"accountsVerified"`
		PlannedCalls     int            `json:"plannedCalls"`
		Calls            int            `json:"calls"`
		Retries          int            `json:"retries"`
		RateLimited      int            `json:"rateLimited"`
		Splits           int            `json:"splits"`
		FailuresByClass  map[string]int `json:"failuresByClass"`
		DurationMs       int64          `json:"durationMs"`
		DryRun           *bool          `json:"dryRun"`
		Systemic         *bool          `json:"systemic"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Msg != "batch processed" || got.Level != "INFO" {
		t.Fatalf("last line: msg %q level %q, want the INFO summary", got.Msg, got.Level)
	}
	if got.Messages != 5 || got.Erased != 1 || got.Failed != 3 || got.Invalid != 1 ||
		got.Accounts != 5 || got.AccountsErased != 2 || got.AccountsAbsent != 1 || got.PlannedCalls != 1 || got.Calls != 7 ||
		got.Retries != 6 || got.RateLimited != 2 || got.Splits != 1 || got.DurationMs != 1234 || got.AccountsVerified != 2 {
		t.Errorf("summary = %+v", got)
	}
	if want := map[string]int{"retryable": 2, "rate_limited": 1, "invalid": 1}; len(got.FailuresByClass) != len(want) ||
		got.FailuresByClass["retryable"] != 2 || got.FailuresByClass["rate_limited"] != 1 || got.FailuresByClass["invalid"] != 1 {
		t.Errorf("failuresByClass = %v, want %v", got.FailuresByClass, want)
	}
	if got.DryRun == nil || *got.DryRun || got.Systemic == nil || *got.Systemic {
		t.Errorf("dryRun %v systemic %v, want both present and false", got.DryRun, got.Systemic)
	}
	// Accounts Tencent does not know are named on their message's line.
	for _, l := range decode(t, strings.Join(lines[:len(lines)-1], "\n")) {
		if want := map[string]string{"m-1": "1"}[l.MessageID]; string(l.raw["absent"]) != want {
			t.Errorf("%s: absent = %s, want %q", l.MessageID, l.raw["absent"], want)
		}
		// Every line says what "erased" rests on and how many accounts of
		// the message were read back clean.
		if want := map[string]string{"m-1": "2"}[l.MessageID]; l.MessageID != "" && string(l.raw["verified"]) != cmp.Or(want, "0") {
			t.Errorf("%s: verified = %s, want %s", l.MessageID, l.raw["verified"], cmp.Or(want, "0"))
		}
		if l.MessageID != "" && string(l.raw["verification"]) != `"read-back"` {
			t.Errorf("%s: verification = %s", l.MessageID, l.raw["verification"])
		}
	}
	// The classes are written in a stable order, so two identical batches
	// give identical lines.
	if !strings.Contains(lines[len(lines)-1], `"failuresByClass":{"invalid":1,"rate_limited":1,"retryable":2}`) {
		t.Errorf("failuresByClass not in sorted order: %s", lines[len(lines)-1])
	}
}

func TestSummaryOfAnEmptyBatch(t *testing.T) {
	lines := decode(t, observe(t, keys{key: testKey}, 0, &eraser.Report{DryRun: true, Systemic: true}))
	if len(lines) != 1 || lines[0].Msg != "batch processed" {
		t.Fatalf("got %v, want only the summary", lines)
	}
	if string(lines[0].raw["messages"]) != "0" || string(lines[0].raw["dryRun"]) != "true" || string(lines[0].raw["systemic"]) != "true" {
		t.Errorf("summary = %v", lines[0].raw)
	}
}

// The audit trail is evidence: raising LOG_LEVEL to quiet diagnostics must
// not drop it, and the Lambda request ID still reaches every line.
func TestAuditIgnoresLogLevel(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		t.Run(level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			logger := telemetry.NewLogger(&buf, level)
			l := &telemetry.Audit{Logger: logger, Keys: keys{key: testKey}}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
			l.Observe(ctx, &eraser.Report{Messages: []eraser.MessageResult{
				{MessageID: "m-1", Request: request(accounts("lvl", 1)), Outcome: eraser.Erased},
				{MessageID: "m-2", Request: request(accounts("lvl2", 1)), Outcome: eraser.Failed, Class: "retryable"},
			}})
			lines := decode(t, buf.String())
			var msgs []string
			for _, ln := range lines {
				msgs = append(msgs, ln.Msg+"/"+ln.Level)
				if ln.RequestID != "req-42" {
					t.Errorf("line %q has requestId %q, want req-42", ln.Msg, ln.RequestID)
				}
			}
			if want := []string{"audit/INFO", "audit/WARN", "batch processed/INFO"}; !slices.Equal(msgs, want) {
				t.Errorf("at level %v got %v, want %v", level, msgs, want)
			}
		})
	}
}

func TestAuditConcurrentObserve(t *testing.T) {
	for _, by := range []string{"Out", "Logger"} {
		t.Run(by, func(t *testing.T) {
			var buf capture.Buffer
			l := &telemetry.Audit{Out: &buf, Keys: keys{key: testKey}, HashesPerLine: 1}
			if by == "Logger" {
				l = &telemetry.Audit{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Keys: keys{key: testKey}, HashesPerLine: 1}
			}
			done := make(chan struct{})
			for i := range 8 {
				go func() {
					defer func() { done <- struct{}{} }()
					l.Observe(context.Background(), &eraser.Report{Messages: []eraser.MessageResult{
						{MessageID: "m", Request: request(accounts("conc"+string(rune('a'+i)), 3)), Outcome: eraser.Erased},
					}})
				}()
			}
			for range 8 {
				<-done
			}
			if got := len(decode(t, buf.String())); got != 8*4 {
				t.Errorf("got %d lines, want %d", got, 8*4)
			}
		})
	}
}

// TestAuditHandOff: each line follows the erasure, not the copy (original
// message id, receive count, requeues) and says what SQS was asked to do;
// the summary counts the hand-offs.
func TestAuditHandOff(t *testing.T) {
	lineage := eraser.Lineage{OriginalMessageID: "orig-1", ReceiveCount: 3, Requeues: 2}
	report := &eraser.Report{Messages: []eraser.MessageResult{
		{MessageID: "copy-1", Request: request(accounts("h1", 1)), Outcome: eraser.Erased, Lineage: lineage},
		{MessageID: "m-2", Request: request(accounts("h2", 1)), Outcome: eraser.Failed, Class: erasure.Deadline, Unreached: true, HandOff: eraser.Requeued, Lineage: eraser.Lineage{OriginalMessageID: "m-2", ReceiveCount: 1}},
		{MessageID: "m-3", Outcome: eraser.Invalid, Class: erasure.Invalid, HandOff: eraser.DeadLettered, Lineage: eraser.Lineage{OriginalMessageID: "m-3", ReceiveCount: 1}},
		{MessageID: "m-4", Request: request(accounts("h4", 1)), Outcome: eraser.Failed, Class: erasure.Retryable, HandOff: eraser.Delayed, RetryAfter: 2 * time.Minute, Lineage: eraser.Lineage{OriginalMessageID: "m-4", ReceiveCount: 3}, Done: []string{eraser.PartAttrs}},
		{MessageID: "m-5", Request: request(accounts("h5", 1)), Outcome: eraser.Failed, Class: erasure.Retryable, HandOffErr: errors.New("sqsq: ChangeMessageVisibilityBatch: AccessDenied"), Lineage: eraser.Lineage{OriginalMessageID: "m-5", ReceiveCount: 1}},
	}, Parts: []string{eraser.PartAttrs, eraser.PartTags}}
	out := observe(t, keys{key: testKey}, 0, report)
	lines := decode(t, out)
	want := map[string]map[string]string{
		"copy-1": {"originalMessageId": `"orig-1"`, "receiveCount": "3", "requeues": "2"},
		"m-2":    {"originalMessageId": `"m-2"`, "unreached": "true", "handOff": `"requeued"`},
		"m-3":    {"handOff": `"dead_lettered"`},
		"m-4":    {"handOff": `"delayed"`, "retryAfterSeconds": "120", "receiveCount": "3", "done": `["attrs"]`},
		"m-5":    {"handOffError": `"sqsq: ChangeMessageVisibilityBatch: AccessDenied"`},
	}
	for _, l := range lines[:len(lines)-1] {
		for member, value := range want[l.MessageID] {
			if got := string(l.raw[member]); got != value {
				t.Errorf("%s: %s = %s, want %s", l.MessageID, member, got, value)
			}
		}
		if l.MessageID == "m-5" && l.has("handOff") {
			t.Errorf("m-5: handOff present although SQS refused it")
		}
		if l.MessageID == "m-3" && l.has("done") {
			t.Errorf("m-3: an invalid message has nothing done or to do")
		}
	}
	summary := lines[len(lines)-1].raw
	for member, value := range map[string]string{"requeued": "1", "deadLettered": "1", "delayed": "1", "failed": "3", "invalid": "1", "removes": `["attrs","tags"]`} {
		if got := string(summary[member]); got != value {
			t.Errorf("summary %s = %s, want %s", member, got, value)
		}
	}
	if !strings.Contains(out, `"failuresByClass":{"invalid":1,"retryable":2}`) {
		t.Errorf("a requeued message counted as a failure: %s", lines[len(lines)-1].raw["failuresByClass"])
	}
}

// TestHasherMatchesHash: a Hasher reused across accounts gives each the
// hash a fresh HMAC gives (no state carried from the account before).
func TestHasherMatchesHash(t *testing.T) {
	key := []byte("audit-key-for-the-hasher-test")
	h := telemetry.NewHasher(key)
	for _, account := range []string{"user-1001", "", "a", "user-1001", strings.Repeat("x", 32)} {
		fresh := hmac.New(sha256.New, key)
		fresh.Write([]byte(account))
		want := hex.EncodeToString(fresh.Sum(nil)[:16])
		if got := h.Hash(account); got != want || telemetry.Hash(key, account) != want {
			t.Errorf("Hash(%q) = %s (Hasher) / %s (Hash), want %s", account, got, telemetry.Hash(key, account), want)
		}
	}
}

// TestAuditInvalidMessageNamesItsAccounts: an invalid message's audit line
// names its well-formed accounts by hash, as a valid message's does, so
// that a data subject's failed request can be found by the subject's hash.
// An ambiguous body names none.
func TestAuditInvalidMessageNamesItsAccounts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // accounts whose hashes the line carries
	}{
		{"unknown type", `{"type":"user.renamed","accounts":["user-1001","u2"],"eventId":"e1"}`, []string{"user-1001", "u2"}},
		{"one entry malformed", `{"type":"user.deleted","accounts":["user-1001",""]}`, []string{"user-1001"}},
		{"ambiguous: repeated accounts", `{"type":"user.deleted","accounts":["user-1001"],"accounts":["u2"]}`, nil},
		{"accounts not an array", `{"type":"user.deleted","accounts":{"a":"user-1001"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := erasure.Parse(tt.body)
			if err == nil {
				t.Fatal("the body is valid")
			}
			report := &eraser.Report{Messages: []eraser.MessageResult{{MessageID: "m-1", Request: req, Outcome: eraser.Invalid, Class: erasure.Invalid, Err: err}}}
			out := observe(t, keys{key: testKey}, 0, report)
			var audit []line
			for _, l := range decode(t, out) {
				if l.Msg == "audit" {
					audit = append(audit, l)
				}
			}
			if len(audit) != 1 {
				t.Fatalf("%d audit lines, want 1:\n%s", len(audit), out)
			}
			if got := audit[0]; got.Accounts != len(tt.want) || !slices.Equal(got.AccountHashes, hashes(testKey, tt.want)) {
				t.Errorf("accounts %d, accountHashes %v; want %d, %v", got.Accounts, got.AccountHashes, len(tt.want), hashes(testKey, tt.want))
			}
			assertNoAccounts(t, out, []string{"user-1001", "u2"})
		})
	}
}

// TestVerificationOff: a report without read-backs (VERIFY_ERASURE=false,
// a dry run, a batch that could not run) says so on every line.
func TestVerificationOff(t *testing.T) {
	report := &eraser.Report{Messages: []eraser.MessageResult{
		{MessageID: "m-1", Request: request(accounts("v", 1)), Outcome: eraser.Erased},
	}}
	for _, v := range []string{"", eraser.VerificationOff} {
		report.Verification = v
		for _, l := range decode(t, observe(t, keys{key: testKey}, 0, report)) {
			if l.MessageID == "m-1" && (string(l.raw["verification"]) != `"off"` || string(l.raw["verified"]) != "0") {
				t.Errorf("Verification %q: verification %s, verified %s", v, l.raw["verification"], l.raw["verified"])
			}
		}
	}
}
