package secretstest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
)

// start returns a running stub and a real SDK client pointed at it through
// the environment, exactly as production code would be.
func start(t *testing.T, optFns ...func(*config.LoadOptions) error) (*secretstest.Server, *secretsmanager.Client) {
	t.Helper()
	srv, err := secretstest.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	// Retries stay on (they are part of what is tested) but without the
	// production backoff, which would make the tests slow.
	optFns = append([]func(*config.LoadOptions) error{config.WithRetryer(func() aws.Retryer {
		return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond)
	})}, optFns...)
	cfg, err := config.LoadDefaultConfig(context.Background(), optFns...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return srv, secretsmanager.NewFromConfig(cfg)
}

func get(c *secretsmanager.Client, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.GetSecretValue(ctx, in)
}

func TestGetSecretValue(t *testing.T) {
	srv, c := start(t)
	arn := srv.Put("tim/key", "first")
	srv.Put("tim/key", "second") // rotation: "second" is AWSCURRENT
	srv.PutBinary("bin", []byte{0, 1, 2})

	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:tim/key-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:123456789012:secret:tim/key-")+6 {
		t.Fatalf("ARN %q does not look like a Secrets Manager ARN", arn)
	}

	tests := []struct {
		name       string
		in         secretsmanager.GetSecretValueInput
		wantString string
		wantBinary string
		wantStage  string
	}{
		{name: "by name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("tim/key")}, wantString: "second", wantStage: "AWSCURRENT"},
		{name: "by full ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}, wantString: "second", wantStage: "AWSCURRENT"},
		{name: "by partial ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.TrimSuffix(arn, arn[len(arn)-7:]))}, wantString: "second", wantStage: "AWSCURRENT"},
		{name: "previous stage", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("tim/key"), VersionStage: aws.String("AWSPREVIOUS")}, wantString: "first", wantStage: "AWSPREVIOUS"},
		{name: "binary", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("bin")}, wantBinary: "\x00\x01\x02", wantStage: "AWSCURRENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := get(c, &tt.in)
			if err != nil {
				t.Fatalf("GetSecretValue: %v", err)
			}
			if tt.wantBinary == "" && aws.ToString(out.SecretString) != tt.wantString {
				t.Errorf("SecretString = %q, want %q", aws.ToString(out.SecretString), tt.wantString)
			}
			if tt.wantBinary != "" && (out.SecretString != nil || string(out.SecretBinary) != tt.wantBinary) {
				t.Errorf("SecretString = %v, SecretBinary = %q; want nil, %q", out.SecretString, out.SecretBinary, tt.wantBinary)
			}
			if len(out.VersionStages) != 1 || out.VersionStages[0] != tt.wantStage {
				t.Errorf("VersionStages = %v, want [%s]", out.VersionStages, tt.wantStage)
			}
			if aws.ToString(out.VersionId) == "" || aws.ToString(out.ARN) == "" || aws.ToString(out.Name) == "" {
				t.Errorf("missing VersionId/ARN/Name: %+v", out)
			}
			if out.CreatedDate == nil || time.Since(*out.CreatedDate) > time.Minute {
				t.Errorf("CreatedDate = %v, want about now", out.CreatedDate)
			}
		})
	}
}

func TestRotationChangesVersion(t *testing.T) {
	srv, c := start(t)
	srv.Put("k", "v1")
	a, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	srv.Put("k", "v2")
	b, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.VersionId) == aws.ToString(b.VersionId) {
		t.Errorf("VersionId did not change on Put: %s", aws.ToString(a.VersionId))
	}
	if aws.ToString(a.ARN) != aws.ToString(b.ARN) {
		t.Errorf("ARN changed on rotation: %s -> %s", aws.ToString(a.ARN), aws.ToString(b.ARN))
	}
	if got := srv.Calls(); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

