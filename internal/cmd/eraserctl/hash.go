// The hash subcommand: the keyed hash by which the audit log names an
// account, so that an operator can find that account's erasure in the logs
// without the logs ever holding the account itself.
//
// The audit key is found exactly as the function finds it: the signing
// secret's auditKey field when it has one, else a key derived from the
// signing key (signingkey.AuditKey).
//
//	eraserctl hash -secret-id <arn-or-name> [-version-stage AWSPREVIOUS | -version-id <id>] [account...]
//	eraserctl hash -key-file <path> [-derive] [account...]
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
// The key is never printed.

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// hashTimeout bounds the whole hash run, Secrets Manager retries included.
const hashTimeout = 30 * time.Second

// runHash is the hash subcommand.
func runHash(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, hashTimeout)
	defer cancel()
	fs := newFlags("hash", stderr,
		"eraserctl hash -secret-id <arn-or-name> [-version-stage S | -version-id ID] [account...]",
		"eraserctl hash -key-file <path> [-derive] [account...]",
		"Prints \"<accountHash>  <auditKeyId>\" per account; reads accounts from stdin when none are given.")
	var ks keySourceFlags
	ks.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "eraserctl hash: "+msg)
		fs.Usage()
		return exitUsage
	}
	if msg := ks.check(); msg != "" {
		return usage(msg)
	}

	accounts := fs.Args()
	if len(accounts) == 0 {
		var err error
		if accounts, err = readLines(stdin); err != nil {
			fmt.Fprintf(stderr, "eraserctl hash: read accounts from standard input: %v\n", err)
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
			fmt.Fprintf(stderr, "eraserctl hash: account %d is not a valid Tencent UserID (%v); no audit line can name it\n", i+1, err)
			return exitUsage
		}
	}

	key, err := ks.auditKey(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl hash: %v\n", err)
		return exitFailed
	}

	w := bufio.NewWriter(stdout)
	id := telemetry.KeyID(key)
	for _, a := range accounts {
		fmt.Fprintf(w, "%s  %s\n", telemetry.Hash(key, a), id)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "eraserctl hash: %v\n", err)
		return exitFailed
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
