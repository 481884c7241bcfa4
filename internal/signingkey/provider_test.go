package signingkey_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
)

const secretName = "attr-eraser/tim-signing-key"

type fixture struct {
	stub  *secretstest.Server
	p     *signingkey.Provider
	clock *fakeclock.Clock
	log   *bytes.Buffer
}

// newFixture wires a Provider to the stub through NewFromConfig and the
// environment alone, the way the function does in production. secretID is
// computed after the stub exists so tests can use the ARN.
func newFixture(t *testing.T, setup func(*secretstest.Server) (secretID string)) fixture {
	t.Helper()
	stub, err := secretstest.Start()
	if err != nil {
		t.Fatalf("secretstest.Start: %v", err)
	}
	t.Cleanup(stub.Close)
	stub.SetEnv(t.Setenv)
	id := setup(stub)
	p, err := signingkey.NewFromConfig(context.Background(), id,
		config.WithRetryer(func() aws.Retryer {
			// Production retry policy, minus the backoff delays.
			return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond)
		}))
	if err != nil {
		t.Fatalf("NewFromConfig: %v", err)
	}
	clk := fakeclock.New(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	var logBuf bytes.Buffer
	p.Now = clk.Now
	p.Logger = slog.New(slog.NewJSONHandler(&logBuf, nil))
	return fixture{stub: stub, p: p, clock: clk, log: &logBuf}
}

func putKey(value string) func(*secretstest.Server) string {
	return func(s *secretstest.Server) string { s.Put(secretName, value); return secretName }
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestProviderReadsAndParses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*secretstest.Server) string
		want  signingkey.Key
	}{
		{"bare key by name", putKey(secret + "\n"), signingkey.Key{Secret: []byte(secret)}},
		{"json by ARN", func(s *secretstest.Server) string {
			return s.Put(secretName, `{"key":"`+secret+`","sdkAppId":"1400000000","identifier":"administrator","auditKey":"`+auditSecret+`"}`)
		}, signingkey.Key{Secret: []byte(secret), SDKAppID: 1400000000, Identifier: "administrator", AuditKey: []byte(auditSecret)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.setup)
			k, err := f.p.Key(ctx(t))
			if err != nil {
				t.Fatalf("Key: %v", err)
			}
			if string(k.Secret) != string(tt.want.Secret) || k.SDKAppID != tt.want.SDKAppID ||
				k.Identifier != tt.want.Identifier || string(k.AuditKey) != string(tt.want.AuditKey) {
				t.Errorf("Key = %q %d %q %q, want %q %d %q %q", k.Secret, k.SDKAppID, k.Identifier, k.AuditKey,
					tt.want.Secret, tt.want.SDKAppID, tt.want.Identifier, tt.want.AuditKey)
			}
			if len(k.Version) != 36 {
				t.Errorf("Version = %q, want the VersionId", k.Version)
			}
		})
	}
}

