// Where the audit key comes from: the signing secret in Secrets Manager, or
// a file. hash and prove share it; prove takes a file holding only the
// audit key, so that a data-protection officer never needs the signing key.

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/attr-eraser/attr-eraser/internal/signingkey"
)

// maxKeyFile bounds what -key-file reads; a secret value is at most 64 KB.
const maxKeyFile = 64 << 10

// keySourceFlags are the flags that say where the audit key is.
type keySourceFlags struct {
	secretID, stage, versionID, keyFile string
	derive                              bool
}

// register adds the flags to fs; withDerive offers -derive (a file holding
// the signing secret), which prove leaves out on purpose.
func (k *keySourceFlags) register(fs *flag.FlagSet, withDerive bool) {
	fs.StringVar(&k.secretID, "secret-id", "", "ARN or name of the signing-key secret in AWS Secrets Manager")
	fs.StringVar(&k.stage, "version-stage", "", "with -secret-id: read this version stage (e.g. AWSPREVIOUS) instead of AWSCURRENT")
	fs.StringVar(&k.versionID, "version-id", "", "with -secret-id: read this VersionId instead of AWSCURRENT")
	fs.StringVar(&k.keyFile, "key-file", "", "read the audit key from this file instead of Secrets Manager")
	if withDerive {
		fs.BoolVar(&k.derive, "derive", false, "with -key-file: the file holds the signing secret's value (bare key or JSON), not the audit key")
	}
}

// check returns what is wrong with the flags, "" when nothing is.
func (k *keySourceFlags) check() string {
	switch {
	case (k.secretID == "") == (k.keyFile == ""):
		return "give exactly one of -secret-id and -key-file"
	case k.derive && k.keyFile == "":
		return "-derive applies to -key-file only (a secret is always derived from)"
	case (k.stage != "" || k.versionID != "") && k.secretID == "":
		return "-version-stage and -version-id apply to -secret-id only"
	case k.stage != "" && k.versionID != "":
		return "give at most one of -version-stage and -version-id"
	}
	return ""
}

// auditKey reads the audit key from where the flags say.
func (k *keySourceFlags) auditKey(ctx context.Context) ([]byte, error) {
	if k.secretID != "" {
		return keyFromSecret(ctx, k.secretID, k.stage, k.versionID)
	}
	return keyFromFile(k.keyFile, k.derive)
}

// keyFromSecret reads the signing secret the way the function does and
// returns its audit key.
func keyFromSecret(ctx context.Context, secretID, stage, versionID string) ([]byte, error) {
	p, err := signingkey.NewFromConfig(ctx, secretID)
	if err != nil {
		return nil, err
	}
	if stage != "" || versionID != "" {
		p.Client = versionPicker{SecretsGetter: p.Client, stage: stage, versionID: versionID}
	}
	k, err := p.Key(ctx)
	if err != nil {
		return nil, err
	}
	return signingkey.AuditKey(k), nil
}

// versionPicker asks Secrets Manager for one version of the secret instead
// of AWSCURRENT.
type versionPicker struct {
	signingkey.SecretsGetter
	stage, versionID string
}

// GetSecretValue implements signingkey.SecretsGetter.
func (v versionPicker) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	req := *in
	if v.stage != "" {
		req.VersionStage = aws.String(v.stage)
	}
	if v.versionID != "" {
		req.VersionId = aws.String(v.versionID)
	}
	return v.SecretsGetter.GetSecretValue(ctx, &req, opts...)
}

// keyFromFile reads an audit key, or with derive a signing secret's value,
// from path. Errors never quote the file's content.
func keyFromFile(path string, derive bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than %d bytes; it does not hold a key", path, maxKeyFile)
	}
	if derive {
		k, err := signingkey.Parse(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return signingkey.AuditKey(k), nil
	}
	key := bytes.TrimRight(data, "\r\n")
	switch {
	case len(key) == 0:
		return nil, fmt.Errorf("%s is empty", path)
	case bytes.HasPrefix(bytes.TrimSpace(key), []byte("{")):
		return nil, errors.New(path + " looks like the secret's JSON value, not an audit key; add -derive to read it as the secret")
	}
	return key, nil
}
