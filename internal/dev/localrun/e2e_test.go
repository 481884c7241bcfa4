package localrun_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// The binaries are built once for all tests: the function as `sam build`
// builds it (for this machine's architecture) and the pinned emulator.
var bootstrap, rie string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "attr-eraser-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	bootstrap, rie, err = localrun.Build(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, opts localrun.Options) *localrun.Stack {
	t.Helper()
	opts.Bootstrap, opts.RIE = bootstrap, rie
	stack, err := localrun.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Close)
	return stack
}

func invoke(t *testing.T, stack *localrun.Stack, event []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := stack.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, stack.Output())
	}
	return resp
}

// settle waits, up to a few seconds, until done says the function's output
// is all there: the emulator relays it through a pipe, so the last lines may
// arrive after the response.
func settle(done func() bool) {
	for deadline := time.Now().Add(5 * time.Second); !done() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

func readEvent(t *testing.T, name string) ([]byte, events.SQSEvent) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return raw, ev
}

// TestSampleEvents runs every sample event through the real runtime loop
// under the emulator and checks the batch response against what the
// Tencent stand-in recorded.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../../events/sqs-*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("sample events: %v %v", files, err)
	}
	stack := start(t, localrun.Options{})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			stack.Tencent.Reset()
			raw, ev := readEvent(t, filepath.Base(file))
			var resp events.SQSEventResponse
			if err := json.Unmarshal(invoke(t, stack, raw), &resp); err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			for _, rec := range ev.Records {
				wantFail := strings.HasPrefix(rec.MessageId, "bad-")
				if got := slices.Contains(failed, rec.MessageId); got != wantFail {
					t.Errorf("message %s reported failed = %v, want %v", rec.MessageId, got, wantFail)
				}
				if wantFail {
					continue
				}
				req, err := erasure.Parse(rec.Body)
				if err != nil {
					t.Fatalf("valid sample %s does not parse: %v", rec.MessageId, err)
				}
				for _, a := range req.Accounts {
					removed := stack.Tencent.Removed(a)
					for _, attr := range req.Attrs {
						if !slices.Contains(removed, attr) {
							t.Errorf("message %s: attribute %s of an account not removed (removed %v)", rec.MessageId, attr, removed)
						}
					}
					if len(removed) == 0 {
						t.Errorf("message %s acknowledged, account not removed", rec.MessageId)
					}
				}
			}
		})
	}
	checkNoLeaks(t, stack)
}

// TestUnconfigured: without SECRET_ID the function starts, says why it
// cannot work, and acknowledges nothing.
func TestUnconfigured(t *testing.T) {
	stack := start(t, localrun.Options{Env: []string{"SECRET_ID="}})
	raw, ev := readEvent(t, "sqs-gdpr-erasure.json")
	resp := invoke(t, stack, raw)
	if len(ev.Records) == 0 {
		t.Fatal("empty sample event")
	}
	var lambdaErr struct{ ErrorMessage string }
	if err := json.Unmarshal(resp, &lambdaErr); err != nil || !strings.Contains(lambdaErr.ErrorMessage, "SECRET_ID") {
		t.Fatalf("response %s: want an error naming SECRET_ID", resp)
	}
	if n := len(stack.Tencent.Calls()); n != 0 {
		t.Errorf("unconfigured function made %d calls", n)
	}
	if !strings.Contains(stack.Output(), "invalid configuration") {
		t.Errorf("configuration error not logged:\n%s", stack.Output())
	}
	// Every message is still accounted for in the audit trail.
	count := func() int { return strings.Count(stack.Output(), `"outcome":"failed","class":"configuration"`) }
	settle(func() bool { return count() >= len(ev.Records) })
	if n := count(); n != len(ev.Records) {
		t.Errorf("%d audit lines of unconfigured messages, want %d", n, len(ev.Records))
	}
}

// checkNoLeaks asserts that nothing the function printed holds the signing
// key, a UserSig, a request URL or a raw account ID.
func checkNoLeaks(t *testing.T, stack *localrun.Stack) {
	t.Helper()
	settle(func() bool { return strings.Contains(stack.Output(), `"msg":"audit"`) })
	out := stack.Output()
	if !strings.Contains(out, `"msg":"audit"`) {
		t.Fatalf("no audit lines in the output; the leak check would be vacuous:\n%s", out)
	}
	forbidden := []string{string(stack.Key), "usersig=", "/v4/all_member_push"}
	for account := range stack.Tencent.RemovedAccounts() {
		forbidden = append(forbidden, `"`+account+`"`)
	}
	for _, s := range forbidden {
		if strings.Contains(out, s) {
			t.Errorf("output contains %q", s)
		}
	}
}

