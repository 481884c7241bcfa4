package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// leakMarker is in every account ID of the run and in nothing else, so one
// search finds any raw account that reached the output.
const leakMarker = "leakcheck"

const leakSecretName = "attr-eraser/noleak-signing-key"

// TestNoLeakUnderFaults runs the real handler, built by app.New, against the
// Tencent Chat and Secrets Manager stand-ins (the real AWS SDK client talks
// to the latter) with about 30% of API requests failing, through a key
// rotation and a wrong key, at debug level, and asserts that nothing it
// printed or returned holds a signing key, an audit key, a UserSig, a request
// URL or a raw account ID (README: never logged).
func TestNoLeakUnderFaults(t *testing.T) {
	keys := map[string]string{"initial": string(timtest.NewKey()), "rotated": string(timtest.NewKey()), "tencent-only": string(timtest.NewKey()), "wrong": string(timtest.NewKey())}

	stack := startInProcess(t, timtest.Config{
		Key: []byte(keys["initial"]),
		Faults: timtest.Faults{
			Seed:             20261125,
			HTTP502:          0.08,
			ConnReset:        0.07,
			Internal91000:    0.08,
			RateLimited60018: 0.07,
		},
	}, leakSecretName, leakSecretValue(keys["initial"]), true, app.Options{Tuning: eraser.Tuning{
		// Production retry policy, minus most of the waiting.
		Retry: eraser.RetryPolicy{MaxAttempts: 8, Base: time.Millisecond, Cap: 10 * time.Millisecond,
			RateLimitedBase: 2 * time.Millisecond, RateLimitedCap: 20 * time.Millisecond},
	}})
	tencent, secrets, h, out := stack.tencent, stack.secrets, stack.h, stack.out
	ctx := context.Background()

	// Everything the function hands back also counts as output: Lambda
	// logs a returned error and SQS sees the response.
	var returned bytes.Buffer
	type invocation struct {
		requestID string
		messages  []events.SQSMessage
		auditKey  []byte            // the key the audit lines must use
		mustFail  map[string]string // messageId -> the class it must fail with
	}
	var invocations []invocation
	invoke := func(name string, msgs []events.SQSMessage, auditKey []byte, mustFail map[string]string) {
		t.Helper()
		reqID := "req-" + name
		ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: reqID})
		resp, err := h.Handle(ictx, events.SQSEvent{Records: msgs})
		b, _ := json.Marshal(resp)
		fmt.Fprintf(&returned, "%s\n", b)
		if err != nil {
			fmt.Fprintf(&returned, "%v\n", err)
		}
		invocations = append(invocations, invocation{reqID, msgs, auditKey, mustFail})
	}

	// 1. Normal work under faults, with a message large enough to be
	// written as several audit lines, and an account Tencent reports failed.
	tencent.FailAccounts(70402, leakAccount("b1", 3, 0)) // a per-account failure; 70107 would count as erased
	b1 := leakBatch("b1", false)
	b1 = append(b1, leakSQS("b1-big", leakBody("user.deleted", leakAccounts("big", 0, telemetry.DefaultHashesPerLine+1), nil, "evt-b1-big"), false))
	invoke("normal", b1, leakAuditKey(keys["initial"]), map[string]string{"b1-03": "unknown", "b1-bad-type": "invalid"})

	// 2. A FIFO batch: after the first failure everything else fails.
	invoke("fifo", leakBatch("b2", true), leakAuditKey(keys["initial"]), nil)

	// 3. Rotation: Tencent and the secret move to a new key; the first
	// rejected signature makes the function re-read the secret.
	tencent.SetKey([]byte(keys["rotated"]))
	secrets.Put(leakSecretName, leakSecretValue(keys["rotated"]))
	invoke("rotated", leakBatch("b3", false), leakAuditKey(keys["rotated"]), nil)

	// 4. A wrong key: Tencent moved on, the secret holds a key it rejects.
	tencent.SetKey([]byte(keys["tencent-only"]))
	secrets.Put(leakSecretName, leakSecretValue(keys["wrong"]))
	invoke("wrong-key", leakBatch("b4", false), leakAuditKey(keys["wrong"]), map[string]string{"b4-00": "signature", "b4-05": "signature"})

	// 5. Recovery: the secret gets the key Tencent has.
	secrets.Put(leakSecretName, leakSecretValue(keys["tencent-only"]))
	invoke("recovered", leakBatch("b5", false), leakAuditKey(keys["tencent-only"]), nil)

	all := out.String() + returned.String()

	t.Run("no signing or audit key", func(t *testing.T) {
		for name, k := range keys {
			leakAssertNoWindow(t, all, "signing key "+name, k, 12)
			a := leakAuditKey(k)
			leakAssertNoWindow(t, all, "audit key of "+name+" (hex)", hex.EncodeToString(a), 12)
			leakAssertNoWindow(t, all, "audit key of "+name+" (base64)", base64.StdEncoding.EncodeToString(a), 12)
			leakAssertNoWindow(t, all, "audit key of "+name+" (raw)", string(a), 8)
		}
	})
	t.Run("no UserSig", func(t *testing.T) {
		// "usersig_expired" is a failure class name, the only place the
		// word may appear.
		rest := strings.ReplaceAll(strings.ToLower(all), "usersig_expired", "")
		if i := strings.Index(rest, "usersig"); i >= 0 {
			t.Errorf("output mentions a usersig: ...%s...", leakExcerpt(rest, i))
		}
		// A UserSig is base64 of zlib data, which starts "eJ", in
		// Tencent's alphabet (*, -, _) or the standard one.
		if m := regexp.MustCompile(`eJ[A-Za-z0-9*_+/=-]{38,}`).FindString(all); m != "" {
			t.Errorf("output holds something shaped like a UserSig: %s", m)
		}
	})
	t.Run("no request URL", func(t *testing.T) {
		for _, s := range []string{tencent.URL() + "/v4/", "/v4/all_member_push/", "sdkappid=", "identifier=", "contenttype="} {
			if i := strings.Index(strings.ToLower(all), strings.ToLower(s)); i >= 0 {
				t.Errorf("output holds %q: ...%s...", s, leakExcerpt(all, i))
			}
		}
	})
	t.Run("no raw account", func(t *testing.T) {
		if i := strings.Index(strings.ToLower(all), leakMarker); i >= 0 {
			t.Errorf("output holds a raw account: ...%s...", leakExcerpt(all, i))
		}
	})

	// The assertions above pass trivially on empty output; these make sure
	// the run really produced the lines under test.
	t.Run("output is the real thing", func(t *testing.T) {
		lines := leakDecodeLines(t, out.String())
		stats := tencent.Stats()
		if stats.FaultsInjected == 0 || stats.Rejected[timtest.CodeSigMismatch] == 0 {
			t.Errorf("the run met no faults or no signature errors: %+v", stats)
		}
		var keyIDs []string
		for _, inv := range invocations {
			audits := map[string][]leakLine{}
			summaries, hashed := 0, 0
			for _, l := range lines {
				if l.RequestID != inv.requestID {
					continue
				}
				switch l.Msg {
				case "audit":
					audits[l.MessageID] = append(audits[l.MessageID], l)
				case "batch processed":
					summaries++
				}
			}
			if summaries != 1 {
				t.Errorf("%s: %d summary lines, want 1", inv.requestID, summaries)
			}
			for _, m := range inv.messages {
				ls := audits[m.MessageId]
				if len(ls) == 0 {
					t.Errorf("%s: no audit line for message %s", inv.requestID, m.MessageId)
					continue
				}
				l := ls[0]
				if class, ok := inv.mustFail[m.MessageId]; ok && (l.Outcome == "erased" || l.Class != class) {
					t.Errorf("%s: message %s: outcome %s class %q, want class %q", inv.requestID, m.MessageId, l.Outcome, l.Class, class)
				}
				if l.Accounts == 0 {
					continue // not parsed: invalid, or blocked behind a FIFO failure
				}
				want := leakExpectedHashes(t, m.Body, inv.auditKey)
				var got []string
				for _, p := range ls {
					got = append(got, p.AccountHashes...)
					if p.AuditKeyID != telemetry.KeyID(inv.auditKey) {
						t.Errorf("%s: message %s: auditKeyId %s, want %s", inv.requestID, m.MessageId, p.AuditKeyID, telemetry.KeyID(inv.auditKey))
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: message %s: %d hashes that are not the accounts' under the expected audit key", inv.requestID, m.MessageId, len(got))
				}
				if len(ls) > 1 && (ls[0].Parts != len(ls) || ls[len(ls)-1].Part != len(ls)) {
					t.Errorf("%s: message %s: %d lines but parts %d", inv.requestID, m.MessageId, len(ls), ls[0].Parts)
				}
				hashed++
			}
			if hashed == 0 {
				t.Errorf("%s: no message with account hashes", inv.requestID)
			}
			keyIDs = append(keyIDs, telemetry.KeyID(inv.auditKey))
		}
		// Each rotation changes the audit key, so the same account gets a
		// new hash: eraserctl hash must be run with the key of the period.
		if keyIDs[0] == keyIDs[2] || keyIDs[2] == keyIDs[4] {
			t.Errorf("audit key ids %v do not change with the signing key", keyIDs)
		}

		var emf, emfMain int
		for _, l := range lines {
			if l.AWS != nil {
				emf++
				if _, ok := l.raw["ApiCalls"]; ok {
					emfMain++
				}
			}
		}
		if emfMain != len(invocations) || emf <= emfMain {
			t.Errorf("%d EMF lines, %d with the counters; want one counters line per invocation (%d) and failure lines", emf, emfMain, len(invocations))
		}
		outcomes := map[string]bool{}
		for _, l := range lines {
			if l.Msg == "audit" {
				outcomes[l.Outcome] = true
			}
		}
		if !outcomes["erased"] || !outcomes["failed"] || !outcomes["invalid"] {
			t.Errorf("outcomes seen: %v; want erased, failed and invalid", outcomes)
		}
	})
	if t.Failed() {
		t.Logf("output:\n%s", all)
	}
}

