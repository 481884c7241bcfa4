package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// TestStack starts the stack at scale 0.1, sends the printed messages (by
// the printed AWS CLI commands when `aws` is installed, else by the SDK),
// stops it, and checks the per-invocation lines, the report and that
// moto_server is gone.
func TestStack(t *testing.T) {
	if _, err := exec.LookPath(awstier.MotoCommand); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(awstier.MotoMissing + "; CI=true requires it")
		}
		t.Skip("=== SKIPPED: " + awstier.MotoMissing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bootstrap, rie, err := localrun.Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	var out capture.Buffer
	stopCtx, stop := context.WithCancelCause(ctx)
	ready := make(chan *stack, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(stopCtx, options{
			template: "../../../template.yaml", bootstrap: bootstrap, rie: rie, scale: 0.1,
			ready: func(s *stack) { ready <- s },
		}, &out)
	}()
	var s *stack
	select {
	case s = <-ready:
	case err := <-errc:
		t.Fatalf("run ended before it was ready: %v\n%s", err, out.String())
	case <-ctx.Done():
		t.Fatalf("not ready in time:\n%s", out.String())
	}
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", out.String())
		}
	}()

	published := 0
	_, noCLI := exec.LookPath("aws")
	for _, c := range s.tryCommands() {
		if !c.publishes {
			continue
		}
		published++
		if noCLI != nil {
			continue
		}
		if b, err := exec.CommandContext(ctx, "bash", "-c", c.line).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c.line, err, b)
		}
	}
	if noCLI != nil {
		t.Log("aws (the AWS CLI) not on PATH: publishing with the SDK instead of the printed commands")
		for i, m := range []struct {
			route awstier.Route
			body  string
		}{
			{awstier.SNSEnvelope, `{"type":"gdpr.erasure","accounts":["u1","u2"],"eventId":"try-1"}`},
			{awstier.Direct, `{"type":"user.deleted","accounts":["u3"],"attrs":["city","sex"],"eventId":"try-2"}`},
			{awstier.EventBridge, `{"type":"user.deleted","accounts":["u4"],"eventId":"try-3"}`},
			{awstier.Direct, `{"type":"user.renamed","accounts":["u5"],"eventId":"try-bad"}`},
		} {
			if err := s.dep.Publish(ctx, s.clients, m.route, []byte(m.body), i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if published != 4 {
		t.Fatalf("%d commands publish, want 4 (SNS, SQS, EventBridge, invalid)", published)
	}

	// Every message finished: 3 erased and 1 dead-lettered, a receipt each.
	deadline := time.Now().Add(30 * time.Second)
	for {
		dlq, _, _, err1 := awstier.QueueDepth(ctx, s.clients, s.dep.DeadLetterURL)
		rcpt, _, _, err2 := awstier.QueueDepth(ctx, s.clients, s.receipts.QueueURL)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if dlq == 1 && rcpt == 4 && s.tencent.Removed("u4") != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done in 30 s: %d in the DLQ, %d receipts", dlq, rcpt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop(errors.New("test stop"))
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30 s of the stop")
	}

	got := out.String()
	for _, want := range []string{
		"dead-lettered 1",
		"u1               city, country, interest, level, sex",
		"u3               city, sex",
		"attr-eraser.class=invalid",
		`Erasure Completed eventId="try-1"`,
		`Erasure Rejected  eventId="try-bad"`,
		"Receipts on attr-eraser-receipts: 4",
		"Left in the queue: 0 visible, 0 in flight",
		"Stopped:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "START RequestId") {
		t.Error("the emulators' raw output is shown without -v")
	}
	if res, err := http.Get(s.moto.URL + "/moto-api/"); err == nil {
		res.Body.Close()
		t.Errorf("moto_server still answers at %s after the stop", s.moto.URL)
	}
}

// TestNoMoto: without moto_server on PATH, run returns ErrNoMoto (exit 2).
func TestNoMoto(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := run(context.Background(), options{template: "../../../template.yaml", scale: 1}, &capture.Buffer{})
	if !errors.Is(err, awstier.ErrNoMoto) {
		t.Fatalf("run: %v, want ErrNoMoto", err)
	}
}

// TestLineWriter: a summary line split across writes is shown once, an
// audit line longer than maxSummaryLine is skipped without being kept, and
// the emulator's lines are not shown.
func TestLineWriter(t *testing.T) {
	var out capture.Buffer
	w := &lineWriter{instance: 1, out: &printer{w: &out}}
	summaryLine := `{"level":"INFO","msg":"batch processed","messages":2,"erased":1,"failed":0,"invalid":1,"requeued":0,"deadLettered":1,"delayed":0,"accounts":3,"accountsErased":2,"calls":1,"failuresByClass":{"invalid":1},"durationMs":31}` + "\n"
	long := `{"msg":"audit","accountHashes":["` + strings.Repeat("x", 2*maxSummaryLine) + `"]}` + "\n"
	input := "START RequestId: 1 Version: $LATEST\n" + long + summaryLine + "END RequestId: 1\n"
	for len(input) > 0 {
		n := min(len(input), 1000)
		_, _ = w.Write([]byte(input[:n]))
		input = input[n:]
	}
	got := out.String()
	want := "[1] 2 messages: 1 erased, 0 failed, 1 invalid | requeued 0, dead-lettered 1, delayed 0 | accounts 2/3 erased, 1 call, 31 ms | failures: invalid 1\n"
	if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, want) {
		t.Errorf("got %q, want one line ending %q", got, want)
	}
	if cap(w.line) > 2*maxSummaryLine {
		t.Errorf("the writer kept %d bytes of a long line", cap(w.line))
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		60 * time.Second:            "60 s",
		365 * time.Second:           "365 s",
		2 * time.Second / 3:         "0.667 s",
		time.Hour:                   "1 h",
		14 * 24 * time.Hour:         "14 days",
		24 * time.Hour:              "1 day",
		120960 * time.Second:        "1.4 days",
		5*time.Second + time.Minute: "65 s",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestStackFault: make stack takes make run's faults. With FAULT=content a
// message carrying the refused account has its other account erased and is
// dead-lettered with class content; the secret carries the development
// audit key, and the banner says both and prints the hash command.
func TestStackFault(t *testing.T) {
	if _, err := exec.LookPath(awstier.MotoCommand); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(awstier.MotoMissing + "; CI=true requires it")
		}
		t.Skip("=== SKIPPED: " + awstier.MotoMissing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bootstrap, rie, err := localrun.Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out capture.Buffer
	stopCtx, stop := context.WithCancelCause(ctx)
	ready := make(chan *stack, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(stopCtx, options{
			template: "../../../template.yaml", bootstrap: bootstrap, rie: rie, scale: 0.1, fault: "content",
			ready: func(s *stack) { ready <- s },
		}, &out)
	}()
	var s *stack
	select {
	case s = <-ready:
	case err := <-errc:
		t.Fatalf("run ended before it was ready: %v\n%s", err, out.String())
	case <-ctx.Done():
		t.Fatalf("not ready in time:\n%s", out.String())
	}
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", out.String())
		}
	}()
	secret, err := s.clients.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.dep.SecretARN)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := signingkey.Parse(aws.ToString(secret.SecretString))
	if err != nil || !bytes.Equal(signingkey.AuditKey(k), devAuditKey()) {
		t.Fatalf("the secret's audit key is not the development one (%v)", err)
	}
	body := `{"type":"user.deleted","accounts":["u6","` + refusedAccount + `"],"eventId":"try-content"}`
	if err := s.dep.Publish(ctx, s.clients, awstier.Direct, []byte(body), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		dlq, _, _, err := awstier.QueueDepth(ctx, s.clients, s.dep.DeadLetterURL)
		if err != nil {
			t.Fatal(err)
		}
		if dlq == 1 && s.tencent.Removed("u6") != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done in 60 s: %d in the DLQ", dlq)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s.tencent.Removed(refusedAccount) != nil {
		t.Error("the refused account's attributes were removed")
	}
	stop(errors.New("test stop"))
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	got := out.String()
	for _, want := range []string{
		"fault          FAULT=content: every removal call carrying " + refusedAccount,
		"audit key      the development one (auditKeyId " + telemetry.KeyID(devAuditKey()) + ")",
		"go run ./internal/cmd/eraserctl hash -key-file " + localrun.DevSecretFile + " -derive u1",
		"attr-eraser.class=content",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if _, err := faultNamed("nope"); err == nil {
		t.Error("an unknown fault was accepted")
	}
}
