// The prove subcommand: a certificate that accounts were erased, read from
// the function's audit lines in CloudWatch Logs. The audit log names each
// account only by its keyed hash; with the audit key, prove recomputes the
// hashes of the accounts it is given, finds the lines that name them, and
// says when each was erased, by which message, which parts, whether it was
// read back clean, and the accountsDigest that matches the message's
// receipt; failed and rejected attempts are listed too.

package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// exitNotErased: the search worked, but some account has no erasure in it.
const exitNotErased = 4

// partsWindow is how far around a line prove looks for the other parts of
// its message: they are written together, at the end of one invocation.
const partsWindow = 15 * time.Minute

// logsAPI is the part of the CloudWatch Logs client prove uses.
type logsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

func runProve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("prove", stderr,
		"eraserctl prove -log-group NAME (-secret-id ARN | -key-file FILE) [-start T] [-end T] [-json] [account...]",
		"Prints a certificate of each account's erasure; reads accounts from stdin when none are given.")
	var ks keySourceFlags
	ks.register(fs, false) // a file holds the audit key only: no signing key needed
	group := fs.String("log-group", "", "the function's log group (the stack's FunctionLogGroup, /aws/lambda/<function>)")
	start := fs.String("start", "", "RFC 3339 start of the search (default: all the log group keeps)")
	end := fs.String("end", "", "RFC 3339 end of the search (default: now)")
	asJSON := fs.Bool("json", false, "print the certificate as JSON, for a DSAR tool")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "eraserctl prove: "+msg)
		fs.Usage()
		return exitUsage
	}
	if msg := ks.check(); msg != "" {
		return usage(msg)
	}
	if *group == "" {
		return usage("-log-group is required")
	}
	var from, to time.Time
	for _, t := range []struct {
		flag, value string
		into        *time.Time
	}{{"-start", *start, &from}, {"-end", *end, &to}} {
		if t.value == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			return usage(fmt.Sprintf("%s %q is not an RFC 3339 time", t.flag, t.value))
		}
		*t.into = v
	}
	accounts := fs.Args()
	if len(accounts) == 0 {
		var err error
		if accounts, err = readLines(stdin); err != nil {
			fmt.Fprintf(stderr, "eraserctl prove: read accounts from standard input: %v\n", err)
			return exitUsage
		}
	}
	if len(accounts) == 0 {
		return usage("no accounts given")
	}
	for i, a := range accounts {
		if err := erasure.ValidAccount(a); err != nil {
			fmt.Fprintf(stderr, "eraserctl prove: account %d is not a valid Tencent UserID (%v); no audit line can name it\n", i+1, err)
			return exitUsage
		}
	}
	key, err := ks.auditKey(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl prove: %v\n", err)
		return exitFailed
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl prove: %v\n", err)
		return exitFailed
	}
	p := &prover{logs: cloudwatchlogs.NewFromConfig(cfg), group: *group, from: from, to: to}
	cert, err := p.certify(ctx, key, accounts)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl prove: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(cert)
	} else {
		err = cert.text(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl prove: %v\n", err)
		return exitFailed
	}
	for _, a := range cert.Accounts {
		if a.Status != statusErased {
			return exitNotErased
		}
	}
	return exitOK
}

// Statuses of an account in a certificate.
const (
	statusErased    = "erased"
	statusNotErased = "not_erased" // attempts only
	statusNotFound  = "not_found"
)

// certificate is what prove prints.
type certificate struct {
	LogGroup   string        `json:"logGroup"`
	Start      string        `json:"start,omitempty"`
	End        string        `json:"end"`
	AuditKeyID string        `json:"auditKeyId"`
	Accounts   []accountCert `json:"accounts"`
}

// accountCert is one account's part: the account was given to prove, so it
// may be printed; every other account appears only inside a digest.
type accountCert struct {
	Account     string    `json:"account"`
	AccountHash string    `json:"accountHash"`
	Status      string    `json:"status"`
	Erasures    []attempt `json:"erasures"`
	Attempts    []attempt `json:"failedAttempts"`
}

