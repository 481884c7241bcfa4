package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

const proveKey = "prove test audit key"

type staticKey []byte

func (k staticKey) AuditKey(context.Context) ([]byte, error) { return k, nil }

// auditLines are the lines the function's audit writer (telemetry.Audit)
// writes for report, with at most per hashes a line.
func auditLines(t *testing.T, key []byte, per int, report *eraser.Report) []string {
	t.Helper()
	var buf bytes.Buffer
	a := &telemetry.Audit{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Keys: staticKey(key), HashesPerLine: per}
	a.Observe(context.Background(), report)
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

// withField adds a top-level field to a JSON line.
func withField(t *testing.T, line, name string, value any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	m[name] = value
	b, _ := json.Marshal(m)
	return string(b)
}

type logEvent struct {
	at   time.Time
	line string
}

// putLogs writes events into a new log group of moto with PutLogEvents,
// as Lambda writes the function's output.
func putLogs(t *testing.T, c *awstier.Clients, group string, events []logEvent) {
	t.Helper()
	ctx := context.Background()
	logs := cloudwatchlogs.NewFromConfig(aws.Config{Region: awstier.Region, BaseEndpoint: aws.String(c.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	stream := aws.String("2026/12/07/[$LATEST]0123456789abcdef")
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: stream}); err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(events, func(a, b logEvent) int { return a.at.Compare(b.at) })
	in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: stream}
	for _, e := range events {
		in.LogEvents = append(in.LogEvents, logtypes.InputLogEvent{Timestamp: aws.Int64(e.at.UnixMilli()), Message: aws.String(e.line)})
	}
	if _, err := logs.PutLogEvents(ctx, in); err != nil {
		t.Fatal(err)
	}
}

// TestProve: user-1001 was erased twice (once in a message of three
// accounts, read back clean, once in one of 2,500 whose audit lines come in
// three parts), rejected once (content) and failed once (retryable, an
// earlier receive of the large message). The certificate finds each
// attempt, gathers the parts of the large message to recompute its
// accountsDigest as its receipt has it, and ignores every line that must
// not match: other accounts' lines, a line under another audit key, a
// summary and a plain text line carrying the hash.
func TestProve(t *testing.T) {
	c := needMoto(t)
	key := []byte(proveKey)
	hash := telemetry.Hash(key, "user-1001")
	now := time.Now().UTC()

	small := []string{"user-1001", "user-1002", "user-1003"}
	var large []string
	for i := range 2500 {
		large = append(large, fmt.Sprintf("bulk-%04d", i))
	}
	large[1500] = "user-1001" // in the second part of its audit lines
	rejected := []string{"user-2000", "user-1001"}

	msg := func(id string, receive int, eventID string, accounts []string) eraser.MessageResult {
		return eraser.MessageResult{MessageID: id, Lineage: eraser.Lineage{OriginalMessageID: id, ReceiveCount: receive},
			Request: erasure.Request{Type: erasure.UserDeleted, Accounts: accounts, EventID: eventID, OccurredAt: "2026-11-01T00:00:00Z"}}
	}
	erased := func(m eraser.MessageResult, parts ...string) eraser.MessageResult {
		m.Outcome, m.Done = eraser.Erased, parts
		return m
	}
	failedAs := func(m eraser.MessageResult, class erasure.Class, reason string, handOff eraser.HandOff) eraser.MessageResult {
		m.Outcome, m.Class, m.Err, m.HandOff = eraser.Failed, class, errors.New(reason), handOff
		return m
	}
	var events []logEvent
	add := func(at time.Time, per int, report *eraser.Report, edit func(i int, line string) string) {
		for i, line := range auditLines(t, key, per, report) {
			if edit != nil {
				line = edit(i, line)
			}
			events = append(events, logEvent{at.Add(time.Duration(i) * time.Millisecond), line})
		}
	}
	// The first erasure, read back clean.
	readBack := erased(msg("m-small", 1, "evt-small", small), "attrs")
	readBack.Verified = len(small)
	add(now.Add(-3*time.Hour), 0, &eraser.Report{Verification: eraser.VerificationReadBack, Messages: []eraser.MessageResult{readBack}}, nil)
	// The rejection.
	add(now.Add(-2*time.Hour), 0, &eraser.Report{Messages: []eraser.MessageResult{
		failedAs(msg("m-rejected", 1, "evt-rejected", rejected), erasure.Content, "Tencent refused an account (90001)", eraser.DeadLettered)}}, nil)
	// The large message: its first receive failed, its second erased it.
	add(now.Add(-70*time.Minute), 1000, &eraser.Report{Messages: []eraser.MessageResult{
		failedAs(msg("m-large", 1, "evt-large", large), erasure.Retryable, "Tencent answered HTTP 503", eraser.Delayed)}}, nil)
	add(now.Add(-60*time.Minute), 1000, &eraser.Report{Messages: []eraser.MessageResult{erased(msg("m-large", 2, "evt-large", large), "attrs", "tags")}}, nil)
	// Lines that must not match.
	add(now.Add(-50*time.Minute), 0, &eraser.Report{Messages: []eraser.MessageResult{erased(msg("m-other", 1, "evt-other", []string{"user-3000"}), "attrs")}}, nil)
	forged := auditLines(t, []byte("another key"), 0, &eraser.Report{Messages: []eraser.MessageResult{erased(msg("m-forged", 1, "evt-forged", []string{"user-3001"}), "attrs")}})[0]
	events = append(events,
		logEvent{now.Add(-40 * time.Minute), withField(t, forged, "accountHashes", []string{hash})},
		logEvent{now.Add(-39 * time.Minute), `{"msg":"batch processed","note":"` + hash + `"}`},
		logEvent{now.Add(-38 * time.Minute), "START RequestId: 1 " + hash},
	)
	const group = "/aws/lambda/attr-eraser-prove"
	putLogs(t, c, group, events)

	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, []byte(proveKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := eraserctl(t, "user-1001\nuser-9999\n", "prove", "-log-group", group, "-key-file", keyFile, "-json",
		"-start", now.Add(-24*time.Hour).Format(time.RFC3339))
	if r.code != exitNotErased { // user-9999 was never erased
		t.Fatal(r)
	}
	var cert certificate
	if err := json.Unmarshal([]byte(r.stdout), &cert); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(cert.Accounts) != 2 || cert.AuditKeyID != telemetry.KeyID(key) {
		t.Fatalf("certificate %+v", cert)
	}
	a := cert.Accounts[0]
	if a.Account != "user-1001" || a.AccountHash != hash || a.Status != statusErased {
		t.Errorf("account %+v", a)
	}
	if len(a.Erasures) != 2 || len(a.Attempts) != 2 {
		t.Fatalf("%d erasures and %d failed attempts, want 2 and 2:\n%s", len(a.Erasures), len(a.Attempts), r.stdout)
	}
	smallDigest, largeDigest := receipts.AccountsDigest(key, small), receipts.AccountsDigest(key, large)
	e1, e2 := a.Erasures[0], a.Erasures[1]
	if e1.EventID != "evt-small" || e1.MessageID != "m-small" || e1.AccountsDigest != smallDigest || !slices.Equal(e1.Done, []string{"attrs"}) ||
		e1.Verification != eraser.VerificationReadBack || e1.VerifiedAccounts != 3 {
		t.Errorf("first erasure %+v, want digest %s", e1, smallDigest)
	}
	if e2.EventID != "evt-large" || e2.ReceiveCount != 2 || e2.AccountsDigest != largeDigest || e2.MessageAccounts != 2500 ||
		!slices.Equal(e2.Done, []string{"attrs", "tags"}) || e2.Verification != eraser.VerificationOff {
		t.Errorf("second erasure %+v, want digest %s", e2, largeDigest)
	}
	f1, f2 := a.Attempts[0], a.Attempts[1]
	if f1.Outcome != "failed" || f1.HandOff != "dead_lettered" || f1.Class != "content" || f1.EventID != "evt-rejected" || f1.AccountsDigest != receipts.AccountsDigest(key, rejected) {
		t.Errorf("rejection %+v", f1)
	}
	if f2.Class != "retryable" || f2.ReceiveCount != 1 || f2.AccountsDigest != largeDigest {
		t.Errorf("failed attempt %+v", f2)
	}
	if b := cert.Accounts[1]; b.Account != "user-9999" || b.Status != statusNotFound || len(b.Erasures)+len(b.Attempts) != 0 {
		t.Errorf("user-9999: %+v", b)
	}

	// The text certificate, with the key from the secret's own file: every
	// account but those given stays out of it.
	r = eraserctl(t, "", "prove", "-log-group", group, "-key-file", keyFile, "user-1001")
	if r.code != exitOK {
		t.Fatal(r)
	}
	for _, want := range []string{
		`Account "user-1001" (hash ` + hash + `): ERASED`,
		"accountsDigest " + largeDigest + " (the message's 2500 accounts; matches its receipt)",
		"parts removed: attrs, tags",
		"read back clean: 3 of the message's 3 accounts, after their removal",
		"not read back (VERIFY_ERASURE=false): rests on Tencent's OK to the removal",
		`rejected (dead-lettered) ` + f1.Time + `: class content, reason "Tencent refused an account (90001)"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text certificate lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, other := range []string{"user-1002", "user-2000", "bulk-", "user-3000", telemetry.Hash(key, "user-1002")} {
		if strings.Contains(r.stdout+r.stderr, other) {
			t.Errorf("the certificate names %q, which it was not given", other)
		}
	}
	t.Logf("certificate:\n%s", r.stdout)

	// prove takes an audit key only: never the signing secret.
	if r := eraserctl(t, "", "prove", "-log-group", group, "-key-file", keyFile, "-derive", "user-1001"); r.code != exitUsage {
		t.Errorf("-derive: %v", r)
	}
}