// batch builds about twenty messages, valid and invalid, in the formats
// the function accepts, each account carrying leakMarker.
func leakBatch(tag string, fifo bool) []events.SQSMessage {
	var msgs []events.SQSMessage
	for i := range 14 {
		typ := "gdpr.erasure"
		if i%2 == 1 {
			typ = "user.deleted"
		}
		var attrs []string
		if i%3 == 0 {
			attrs = []string{"sex", "city"}
		}
		msgs = append(msgs, leakSQS(fmt.Sprintf("%s-%02d", tag, i), leakBody(typ, leakAccounts(tag, i, 1+i%7), attrs, fmt.Sprintf("evt-%s-%02d", tag, i)), fifo))
	}
	snsInner := leakBody("gdpr.erasure", leakAccounts(tag, 20, 3), nil, "evt-"+tag+"-sns")
	msgs = append(msgs,
		leakSQS(tag+"-sns", leakJSON(map[string]any{"Type": "Notification", "MessageId": "n-1", "Message": snsInner}), fifo),
		leakSQS(tag+"-eventbridge", leakJSON(map[string]any{"version": "0", "detail-type": "UserDeleted", "source": "accounts",
			"detail": json.RawMessage(leakBody("user.deleted", leakAccounts(tag, 21, 2), nil, "evt-"+tag+"-eb"))}), fifo),
		leakSQS(tag+"-bad-type", leakBody("account.closed", leakAccounts(tag, 22, 2), nil, "evt-"+tag+"-bad-type"), fifo),
		leakSQS(tag+"-too-long", leakBody("gdpr.erasure", []string{leakMarker + strings.Repeat("x", 32-len(leakMarker)+1)}, nil, ""), fifo),
		leakSQS(tag+"-control", leakBody("gdpr.erasure", []string{leakMarker + "\x01ctl"}, nil, ""), fifo),
		leakSQS(tag+"-not-json", `{"type":"gdpr.erasure","accounts":["`+leakMarker+`-raw-`+tag+`"`, fifo),
		leakSQS(tag+"-bad-attr", leakBody("gdpr.erasure", leakAccounts(tag, 23, 1), []string{"not-an-attr"}, ""), fifo),
	)
	return msgs
}