func TestProviderCachesForTTL(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		advance   []time.Duration // before each extra Key call
		wantCalls int
	}{
		{"within default TTL", 0, []time.Duration{time.Second, 4*time.Minute + 58*time.Second}, 1},
		{"default TTL elapsed", 0, []time.Duration{5 * time.Minute}, 2},
		{"re-read restarts the TTL", 0, []time.Duration{5 * time.Minute, 4 * time.Minute, time.Minute}, 3},
		{"custom TTL", time.Minute, []time.Duration{59 * time.Second, time.Second}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, putKey(secret))
			f.p.TTL = tt.ttl
			if _, err := f.p.Key(ctx(t)); err != nil {
				t.Fatal(err)
			}
			for _, d := range tt.advance {
				f.clock.Advance(d)
				if _, err := f.p.Key(ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.stub.Calls(); got != tt.wantCalls {
				t.Errorf("GetSecretValue calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestProviderPicksUpRotationAfterTTL(t *testing.T) {
	f := newFixture(t, putKey("old-key"))
	k1, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	f.stub.Put(secretName, "new-key")
	if k, _ := f.p.Key(ctx(t)); string(k.Secret) != "old-key" {
		t.Fatalf("rotation visible before TTL: %s", k)
	}
	f.clock.Advance(signingkey.DefaultTTL)
	k2, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(k2.Secret) != "new-key" || k2.Version == k1.Version {
		t.Errorf("after TTL: secret %q version %q (was %q)", k2.Secret, k2.Version, k1.Version)
	}
}

// run starts n goroutines at once and waits for them.
func run(n int, fn func()) {
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			fn()
		}()
	}
	start.Done()
	done.Wait()
}

func TestConcurrentKeySharesOneRead(t *testing.T) {
	f := newFixture(t, putKey(secret))
	var errs sync.Map
	run(20, func() {
		if _, err := f.p.Key(ctx(t)); err != nil {
			errs.Store(err.Error(), true)
		}
	})
	errs.Range(func(k, _ any) bool { t.Error(k); return true })
	if got := f.stub.Calls(); got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", got)
	}
}

func TestInvalidateOnceAfterRotation(t *testing.T) {
	f := newFixture(t, putKey("old-key"))
	stale, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	f.stub.Put(secretName, "new-key") // rotated; the cache still holds old-key

	var mu sync.Mutex
	got := map[string]int{}
	run(20, func() {
		err := f.p.Invalidate(ctx(t), stale.Version)
		mu.Lock()
		defer mu.Unlock()
		got[fmt.Sprint(err)]++
	})
	if got["<nil>"] != 20 {
		t.Errorf("Invalidate results = %v, want nil x20", got)
	}
	if calls := f.stub.Calls(); calls != 2 {
		t.Errorf("GetSecretValue calls = %d, want 2 (initial read + one re-read)", calls)
	}

	// A straggler reporting the same stale key is told a newer key is in
	// use, without a call.
	if err := f.p.Invalidate(ctx(t), stale.Version); err != nil {
		t.Errorf("late Invalidate = %v", err)
	}
	if calls := f.stub.Calls(); calls != 2 {
		t.Errorf("GetSecretValue calls after late Invalidate = %d, want 2", calls)
	}
	// The re-read key is what Key serves now.
	if k, _ := f.p.Key(ctx(t)); string(k.Secret) != "new-key" {
		t.Errorf("Key after Invalidate = %q, want new-key", k.Secret)
	}
}

func TestInvalidateWithoutRotationSignalsSameKey(t *testing.T) {
	f := newFixture(t, putKey(secret))
	k1, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	run(20, func() {
		if err := f.p.Invalidate(ctx(t), k1.Version); !errors.Is(err, signingkey.ErrKeyUnchanged) {
			t.Errorf("Invalidate = %v; want ErrKeyUnchanged", err)
		}
	})
	if calls := f.stub.Calls(); calls != 2 {
		t.Errorf("GetSecretValue calls = %d, want 2", calls)
	}
	// Calls signed with the key the re-read confirmed are rejected too:
	// they share that outcome for a while instead of reading again...
	f.clock.Advance(29 * time.Second)
	if err := f.p.Invalidate(ctx(t), k1.Version); !errors.Is(err, signingkey.ErrKeyUnchanged) {
		t.Errorf("Invalidate soon after = %v; want ErrKeyUnchanged", err)
	}
	if calls := f.stub.Calls(); calls != 2 {
		t.Errorf("GetSecretValue calls soon after = %d, want 2", calls)
	}
	// ...then the secret is read again, so a corrected secret is picked up.
	f.stub.Put(secretName, "corrected")
	f.clock.Advance(time.Second)
	if err := f.p.Invalidate(ctx(t), k1.Version); err != nil {
		t.Errorf("Invalidate after the secret was corrected = %v", err)
	}
	if k, _ := f.p.Key(ctx(t)); string(k.Secret) != "corrected" {
		t.Errorf("Key after the correction = %q", k.Secret)
	}
}

func TestInvalidateOlderVersionReadsNothing(t *testing.T) {
	f := newFixture(t, putKey(secret))
	if _, err := f.p.Key(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Invalidate(ctx(t), "an-older-version"); err != nil {
		t.Errorf("Invalidate(older) = %v, want nil", err)
	}
	if calls := f.stub.Calls(); calls != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", calls)
	}
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*secretstest.Server) string
		wantOp string
		check  func(error) bool
	}{
		{"not found", func(*secretstest.Server) string { return "no-such-secret" }, signingkey.OpRead,
			func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		{"access denied", func(s *secretstest.Server) string {
			s.Put(secretName, secret)
			s.SetFailure("AccessDeniedException")
			return secretName
		}, signingkey.OpRead,
			func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorCode() == "AccessDeniedException"
			}},
		{"persistent 500", func(s *secretstest.Server) string {
			s.Put(secretName, secret)
			s.SetFailure("InternalServiceError")
			return secretName
		}, signingkey.OpRead,
			func(err error) bool { var e *types.InternalServiceError; return errors.As(err, &e) }},
		{"binary secret", func(s *secretstest.Server) string { s.PutBinary(secretName, []byte(secret)); return secretName },
			signingkey.OpRead, func(err error) bool { return errors.Is(err, signingkey.ErrNoSecretString) }},
		{"malformed json secret", putKey(`{"key":"` + secret + `",`), signingkey.OpParse,
			func(err error) bool { var e *signingkey.ParseError; return errors.As(err, &e) }},
		{"json without key", putKey(`{"sdkAppId":1400000000,"auditKey":"` + secret + `"}`), signingkey.OpParse,
			func(err error) bool { var e *signingkey.ParseError; return errors.As(err, &e) && e.Field == "key" }},
		{"blank secret", putKey("  \n"), signingkey.OpParse,
			func(err error) bool { var e *signingkey.ParseError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.setup)
			for _, call := range []string{"Key", "Invalidate"} {
				var err error
				if call == "Key" {
					_, err = f.p.Key(ctx(t))
				} else {
					err = f.p.Invalidate(ctx(t), "")
				}
				var e *signingkey.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s error = %v (%T), want *signingkey.Error", call, err, err)
				}
				if e.Op != tt.wantOp || e.SecretID != f.p.SecretID {
					t.Errorf("%s: Op, SecretID = %q, %q; want %q, %q", call, e.Op, e.SecretID, tt.wantOp, f.p.SecretID)
				}
				if !tt.check(err) {
					t.Errorf("%s: cause not classifiable: %v", call, err)
				}
				if !strings.Contains(err.Error(), f.p.SecretID) {
					t.Errorf("%s: error does not name the secret: %v", call, err)
				}
				assertNoLeak(t, call+" error", err.Error())
			}
		})
	}
}

