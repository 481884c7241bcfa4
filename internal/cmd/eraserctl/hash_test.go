package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

const (
	secretName = "attr-eraser/tim-signing-key"
	// tencentKey is the key of Tencent's published UserSig check (README, Tencent Chat facts).
	tencentKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	// Computed independently with Python's hmac and hashlib:
	// k = HMAC-SHA256(tencentKey, "attr-eraser audit key v1"),
	// HMAC-SHA256(k, "user-1001")[:16] and SHA-256("attr-eraser audit key id\0" + k)[:4].
	tencentUser1001 = "924255574b8a26100307c08f70d77f50  29d6eef7"
	// The same for the audit key "attr-eraser test audit key" used as is.
	auditUser1001 = "7cce8f93bfcb6c8446f9360a73c0611a  8668ce8a"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"hash"}, args...), strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// want is the expected output for accounts under audit key key.
func want(key []byte, accounts ...string) string {
	var b strings.Builder
	for _, a := range accounts {
		b.WriteString(telemetry.Hash(key, a) + "  " + telemetry.KeyID(key) + "\n")
	}
	return b.String()
}

// startSecrets starts the Secrets Manager stand-in and points the real SDK
// at it through the environment, as the operator's shell would.
func startSecrets(t *testing.T) *secretstest.Server {
	t.Helper()
	stub, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stub.Close)
	stub.SetEnv(t.Setenv)
	return stub
}

// assertNoKey fails if any 8-byte window of a key, raw or hex, was printed.
func assertNoKey(t *testing.T, r result, keys ...[]byte) {
	t.Helper()
	all := r.stdout + r.stderr
	for _, k := range keys {
		for _, s := range []string{string(k), hex.EncodeToString(k)} {
			for i := 0; i+8 <= len(s); i++ {
				if strings.Contains(all, s[i:i+8]) {
					t.Fatalf("output contains part of a key (%q):\n%s", s[i:i+8], all)
				}
			}
		}
	}
}

func derived(secret string) []byte {
	return signingkey.AuditKey(signingkey.Key{Secret: []byte(secret)})
}