// account is the j-th account of message i of batch tag.
func leakAccount(tag string, i, j int) string {
	return fmt.Sprintf("%s-%s-%02d-%04d", leakMarker, tag, i, j)
}

func leakAccounts(tag string, i, n int) []string {
	a := make([]string, n)
	for j := range a {
		a[j] = leakAccount(tag, i, j)
	}
	return a
}

func leakBody(typ string, accts, attrs []string, eventID string) string {
	m := map[string]any{"type": typ, "accounts": accts, "occurredAt": "2026-11-25T10:00:00Z"}
	if attrs != nil {
		m["attrs"] = attrs
	}
	if eventID != "" {
		m["eventId"] = eventID
	}
	return leakJSON(m)
}

func leakSQS(id, body string, fifo bool) events.SQSMessage {
	queue := "arn:aws:leakSQS:us-east-1:123456789012:erasure"
	if fifo {
		queue += ".fifo"
	}
	return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:leakSQS", EventSourceARN: queue, AWSRegion: "us-east-1"}
}

func leakJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// leakExpectedHashes returns the hashes of a message's distinct accounts, in
// order, under key, whatever envelope the body is in.
func leakExpectedHashes(t *testing.T, raw string, key []byte) []string {
	t.Helper()
	var m struct {
		Type     string          `json:"Type"`
		Message  string          `json:"Message"`
		Detail   json.RawMessage `json:"detail"`
		Accounts []string        `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("test message does not parse: %v", err)
	}
	switch {
	case m.Type == "Notification":
		return leakExpectedHashes(t, m.Message, key)
	case m.Detail != nil:
		return leakExpectedHashes(t, string(m.Detail), key)
	}
	var h []string
	for _, a := range m.Accounts {
		if hash := telemetry.Hash(key, a); !slices.Contains(h, hash) {
			h = append(h, hash)
		}
	}
	return h
}

func leakSecretValue(key string) string {
	return fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, key, timtest.DefaultSDKAppID)
}

func leakAuditKey(key string) []byte {
	return signingkey.AuditKey(signingkey.Key{Secret: []byte(key)})
}

// leakAssertNoWindow fails if any n-byte window of secret occurs in s: a
// truncated or partly masked key is still a leak.
func leakAssertNoWindow(t *testing.T, s, what, secret string, n int) {
	t.Helper()
	for i := 0; i+n <= len(secret); i++ {
		if j := strings.Index(s, secret[i:i+n]); j >= 0 {
			t.Errorf("output holds part of the %s: ...%s...", what, leakExcerpt(s, j))
			return
		}
	}
}

func leakExcerpt(s string, i int) string {
	return s[max(0, i-80):min(len(s), i+80)]
}

// leakLine is one decoded output line: a log line or an EMF document.
type leakLine struct {
	Msg           string          `json:"msg"`
	RequestID     string          `json:"requestId"`
	MessageID     string          `json:"messageId"`
	Outcome       string          `json:"outcome"`
	Accounts      int             `json:"accounts"`
	Class         string          `json:"class"`
	AuditKeyID    string          `json:"auditKeyId"`
	AccountHashes []string        `json:"accountHashes"`
	Part          int             `json:"part"`
	Parts         int             `json:"parts"`
	AWS           json.RawMessage `json:"_aws"`
	raw           map[string]json.RawMessage
}

func leakDecodeLines(t *testing.T, out string) []leakLine {
	t.Helper()
	var lines []leakLine
	for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
		var l leakLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Errorf("output line is not JSON: %v: %s", err, s)
			continue
		}
		_ = json.Unmarshal([]byte(s), &l.raw)
		lines = append(lines, l)
	}
	return lines
}