// TestDeadlineUnderTheEmulator gives the function an 8 s timeout and a
// Tencent that needs 1.5 s a call: the function must answer before Lambda
// would kill it, acknowledging exactly what it finished and returning the
// rest. The attribute-name lookup (TIM_ATTRS is checked against the app's
// names) takes 1.5 s; each call of 16 in flight is then a removal and its
// read-back, 3 s. The cutoff (about 6.3 s: the end keeps about 1.3 s at the
// emulator's 128 MB, and the batch's share) lets the first wave finish at
// 4.5 s, never the third (7.5 s).
func TestDeadlineUnderTheEmulator(t *testing.T) {
	const timeout = 8 * time.Second
	stack := start(t, localrun.Options{
		Timeout: timeout,
		Tencent: timtest.Config{Faults: timtest.Faults{Latency: 1500 * time.Millisecond}},
		Env:     []string{"TIM_ATTRS=sex,city"},
	})
	var event events.SQSEvent
	for i := range 40 {
		accounts := make([]string, 100)
		for j := range accounts {
			accounts[j] = fmt.Sprintf("slow-%02d-%03d", i, j)
		}
		body, _ := json.Marshal(map[string]any{"type": "user.deleted", "accounts": accounts})
		event.Records = append(event.Records, events.SQSMessage{
			MessageId: fmt.Sprintf("slow-%02d", i), Body: string(body),
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:erasure",
		})
	}
	raw, _ := json.Marshal(event)
	began := time.Now()
	out := invoke(t, stack, raw)
	took := time.Since(began)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("response %s is not a batch response (%v); output:\n%s", out, err, stack.Output())
	}
	if took >= timeout {
		t.Errorf("the invocation took %v, past its %v timeout", took, timeout)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	if len(failed) == 0 || len(failed) == len(event.Records) {
		t.Fatalf("%d of %d messages failed; want the unfinished ones only; output:\n%s", len(failed), len(event.Records), stack.Output())
	}
	for i, rec := range event.Records {
		if failed[rec.MessageId] {
			continue
		}
		if stack.Tencent.Removed(fmt.Sprintf("slow-%02d-000", i)) == nil {
			t.Errorf("message %s acknowledged but not removed", rec.MessageId)
		}
	}
	settle(func() bool { return strings.Contains(stack.Output(), `"class":"deadline"`) })
	if !strings.Contains(stack.Output(), `"class":"deadline"`) {
		t.Error("no audit line names the deadline")
	}
}

// TestDevSecret: the embedded development secret is the file eraserctl hash is
// pointed at, parses as the function parses it, and with Options.Secret
// the function hashes accounts with its audit key.
func TestDevSecret(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("../../..", localrun.DevSecretFile))
	if err != nil || string(file) != localrun.DevSecret {
		t.Fatalf("%s differs from DevSecret (%v)", localrun.DevSecretFile, err)
	}
	dev := localrun.DevKey()
	if len(dev.Secret) == 0 || len(dev.AuditKey) == 0 || dev.SDKAppID != timtest.DefaultSDKAppID {
		t.Fatalf("development secret lacks a field: key %d bytes, auditKey %d bytes, sdkAppId %d", len(dev.Secret), len(dev.AuditKey), dev.SDKAppID)
	}
	for _, k := range [][]byte{dev.Secret, dev.AuditKey} {
		if !strings.Contains(string(k), "not-for-production") {
			t.Errorf("development key %q does not say it is not for production", k)
		}
	}

	stack := start(t, localrun.Options{Secret: localrun.DevSecret})
	if string(stack.Key) != string(dev.Secret) || string(stack.AuditKey) != string(dev.AuditKey) {
		t.Fatalf("stack keys %q %q, want the development secret's", stack.Key, stack.AuditKey)
	}
	raw, _ := readEvent(t, "sqs-gdpr-erasure.json")
	invoke(t, stack, raw)
	out := stack.Output()
	if want := `"auditKeyId":"` + telemetry.KeyID(dev.AuditKey) + `"`; !strings.Contains(out, want) {
		t.Errorf("output lacks %s:\n%s", want, out)
	}
	if want := `"` + telemetry.Hash(dev.AuditKey, "user-1001") + `"`; !strings.Contains(out, want) {
		t.Errorf("output lacks the hash of user-1001 %s:\n%s", want, out)
	}

	// Without Secret, the secret stand-in holds the stack's own key, and
	// AuditKey is derived from it.
	other := start(t, localrun.Options{})
	if string(other.AuditKey) != string(signingkey.AuditKey(signingkey.Key{Secret: other.Key})) {
		t.Error("AuditKey is not derived from the random key")
	}
	if _, err := localrun.Start(context.Background(), localrun.Options{Bootstrap: bootstrap, RIE: rie, Secret: "{broken"}); err == nil {
		t.Error("a broken Secret was accepted")
	}
}

// TestPortTakenBeforeBind: a port taken between the choice and the
// emulator's bind (another test's server, say) costs a retry on fresh
// ports, not the test that started the stack.
func TestPortTakenBeforeBind(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var choices int
	restore := localrun.SetFreeAddr(func() (string, error) {
		choices++
		if choices == 1 {
			return taken.Addr().String(), nil
		}
		return localrun.FreeLoopbackAddr()
	})
	defer restore()
	stack := start(t, localrun.Options{})
	if got := string(invoke(t, stack, []byte(`{"Records":[]}`))); !strings.Contains(got, "batchItemFailures") {
		t.Errorf("invocation after the retry answered %s", got)
	}
	if choices != 4 || strings.Count(stack.Output(), "address already in use") != 1 {
		t.Errorf("%d ports chosen, want 4 (2 for each of 2 starts); output:\n%s", choices, stack.Output())
	}
}