func TestFromSecretsManager(t *testing.T) {
	stub := startSecrets(t)
	const oldKey, newKey, auditKey = "old-signing-key-0123456789abcdef", "new-signing-key-fedcba9876543210", "explicit-audit-key-value"
	arn := stub.Put(secretName, `{"key":"`+oldKey+`","sdkAppId":1400000000}`)

	accounts := []string{"user-1001", "user 1002", "u"}
	t.Run("by ARN, derived key", func(t *testing.T) {
		r := runCmd(t, "", append([]string{"-secret-id", arn}, accounts...)...)
		if r.code != 0 || r.stdout != want(derived(oldKey), accounts...) {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, want(derived(oldKey), accounts...))
		}
		assertNoKey(t, r, []byte(oldKey), derived(oldKey))
	})
	t.Run("by name, accounts from stdin", func(t *testing.T) {
		r := runCmd(t, "user-1001\r\n\nuser 1002\nu", "-secret-id", secretName)
		if r.code != 0 || r.stdout != want(derived(oldKey), accounts...) {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})

	// Rotation: the current version has a new key and an explicit auditKey.
	stub.Put(secretName, `{"key":"`+newKey+`","auditKey":"`+auditKey+`"}`)
	t.Run("after rotation, the secret's auditKey", func(t *testing.T) {
		r := runCmd(t, "", "-secret-id", arn, "user-1001")
		if r.code != 0 || r.stdout != want([]byte(auditKey), "user-1001") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		assertNoKey(t, r, []byte(newKey), []byte(auditKey))
	})
	t.Run("AWSPREVIOUS gives the hashes written before the rotation", func(t *testing.T) {
		r := runCmd(t, "", "-secret-id", arn, "-version-stage", "AWSPREVIOUS", "user-1001")
		if r.code != 0 || r.stdout != want(derived(oldKey), "user-1001") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("missing secret", func(t *testing.T) {
		r := runCmd(t, "", "-secret-id", "no-such-secret", "user-1001")
		if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "ResourceNotFoundException") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		r := runCmd(t, "", "-secret-id", arn, "-version-id", "00000000-0000-4000-8000-000000000000", "user-1001")
		if r.code != exitFailed || r.stdout != "" {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestFromKeyFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		args    []string
		stdout  string
		noLeak  []string
		wantErr string
	}{
		{name: "audit key as is", args: []string{"-key-file", file("audit", "attr-eraser test audit key\n"), "user-1001"},
			stdout: auditUser1001 + "\n", noLeak: []string{"attr-eraser test audit key"}},
		{name: "derived from the bare signing key", args: []string{"-key-file", file("bare", tencentKey+"\n"), "-derive", "user-1001"},
			stdout: tencentUser1001 + "\n", noLeak: []string{tencentKey}},
		{name: "derived from the secret's JSON", args: []string{"-derive", "-key-file", file("json", `{"key":"`+tencentKey+`","sdkAppId":1400000000}`), "user-1001"},
			stdout: tencentUser1001 + "\n", noLeak: []string{tencentKey}},
		{name: "the JSON's auditKey wins", args: []string{"-derive", "-key-file", file("json-audit", `{"key":"`+tencentKey+`","auditKey":"attr-eraser test audit key"}`), "user-1001"},
			stdout: auditUser1001 + "\n", noLeak: []string{tencentKey, "attr-eraser test audit key"}},
		{name: "JSON without -derive", args: []string{"-key-file", file("json2", `{"key":"`+tencentKey+`"}`), "user-1001"},
			wantErr: "add -derive", noLeak: []string{tencentKey}},
		{name: "empty file", args: []string{"-key-file", file("empty", "\n"), "user-1001"}, wantErr: "is empty"},
		{name: "bad JSON with -derive", args: []string{"-derive", "-key-file", file("badjson", `{"key":"`+tencentKey+`"`), "user-1001"},
			wantErr: "invalid secret value", noLeak: []string{tencentKey}},
		{name: "missing file", args: []string{"-key-file", filepath.Join(dir, "none"), "user-1001"}, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if tt.wantErr != "" {
				if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, tt.wantErr) {
					t.Errorf("exit %d stdout %q stderr %q, want exit 1 and %q", r.code, r.stdout, r.stderr, tt.wantErr)
				}
			} else if r.code != 0 || r.stdout != tt.stdout {
				t.Errorf("exit %d stdout %q stderr %q, want %q", r.code, r.stdout, r.stderr, tt.stdout)
			}
			var keys [][]byte
			for _, k := range tt.noLeak {
				keys = append(keys, []byte(k))
			}
			assertNoKey(t, r, keys...)
		})
	}
}

func TestUsage(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(keyFile, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	tooLong := strings.Repeat("a", 33)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no key source", "", []string{"user-1001"}, "exactly one of"},
		{"two key sources", "", []string{"-secret-id", "s", "-key-file", keyFile, "user-1001"}, "exactly one of"},
		{"derive without a file", "", []string{"-secret-id", "s", "-derive", "user-1001"}, "-derive applies"},
		{"version with a file", "", []string{"-key-file", keyFile, "-version-stage", "AWSPREVIOUS", "user-1001"}, "apply to -secret-id"},
		{"stage and version id", "", []string{"-secret-id", "s", "-version-stage", "AWSPREVIOUS", "-version-id", "x", "user-1001"}, "at most one"},
		{"no accounts", "\n\n", []string{"-key-file", keyFile}, "no accounts"},
		{"invalid account", "", []string{"-key-file", keyFile, "ok", tooLong}, "account 2 is not a valid"},
		{"unknown flag", "", []string{"-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.stdin, tt.args...)
			if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d stdout %q stderr %q, want exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, tooLong) {
				t.Errorf("stderr echoes the account: %s", r.stderr)
			}
		})
	}
}

// TestMakeRunDevSecret: the command `make run` prints recomputes the
// hashes of its audit lines from the development secret in the repository.
func TestMakeRunDevSecret(t *testing.T) {
	// Computed independently with Python's hmac and hashlib from the
	// secret's auditKey.
	const user1001 = "60defdfe8d264fc836cdb8056f45b1f7  a99f2c7b\n"
	r := runCmd(t, "", "-key-file", filepath.Join("../../..", localrun.DevSecretFile), "-derive", "user-1001")
	if r.code != 0 || r.stdout != user1001 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, user1001)
	}
	if got := want(signingkey.AuditKey(localrun.DevKey()), "user-1001"); got != user1001 {
		t.Errorf("localrun.DevKey gives %s", got)
	}
}