// TestErrors checks that the SDK surfaces the stub's errors as the typed
// errors it would surface for the real service.
func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*secretstest.Server)
		id        string
		maxTries  int
		wantCode  string
		wantCalls int
		check     func(error) bool
	}{
		{
			name: "not found", id: "missing", maxTries: 3, wantCode: "ResourceNotFoundException", wantCalls: 1,
			check: func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) },
		},
		{
			name: "deleted", setup: func(s *secretstest.Server) { s.Put("k", "v"); s.Delete("k") }, id: "k", maxTries: 3,
			wantCode: "ResourceNotFoundException", wantCalls: 1,
			check: func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) },
		},
		{
			name: "unknown ARN", id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf", maxTries: 3,
			wantCode: "ResourceNotFoundException", wantCalls: 1,
			check: func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) },
		},
		{
			name: "access denied is not retried", setup: func(s *secretstest.Server) { s.Put("k", "v"); s.SetFailure("AccessDeniedException") },
			id: "k", maxTries: 3, wantCode: "AccessDeniedException", wantCalls: 1,
			check: func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorFault() != smithy.FaultServer
			},
		},
		{
			name: "internal error is retried", setup: func(s *secretstest.Server) { s.Put("k", "v"); s.SetFailure("InternalServiceError") },
			id: "k", maxTries: 3, wantCode: "InternalServiceError", wantCalls: 3,
			check: func(err error) bool { var e *types.InternalServiceError; return errors.As(err, &e) },
		},
		{
			name: "decryption failure", setup: func(s *secretstest.Server) { s.Put("k", "v"); s.FailNext(1, "DecryptionFailure") },
			id: "k", maxTries: 3, wantCode: "DecryptionFailure", wantCalls: 1,
			check: func(err error) bool { var e *types.DecryptionFailure; return errors.As(err, &e) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := start(t, config.WithRetryMaxAttempts(tt.maxTries))
			if tt.setup != nil {
				tt.setup(srv)
			}
			_, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(tt.id)})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Fatalf("err = %v, want API error %s", err, tt.wantCode)
			}
			if !tt.check(err) {
				t.Errorf("err = %T %v: not the expected typed error", err, err)
			}
			if got := srv.Calls(); got != tt.wantCalls {
				t.Errorf("Calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestFailNextThenRecover(t *testing.T) {
	srv, c := start(t, config.WithRetryMaxAttempts(3))
	srv.Put("k", "v")
	srv.SetFailure("AccessDeniedException")
	srv.FailNext(2, "InternalServiceError") // precedes the persistent failure

	// Two 500s are retried, then the persistent AccessDenied ends the call.
	_, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("k")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("err = %v, want AccessDeniedException", err)
	}
	if got := srv.Calls(); got != 3 {
		t.Errorf("Calls = %d, want 3", got)
	}

	srv.SetFailure("")
	srv.FailNext(1, "InternalServiceError")
	out, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("k")})
	if err != nil || aws.ToString(out.SecretString) != "v" {
		t.Fatalf("after recovery: out=%v err=%v", out, err)
	}
	if got := srv.Calls(); got != 5 {
		t.Errorf("Calls = %d, want 5 (one retried 500, one success)", got)
	}
}

// TestRawProtocol covers what the SDK never sends, so it is checked with
// plain HTTP.
func TestRawProtocol(t *testing.T) {
	srv, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Put("k", "v")

	const signed = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00"
	tests := []struct {
		name, method, target, auth, body string
		wantStatus                       int
		wantType                         string
	}{
		{"unsigned", "POST", "secretsmanager.GetSecretValue", "", `{"SecretId":"k"}`, 400, "MissingAuthenticationTokenException"},
		{"unknown operation", "POST", "secretsmanager.PutSecretValue", signed, `{}`, 400, "UnknownOperationException"},
		{"other service", "POST", "kms.GetSecretValue", signed, `{}`, 400, "UnknownOperationException"},
		{"wrong method", "GET", "secretsmanager.GetSecretValue", signed, ``, 404, "UnknownOperationException"},
		{"malformed body", "POST", "secretsmanager.GetSecretValue", signed, `{`, 400, "SerializationException"},
		{"missing SecretId", "POST", "secretsmanager.GetSecretValue", signed, `{}`, 400, "InvalidParameterException"},
		{"ok", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"k"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL()+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Amzn-ErrorType") != tt.wantType {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.wantStatus, tt.wantType)
			}
		})
	}
}

func TestEnvAndLifecycle(t *testing.T) {
	srv, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + srv.URL(),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %q", want)
		}
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || strings.HasSuffix(srv.URL(), ":0") {
		t.Errorf("URL = %q, want an ephemeral loopback port", srv.URL())
	}
	srv.Close()
	srv.Close() // idempotent
	if _, err := http.Post(srv.URL(), "application/json", nil); err == nil {
		t.Error("server still answers after Close")
	}
	var zero secretstest.Server
	zero.Close() // no-op, must not block or panic
}