// attempt is one audit line (all parts of one message) naming the account.
type attempt struct {
	Time         string   `json:"time"`
	Outcome      string   `json:"outcome"`
	EventID      string   `json:"eventId,omitempty"`
	MessageID    string   `json:"messageId"`
	ReceiveCount int      `json:"receiveCount,omitempty"`
	Type         string   `json:"type,omitempty"`
	OccurredAt   string   `json:"occurredAt,omitempty"`
	Done         []string `json:"done,omitempty"`
	Class        string   `json:"class,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	HandOff      string   `json:"handOff,omitempty"`
	// Verification is what "erased" rests on: read-back (every account
	// read back clean), off (Tencent's OK), or empty on lines of a version
	// that did not say.
	Verification      string `json:"verification,omitempty"`
	VerifiedAccounts  int    `json:"verifiedAccounts,omitempty"`
	MessageAccounts   int    `json:"messageAccounts"`
	AccountsDigest    string `json:"accountsDigest,omitempty"`
	DigestUnavailable string `json:"digestUnavailable,omitempty"`
}

// auditLine is the part of an audit line prove reads.
type auditLine struct {
	Msg               string   `json:"msg"`
	Time              string   `json:"time"`
	MessageID         string   `json:"messageId"`
	OriginalMessageID string   `json:"originalMessageId"`
	ReceiveCount      int      `json:"receiveCount"`
	EventID           string   `json:"eventId"`
	Type              string   `json:"type"`
	OccurredAt        string   `json:"occurredAt"`
	Accounts          int      `json:"accounts"`
	Outcome           string   `json:"outcome"`
	Class             string   `json:"class"`
	Reason            string   `json:"reason"`
	HandOff           string   `json:"handOff"`
	Done              []string `json:"done"`
	AccountHashes     []string `json:"accountHashes"`
	AuditKeyID        string   `json:"auditKeyId"`
	Part              int      `json:"part"`
	Parts             int      `json:"parts"`
	Verified          int      `json:"verified"`
	Verification      string   `json:"verification"`

	timestamp time.Time // the log event's
}

// parseAuditLine reads an audit line from a log event's message: the
// function's JSON line, or that line inside Lambda's own JSON record.
func parseAuditLine(message string) (auditLine, bool) {
	var l auditLine
	if json.Unmarshal([]byte(message), &l) != nil {
		return l, false
	}
	if l.Msg == "audit" {
		return l, true
	}
	var wrapped struct {
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal([]byte(message), &wrapped) != nil || len(wrapped.Message) == 0 {
		return l, false
	}
	inner := []byte(wrapped.Message)
	var s string
	if json.Unmarshal(inner, &s) == nil {
		inner = []byte(s)
	}
	l = auditLine{}
	if json.Unmarshal(inner, &l) != nil || l.Msg != "audit" {
		return l, false
	}
	return l, true
}

// prover searches one log group.
type prover struct {
	logs     logsAPI
	group    string
	from, to time.Time
}

// certify builds the certificate of accounts.
func (p *prover) certify(ctx context.Context, key []byte, accounts []string) (*certificate, error) {
	to := cmp.Or(p.to, time.Now().UTC())
	c := &certificate{LogGroup: p.group, End: to.Format(time.RFC3339), AuditKeyID: telemetry.KeyID(key)}
	if !p.from.IsZero() {
		c.Start = p.from.Format(time.RFC3339)
	}
	for _, a := range accounts {
		hash := telemetry.Hash(key, a)
		ac := accountCert{Account: a, AccountHash: hash, Status: statusNotFound, Erasures: []attempt{}, Attempts: []attempt{}}
		// One quoted term per query: the only pattern every implementation
		// parses alike. The results are filtered again here, as a pattern
		// a server cannot parse may match every event.
		lines, err := p.filter(ctx, strconv.Quote(hash), p.from, to)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, l := range lines {
			if l.AuditKeyID != c.AuditKeyID || !slices.Contains(l.AccountHashes, hash) {
				continue
			}
			// One attempt per message and receive, whichever part names it.
			id := l.MessageID + "/" + strconv.Itoa(l.ReceiveCount) + "/" + l.Time
			if seen[id] {
				continue
			}
			seen[id] = true
			at, err := p.attempt(ctx, l, to)
			if err != nil {
				return nil, err
			}
			if l.Outcome == "erased" {
				ac.Erasures = append(ac.Erasures, at)
			} else {
				ac.Attempts = append(ac.Attempts, at)
			}
		}
		switch {
		case len(ac.Erasures) > 0:
			ac.Status = statusErased
		case len(ac.Attempts) > 0:
			ac.Status = statusNotErased
		}
		c.Accounts = append(c.Accounts, ac)
	}
	return c, nil
}

// attempt describes line l's message, gathering its other parts to
// recompute the message's accountsDigest.
func (p *prover) attempt(ctx context.Context, l auditLine, to time.Time) (attempt, error) {
	at := attempt{
		Time:             l.timestamp.UTC().Format(time.RFC3339Nano),
		Outcome:          l.Outcome,
		EventID:          l.EventID,
		MessageID:        cmp.Or(l.OriginalMessageID, l.MessageID),
		ReceiveCount:     l.ReceiveCount,
		Type:             l.Type,
		OccurredAt:       l.OccurredAt,
		Done:             l.Done,
		Class:            l.Class,
		Reason:           l.Reason,
		HandOff:          l.HandOff,
		Verification:     l.Verification,
		VerifiedAccounts: l.Verified,
		MessageAccounts:  l.Accounts,
	}
	hashes := slices.Clone(l.AccountHashes)
	if l.Parts > 1 {
		from, until := l.timestamp.Add(-partsWindow), l.timestamp.Add(partsWindow)
		if until.After(to) {
			until = to
		}
		others, err := p.filter(ctx, strconv.Quote(l.MessageID), from, until)
		if err != nil {
			return at, err
		}
		got := map[int]bool{l.Part: true}
		for _, o := range others {
			if o.MessageID != l.MessageID || o.ReceiveCount != l.ReceiveCount || o.Parts != l.Parts ||
				o.AuditKeyID != l.AuditKeyID || o.Outcome != l.Outcome || got[o.Part] {
				continue
			}
			got[o.Part] = true
			hashes = append(hashes, o.AccountHashes...)
		}
		if len(got) != l.Parts {
			at.DigestUnavailable = fmt.Sprintf("found %d of the message's %d audit lines", len(got), l.Parts)
			return at, nil
		}
	}
	if len(hashes) != l.Accounts {
		at.DigestUnavailable = fmt.Sprintf("the audit lines hash %d of the message's %d accounts", len(hashes), l.Accounts)
		return at, nil
	}
	at.AccountsDigest = receipts.HashesDigest(hashes)
	return at, nil
}

// filter returns the audit lines of the log group between from and to
// that match pattern, oldest first.
func (p *prover) filter(ctx context.Context, pattern string, from, to time.Time) ([]auditLine, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String(p.group),
		FilterPattern: aws.String(pattern),
		EndTime:       aws.Int64(to.UnixMilli()),
	}
	if !from.IsZero() {
		in.StartTime = aws.Int64(from.UnixMilli())
	}
	var lines []auditLine
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(p.logs, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", p.group, err)
		}
		for _, e := range out.Events {
			l, ok := parseAuditLine(aws.ToString(e.Message))
			if !ok {
				continue
			}
			l.timestamp = time.UnixMilli(aws.ToInt64(e.Timestamp))
			lines = append(lines, l)
		}
	}
	slices.SortStableFunc(lines, func(a, b auditLine) int { return a.timestamp.Compare(b.timestamp) })
	return lines, nil
}

// text writes the certificate for a person.
func (c *certificate) text(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ERASURE CERTIFICATE (attr-eraser audit log)\n")
	fmt.Fprintf(&b, "  log group:  %s\n", c.LogGroup)
	fmt.Fprintf(&b, "  searched:   %s to %s\n", cmp.Or(c.Start, "the start of the log group's retention"), c.End)
	fmt.Fprintf(&b, "  audit key:  %s (accounts are named in the log by their keyed hash only)\n", c.AuditKeyID)
	for _, a := range c.Accounts {
		fmt.Fprintf(&b, "\nAccount %q (hash %s): %s\n", a.Account, a.AccountHash, strings.ToUpper(strings.ReplaceAll(a.Status, "_", " ")))
		for _, e := range a.Erasures {
			fmt.Fprintf(&b, "  erased %s\n", e.Time)
			e.details(&b)
		}
		for _, e := range a.Attempts {
			what := e.Outcome
			if e.HandOff == "dead_lettered" {
				what = "rejected (dead-lettered)"
			}
			fmt.Fprintf(&b, "  %s %s: class %s, reason %q\n", what, e.Time, cmp.Or(e.Class, "-"), e.Reason)
			e.details(&b)
		}
		if a.Status == statusNotFound {
			fmt.Fprintf(&b, "  no audit line names it in this range\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// details writes an attempt's message lines.
func (e attempt) details(b *strings.Builder) {
	fmt.Fprintf(b, "    eventId %s, messageId %s, receive %d, type %s, occurredAt %s\n",
		cmp.Or(e.EventID, "-"), e.MessageID, e.ReceiveCount, cmp.Or(e.Type, "-"), cmp.Or(e.OccurredAt, "-"))
	if e.Outcome == "erased" || len(e.Done) > 0 {
		fmt.Fprintf(b, "    parts removed: %s\n", cmp.Or(strings.Join(e.Done, ", "), "none"))
	}
	if e.Outcome == "erased" {
		switch e.Verification {
		case eraser.VerificationReadBack:
			fmt.Fprintf(b, "    read back clean: %d of the message's %d accounts, after their removal\n", e.VerifiedAccounts, e.MessageAccounts)
		case eraser.VerificationOff:
			fmt.Fprintln(b, "    not read back (VERIFY_ERASURE=false): rests on Tencent's OK to the removal")
		default:
			fmt.Fprintln(b, "    read-back not recorded (a version of the function before verification)")
		}
	}
	if e.AccountsDigest != "" {
		fmt.Fprintf(b, "    accountsDigest %s (the message's %d accounts; matches its receipt)\n", e.AccountsDigest, e.MessageAccounts)
	} else {
		fmt.Fprintf(b, "    accountsDigest not computed: %s\n", e.DigestUnavailable)
	}
}
