package eraser_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

const testKey = "0123456789abcdef0123456789abcdef"

const secretName = "attr-eraser/tim-signing-key"

// startSecrets starts a Secrets Manager stand-in holding testKey and a
// Provider reading it through the real SDK client.
func startSecrets(t *testing.T) (*secretstest.Server, *signingkey.Provider) {
	t.Helper()
	secrets, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	secrets.Put(secretName, testKey)
	client := secretsmanager.New(secretsmanager.Options{
		Region:       secretstest.Region,
		BaseEndpoint: aws.String(secrets.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return secrets, &signingkey.Provider{Client: client, SecretID: secretName}
}

type fixture struct {
	stub    *timtest.Server
	secrets *secretstest.Server
	p       *eraser.Processor
}

// newFixture starts a Tencent stand-in and a processor talking to it
// through the real client. Retries are fast so tests stay quick.
func newFixture(t *testing.T, cfg timtest.Config) *fixture {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = []byte(testKey)
	}
	stub, err := timtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stub.Close)
	secrets, keys := startSecrets(t)
	source := &signingkey.Source{Keys: keys, UserSigs: &usersig.Cache{}, SDKAppID: timtest.DefaultSDKAppID, Identifier: timtest.DefaultIdentifier}
	base := mustURL(t, stub.URL())
	p := &eraser.Processor{
		API:         &tim.Client{BaseURL: base, Signer: source, HTTPClient: tim.NewHTTPClient(2*time.Second, 16)},
		Credentials: source,
		Tuning:      eraser.Tuning{Retry: eraser.RetryPolicy{Base: time.Millisecond, Cap: 10 * time.Millisecond, RateLimitedBase: 5 * time.Millisecond, RateLimitedCap: 20 * time.Millisecond}},
	}
	return &fixture{stub: stub, secrets: secrets, p: p}
}

// message builds a message on its first receive, with the lineage of a
// message as first published.
func message(id, body string) eraser.Message {
	return eraser.Message{ID: id, Body: body, Lineage: eraser.Lineage{OriginalMessageID: id, ReceiveCount: 1}}
}

func erasureBody(accounts ...string) string {
	return fmt.Sprintf(`{"type":"gdpr.erasure","accounts":["%s"],"eventId":"evt"}`, strings.Join(accounts, `","`))
}

// outcomes maps message IDs to outcomes.
func outcomes(r *eraser.Report) map[string]eraser.Outcome {
	m := map[string]eraser.Outcome{}
	for _, res := range r.Messages {
		m[res.MessageID] = res.Outcome
	}
	return m
}

// checkPromise asserts the one promise: every erased message has every
// account removed in the stand-in.
func checkPromise(t *testing.T, stub *timtest.Server, r *eraser.Report) {
	t.Helper()
	for _, m := range r.Messages {
		if m.Outcome != eraser.Erased {
			continue
		}
		for _, a := range m.Request.Accounts {
			if len(stub.Removed(a)) == 0 {
				t.Errorf("message %s acknowledged but an account of it was not removed", m.MessageID)
			}
		}
	}
}

// removeCalls counts every im_remove_attr request the stand-in received.
func removeCalls(stub *timtest.Server) int { return len(stub.Calls()) }

func withDeadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