func TestKeyKeepsCachedKeyWhenRereadFails(t *testing.T) {
	f := newFixture(t, putKey(secret))
	k1, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	f.stub.SetFailure("InternalServiceError")
	f.clock.Advance(signingkey.DefaultTTL)

	k2, err := f.p.Key(ctx(t))
	if err != nil || !k2.SameAs(k1) {
		t.Fatalf("Key during outage = %s, %v; want the cached key", k2, err)
	}
	calls := f.stub.Calls()
	if calls < 2 {
		t.Fatalf("no re-read attempted (calls = %d)", calls)
	}
	if !strings.Contains(f.log.String(), "re-read failed") {
		t.Errorf("failure not logged: %s", f.log)
	}
	assertNoLeak(t, "log", f.log.String())

	// The outage does not cost a round trip per call...
	f.clock.Advance(10 * time.Second)
	if _, err := f.p.Key(ctx(t)); err != nil || f.stub.Calls() != calls {
		t.Errorf("during back-off: err %v, calls %d -> %d", err, calls, f.stub.Calls())
	}
	// ...but Invalidate, which follows a rejection of that key, reports it.
	if err := f.p.Invalidate(ctx(t), k2.Version); err == nil {
		t.Error("Invalidate during outage returned no error")
	}
	// Recovery after the back-off.
	f.stub.SetFailure("")
	f.stub.Put(secretName, "rotated")
	f.clock.Advance(30 * time.Second)
	if k, err := f.p.Key(ctx(t)); err != nil || string(k.Secret) != "rotated" {
		t.Errorf("after recovery: %q, %v", k.Secret, err)
	}
}

// blockingGetter holds GetSecretValue until released, to observe callers
// that give up while a shared read is in flight.
type blockingGetter struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (g *blockingGetter) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	select {
	case <-g.release:
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(secret), VersionId: aws.String("v1")}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestCallerCancellationDoesNotFailSharedRead(t *testing.T) {
	g := &blockingGetter{release: make(chan struct{})}
	p := &signingkey.Provider{Client: g, SecretID: "id"}

	impatient, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := p.Key(impatient); errc <- err }()
	keyc := make(chan signingkey.Key, 1)
	go func() {
		k, err := p.Key(ctx(t))
		if err != nil {
			t.Error(err)
		}
		keyc <- k
	}()

	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v, want context.Canceled", err)
	}
	close(g.release)
	if k := <-keyc; string(k.Secret) != secret {
		t.Errorf("patient caller got %q", k.Secret)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls != 1 {
		t.Errorf("calls = %d, want 1", g.calls)
	}
}

func TestReturnedKeyIsACopy(t *testing.T) {
	f := newFixture(t, putKey(secret))
	k, err := f.p.Key(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	k.Secret[0] = '!'
	if k2, _ := f.p.Key(ctx(t)); string(k2.Secret) != secret {
		t.Errorf("cache corrupted through a returned key: %q", k2.Secret)
	}
}

func TestMisconfiguredProvider(t *testing.T) {
	tests := []struct {
		name string
		p    *signingkey.Provider
	}{
		{"nil", nil},
		{"no client", &signingkey.Provider{SecretID: "id"}},
		{"no secret id", &signingkey.Provider{Client: &blockingGetter{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Key(context.Background())
			if !errors.Is(err, signingkey.ErrNotConfigured) {
				t.Errorf("Key = %v, want ErrNotConfigured", err)
			}
			err = tt.p.Invalidate(context.Background(), "")
			if !errors.Is(err, signingkey.ErrNotConfigured) {
				t.Errorf("Invalidate = %v, want ErrNotConfigured", err)
			}
		})
	}
	_, err := signingkey.NewFromConfig(context.Background(), "")
	var e *signingkey.Error
	if !errors.As(err, &e) || e.Op != signingkey.OpConfig {
		t.Errorf("NewFromConfig(\"\") = %v, want *Error with Op config", err)
	}
}
