// Command audithash computes the keyed hash by which the audit log names an
// account, so that an operator can find that account's erasure in the logs
// without the logs ever holding the account itself.
//
// The audit key is found exactly as the function finds it: the signing
// secret's auditKey field when it has one, else a key derived from the
// signing key (signingkey.AuditKey).
//
// Usage:
//
//	audithash -secret-id <arn-or-name> [-version-stage AWSPREVIOUS | -version-id <id>] [account...]
//	audithash -key-file <path> [-derive] [account...]
//
// With -secret-id the secret is read from AWS Secrets Manager with the
// operator's own AWS credentials and region (the SDK's default chain:
// AWS_PROFILE, AWS_REGION, ...). -version-stage or -version-id read an
// older version of the secret, for log lines written before a rotation.
//
// With -key-file the key comes from a file, for offline use: the audit key
// itself (trailing line breaks removed), or with -derive the signing
// secret's value (the bare signing key or the secret's JSON), from which the
// audit key is derived as the function does.
//
// Accounts are the arguments, or, when there are none, the lines of
// standard input (which keeps them out of the shell history). The output is
// one line per account, in input order:
//
//	<accountHash>  <auditKeyId>
//
// The key is never printed. Exit status: 0 success, 1 the key could not be
// read, 2 bad usage or an invalid account.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// Exit statuses.
const (
	exitOK    = 0
	exitKey   = 1
	exitUsage = 2
)

// maxKeyFile bounds what -key-file reads; a secret value is at most 64 KB.
const maxKeyFile = 64 << 10

// timeout bounds the whole run, Secrets Manager retries included.
const timeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command without its process: arguments, streams and exit
// status, so tests can drive it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audithash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secretID := fs.String("secret-id", "", "ARN or name of the signing-key secret in AWS Secrets Manager")
	stage := fs.String("version-stage", "", "with -secret-id: read this version stage (e.g. AWSPREVIOUS) instead of AWSCURRENT")
	versionID := fs.String("version-id", "", "with -secret-id: read this VersionId instead of AWSCURRENT")
	keyFile := fs.String("key-file", "", "read the key from this file instead of Secrets Manager")
	derive := fs.Bool("derive", false, "with -key-file: the file holds the signing secret's value (bare key or JSON), not the audit key")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: audithash -secret-id <arn-or-name> [-version-stage S | -version-id ID] [account...]")
		fmt.Fprintln(stderr, "       audithash -key-file <path> [-derive] [account...]")
		fmt.Fprintln(stderr, "Prints \"<accountHash>  <auditKeyId>\" per account; reads accounts from stdin when none are given.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "audithash: "+msg)
		fs.Usage()
		return exitUsage
	}
	switch {
	case (*secretID == "") == (*keyFile == ""):
		return usage("give exactly one of -secret-id and -key-file")
	case *derive && *keyFile == "":
		return usage("-derive applies to -key-file only (a secret is always derived from)")
	case (*stage != "" || *versionID != "") && *secretID == "":
		return usage("-version-stage and -version-id apply to -secret-id only")
	case *stage != "" && *versionID != "":
		return usage("give at most one of -version-stage and -version-id")
	}

	accounts := fs.Args()
	if len(accounts) == 0 {
		var err error
		if accounts, err = readLines(stdin); err != nil {
			fmt.Fprintf(stderr, "audithash: read accounts from standard input: %v\n", err)
			return exitUsage
		}
		if len(accounts) == 0 {
			return usage("no accounts given")
		}
	}
	for i, a := range accounts {
		// The function never hashes an invalid account (its message is
		// rejected), so such a hash would match nothing.
		if err := erasure.ValidAccount(a); err != nil {
			fmt.Fprintf(stderr, "audithash: account %d is not a valid Tencent UserID (%v); no audit line can name it\n", i+1, err)
			return exitUsage
		}
	}

	var key []byte
	var err error
	if *secretID != "" {
		key, err = keyFromSecret(ctx, *secretID, *stage, *versionID)
	} else {
		key, err = keyFromFile(*keyFile, *derive)
	}
	if err != nil {
		fmt.Fprintf(stderr, "audithash: %v\n", err)
		return exitKey
	}

	w := bufio.NewWriter(stdout)
	id := telemetry.KeyID(key)
	for _, a := range accounts {
		fmt.Fprintf(w, "%s  %s\n", telemetry.Hash(key, a), id)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "audithash: %v\n", err)
		return exitKey
	}
	return exitOK
}

// readLines returns the non-empty lines of r, without line breaks. Other
// whitespace is kept: a space is a valid character of a UserID.
func readLines(r io.Reader) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := strings.TrimSuffix(sc.Text(), "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
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
