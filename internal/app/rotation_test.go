package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// Key rotation end to end in process: the real handler, the real Secrets
// Manager client of the AWS SDK talking to the Secrets Manager stand-in, the
// real Tencent client talking to the Tencent stand-in.

const (
	rotSecretName = "attr-eraser/rotation-test"
	rotOldKey     = "1111111111111111111111111111111111111111111111111111111111111111"
	rotNewKey     = "2222222222222222222222222222222222222222222222222222222222222222"
)

type rotFixture struct {
	tencent *timtest.Server
	secrets *secretstest.Server
	h       *sqsq.Handler
	out     *capture.Buffer
}

func rotSecret(key string) string {
	return fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, key, timtest.DefaultSDKAppID)
}

// rotStart starts both stand-ins, stores the secret with rotOldKey and
// builds the handler as main does.
func rotStart(t *testing.T) *rotFixture {
	t.Helper()
	s := startInProcess(t, timtest.Config{Key: []byte(rotOldKey)}, rotSecretName, rotSecret(rotOldKey), false, app.Options{})
	return &rotFixture{tencent: s.tencent, secrets: s.secrets, h: s.h, out: s.out}
}

// rotEvent builds a standard-queue batch of n messages of perMessage
// accounts each, all named with prefix.
func rotEvent(prefix string, n, perMessage int) (events.SQSEvent, []string) {
	var (
		ev  events.SQSEvent
		all []string
	)
	for i := range n {
		accounts := make([]string, perMessage)
		for j := range accounts {
			accounts[j] = fmt.Sprintf("%s-%d-%d", prefix, i, j)
		}
		all = append(all, accounts...)
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      fmt.Sprintf("%s-msg-%d", prefix, i),
			Body:           fmt.Sprintf(`{"type":"gdpr.erasure","accounts":["%s"]}`, strings.Join(accounts, `","`)),
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:erasure",
		})
	}
	return ev, all
}

func rotInvoke(t *testing.T, f *rotFixture, ev events.SQSEvent) (events.SQSEventResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.h.Handle(ctx, ev)
}

func rotCheckRemoved(t *testing.T, f *rotFixture, accounts []string) {
	t.Helper()
	missing := 0
	for _, a := range accounts {
		if len(f.tencent.Removed(a)) != len(timtest.DefaultAttrNames) {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d accounts do not have every attribute removed", missing, len(accounts))
	}
}

// TestKeyRotationThroughSecretsManager rotates the key in Tencent and in
// Secrets Manager between two invocations. The second invocation signs with
// the cached old key, is rejected, re-reads the secret once and succeeds
// without failing a message.
func TestKeyRotationThroughSecretsManager(t *testing.T) {
	f := rotStart(t)

	before, accounts := rotEvent("before", 5, 60)
	resp, err := rotInvoke(t, f, before)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("before rotation: err %v, failures %v\n%s", err, resp.BatchItemFailures, f.out.String())
	}
	rotCheckRemoved(t, f, accounts)
	readsBefore := f.secrets.Calls()
	if readsBefore != 1 {
		t.Errorf("first invocation read the secret %d times, want 1", readsBefore)
	}

	// An operator rotates the key: Tencent first, then the secret. The
	// function's cache (TTL 5 minutes) still holds the old key.
	f.tencent.SetKey([]byte(rotNewKey))
	f.secrets.Put(rotSecretName, rotSecret(rotNewKey))

	// 12 messages of 50 accounts: 6 calls, sent concurrently, all rejected
	// with the old key at about the same time.
	after, accounts := rotEvent("after", 12, 50)
	resp, err = rotInvoke(t, f, after)
	if err != nil {
		t.Errorf("after rotation: Handle returned %v", err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("after rotation: %d failed messages %v\n%s", len(resp.BatchItemFailures), resp.BatchItemFailures, f.out.String())
	}
	rotCheckRemoved(t, f, accounts)
	if n := f.secrets.Calls() - readsBefore; n != 1 {
		t.Errorf("the rotation caused %d secret reads, want exactly 1", n)
	}
	if n := f.tencent.Stats().Rejected[timtest.CodeSigMismatch]; n == 0 {
		t.Error("Tencent never rejected the old key: the test did not exercise the rotation")
	}

	// Later invocations use the new key from the cache.
	again, accounts := rotEvent("again", 3, 10)
	if resp, err := rotInvoke(t, f, again); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("after rotation, next invocation: err %v failures %v", err, resp.BatchItemFailures)
	}
	rotCheckRemoved(t, f, accounts)
	if n := f.secrets.Calls() - readsBefore; n != 1 {
		t.Errorf("secret reads since the rotation = %d, want still 1", n)
	}
	if strings.Contains(f.out.String(), rotOldKey) || strings.Contains(f.out.String(), rotNewKey) {
		t.Error("a signing key appears in the logs")
	}
}

// TestKeyChangedOnlyInTencent changes Tencent's key without updating the
// secret: re-reading returns the same key, so every message fails with class
// signature and the handler returns an error so that Lambda backs off.
func TestKeyChangedOnlyInTencent(t *testing.T) {
	f := rotStart(t)

	first, _ := rotEvent("first", 2, 5)
	if resp, err := rotInvoke(t, f, first); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("before the change: err %v failures %v", err, resp.BatchItemFailures)
	}
	readsBefore := f.secrets.Calls()

	f.tencent.SetKey([]byte(rotNewKey)) // the secret still holds rotOldKey

	// 40 calls, more than are in flight at once: later calls sign with the
	// key the re-read returned, which is the same stale key.
	ev, accounts := rotEvent("stale", 40, 100)
	resp, err := rotInvoke(t, f, ev)
	if !errors.Is(err, eraser.ErrSystemic) {
		t.Errorf("Handle returned %v, want %v", err, eraser.ErrSystemic)
	}
	want := map[string]bool{}
	for _, r := range ev.Records {
		want[r.MessageId] = true
	}
	for _, item := range resp.BatchItemFailures {
		if !want[item.ItemIdentifier] {
			t.Errorf("unexpected or duplicate batch item failure %q", item.ItemIdentifier)
		}
		delete(want, item.ItemIdentifier)
	}
	if len(want) != 0 {
		t.Errorf("%d messages missing from batchItemFailures: %v", len(want), want)
	}
	for _, a := range accounts {
		if f.tencent.Removed(a) != nil {
			t.Fatal("an account was removed although every call was rejected")
		}
	}
	out := f.out.String()
	if !strings.Contains(out, `"signature"`) {
		t.Errorf("no failure of class signature in the log:\n%s", out)
	}
	// Key rotation (README): a signature error re-reads the secret once, however many
	// calls of the batch are rejected.
	if reads := f.secrets.Calls() - readsBefore; reads != 1 {
		t.Errorf("%d calls rejected with the stale key caused %d secret reads, want exactly 1", len(accounts)/100, reads)
	}
}
