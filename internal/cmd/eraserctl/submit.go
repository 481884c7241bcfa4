// The submit subcommand: a backfill. Account ids from a file or standard
// input become erasure messages, sent in batches to the queue, an SNS topic
// or an EventBridge bus.

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// maxInvalidShown bounds the invalid lines listed one by one.
const maxInvalidShown = 100

// sendAttempts is how often a message a service refused or did not answer
// for is tried; sendBackoff the first pause between tries, doubled each time.
var (
	sendAttempts = 4
	sendBackoff  = 500 * time.Millisecond
)

// submitFlags are submit's settings.
type submitFlags struct {
	in, column              string
	typ, attrs, occurredAt  string
	queueURL, topicARN, bus string
	source, detailType      string
	checkpoint              string
	dryRun                  bool
	concurrency             int
}

func runSubmit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("submit", stderr,
		"eraserctl submit [-in FILE] [-column NAME|N] (-queue-url URL | -topic-arn ARN | -event-bus NAME) [-checkpoint FILE] [-dry-run]",
		"Sends every valid account of the input, deduplicated, in erasure messages marked as a backfill.")
	var f submitFlags
	fs.StringVar(&f.in, "in", "-", "the accounts: a file, or - for standard input")
	fs.StringVar(&f.column, "column", "", "read a CSV file and take this column: its header name, or its number from 1 (no header)")
	fs.StringVar(&f.typ, "type", string(erasure.UserDeleted), "the messages' type: user.deleted or gdpr.erasure")
	fs.StringVar(&f.attrs, "attrs", "", "comma-separated attribute names to remove; empty: the deployment's default set")
	fs.StringVar(&f.occurredAt, "occurred-at", "", "RFC 3339 time the accounts were deleted, carried into the audit log (ages count from the submission all the same)")
	fs.StringVar(&f.queueURL, "queue-url", "", "send to this SQS queue (the stack's ErasureQueueUrl)")
	fs.StringVar(&f.topicARN, "topic-arn", "", "publish to this SNS topic (the stack's UpstreamTopicArn)")
	fs.StringVar(&f.bus, "event-bus", "", "put events on this EventBridge bus (the stack's UpstreamEventBusName)")
	fs.StringVar(&f.source, "source", "attr-eraser.backfill", "with -event-bus: the events' source")
	fs.StringVar(&f.detailType, "detail-type", "UserDeleted", "with -event-bus: the events' detail-type (one of the stack's UpstreamDetailTypes)")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "record sent messages in this file, and skip those it lists: run again with it to resume")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate and count, send nothing (and make no AWS call)")
	fs.IntVar(&f.concurrency, "concurrency", 4, "batch calls in flight at once")
	var ks keySourceFlags
	ks.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "eraserctl submit: "+msg)
		fs.Usage()
		return exitUsage
	}
	kind, err := pickTarget(f.queueURL, f.topicARN, f.bus)
	if err != nil {
		return usage(err.Error())
	}
	tmpl, msg := f.template(time.Now())
	switch {
	case msg != "":
		return usage(msg)
	case fs.NArg() > 0:
		return usage("accounts are read from -in, not from arguments (which would put them in the shell history)")
	case kind == "" && !f.dryRun:
		return usage("give one of -queue-url, -topic-arn and -event-bus (or -dry-run)")
	case f.checkpoint != "" && f.dryRun:
		return usage("-checkpoint and -dry-run exclude each other: a dry run sends nothing to record")
	case f.concurrency < 1:
		return usage("-concurrency must be at least 1")
	case !f.dryRun && ks.check() != "":
		return usage(ks.check() + " (the audit key names the messages)")
	}

	var tgt target
	if kind != "" && !f.dryRun {
		cfg, err := awsConfig(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "eraserctl submit: %v\n", err)
			return exitFailed
		}
		switch kind {
		case "sqs":
			tgt = &sqsTarget{client: sqs.NewFromConfig(cfg), url: f.queueURL}
		case "sns":
			tgt = &snsTarget{client: sns.NewFromConfig(cfg), arn: f.topicARN}
		case "eventbridge":
			tgt = &eventsTarget{client: eventbridge.NewFromConfig(cfg), bus: f.bus, source: f.source, detailType: f.detailType}
		}
	}
	// A dry run sizes messages for the target it names (SQS's when none).
	maxBody := sqsMaxBytes
	switch kind {
	case "sns":
		maxBody = snsMaxBytes
	case "eventbridge":
		maxBody = (&eventsTarget{source: f.source, detailType: f.detailType}).maxBody()
	}

	r := stdin
	if f.in != "-" {
		file, err := os.Open(f.in)
		if err != nil {
			fmt.Fprintf(stderr, "eraserctl submit: %v\n", err)
			return exitFailed
		}
		defer file.Close()
		r = file
	}
	in, err := readAccounts(r, f.column)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl submit: %s: %v\n", f.in, err)
		return exitFailed
	}
	for i, b := range in.invalid {
		if i == maxInvalidShown {
			fmt.Fprintf(stderr, "... and %d more invalid lines\n", len(in.invalid)-i)
			break
		}
		fmt.Fprintf(stderr, "line %d: not sent: %s\n", b.line, b.reason)
	}
	var auditKey []byte // a dry run names no message
	if !f.dryRun {
		if auditKey, err = ks.auditKey(ctx); err != nil {
			fmt.Fprintf(stderr, "eraserctl submit: the audit key: %v\n", err)
			return exitFailed
		}
	}
	chunks := cut(in.accounts, erasure.MaxAccountsPerRequest, tmpl.fixedSize(), maxBody, auditKey)
	fmt.Fprintf(stdout, "read %d lines: %d accounts, %d repeats, %d invalid lines\n", in.lines, len(in.accounts), in.duplicates, len(in.invalid))
	fmt.Fprintf(stdout, "cut into %d messages of at most %d accounts and %d bytes\n", len(chunks), erasure.MaxAccountsPerRequest, maxBody)

	code := exitOK
	if len(in.invalid) > 0 {
		code = exitInvalid
	}
	if f.dryRun {
		fmt.Fprintln(stdout, "dry run: nothing sent")
		return code
	}
	if len(chunks) == 0 {
		fmt.Fprintln(stdout, "nothing to send")
		return code
	}
	var cp *checkpoint
	if f.checkpoint != "" {
		if cp, err = openCheckpoint(f.checkpoint, tgt.String()); err != nil {
			fmt.Fprintf(stderr, "eraserctl submit: %v\n", err)
			return exitFailed
		}
		defer cp.Close()
	}
	res, err := send(ctx, tgt, tmpl, chunks, cp, f.concurrency, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl submit: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "sent %d messages (%d accounts) to %s in %v; %d were already in the checkpoint\n",
		res.sent, res.accounts, tgt, res.elapsed.Round(time.Millisecond), res.skipped)
	if res.failed > 0 {
		fmt.Fprintf(stderr, "eraserctl submit: %d messages were not sent; run again (with -checkpoint, only those are sent)\n", res.failed)
		return exitFailed
	}
	return code
}

// template checks the flags that shape every message; msg says what is
// wrong with them.
func (f *submitFlags) template(now time.Time) (t template, msg string) {
	t.Type = erasure.Type(f.typ)
	if !t.Type.Valid() {
		return t, fmt.Sprintf("-type %q: want %s or %s", f.typ, erasure.UserDeleted, erasure.GDPRErasure)
	}
	if f.attrs != "" {
		t.Attrs = strings.Split(f.attrs, ",")
		if len(t.Attrs) > erasure.MaxAttrs {
			return t, fmt.Sprintf("-attrs: %d names, at most %d", len(t.Attrs), erasure.MaxAttrs)
		}
		for _, a := range t.Attrs {
			if err := erasure.ValidAttr(a); err != nil {
				return t, fmt.Sprintf("-attrs %q: %s", a, erasure.Reason(err))
			}
		}
	}
	if f.occurredAt != "" {
		if _, err := time.Parse(time.RFC3339, f.occurredAt); err != nil {
			return t, fmt.Sprintf("-occurred-at %q is not an RFC 3339 time", f.occurredAt)
		}
		t.OccurredAt = f.occurredAt
	}
	t.BackfilledAt = now.UTC().Format(time.RFC3339)
	return t, ""
}

// sent is what a send did.
type sent struct {
	sent, accounts, skipped, failed int
	elapsed                         time.Duration
}

// send sends the chunks not in cp to tgt, a few batch calls at a time,
// with progress in accounts on w. A message is recorded in cp once the
// service took it; one it refused is tried again, up to sendAttempts times.
func send(ctx context.Context, tgt target, tmpl template, chunks []chunk, cp *checkpoint, concurrency int, w io.Writer) (sent, error) {
	start := time.Now()
	var res sent
	var msgs []message
	accounts := map[string]int{}
	for _, c := range chunks {
		if cp.has(c.eventID) {
			res.skipped++
			continue
		}
		body, err := tmpl.body(c)
		if err != nil {
			return res, err
		}
		if len(body) > tgt.maxBody() {
			// cut keeps bodies within the limit; this is its check.
			return res, fmt.Errorf("message %s is %d bytes, more than %s takes (%d)", c.eventID, len(body), tgt, tgt.maxBody())
		}
		msgs = append(msgs, message{eventID: c.eventID, body: string(body)})
		accounts[c.eventID] = len(c.accounts)
	}
	total := 0
	for _, n := range accounts {
		total += n
	}
	bar := newProgress(w, "submit", "accounts", total)
	var mu sync.Mutex
	var cpErr error
	batches := awsbatch.Split(msgs, tgt.limits(), tgt.size)
	errs := awsbatch.Run(batches, concurrency, func(batch []message) error {
		pending := batch
		pause := sendBackoff
		var last []error
		for attempt := 1; len(pending) > 0 && attempt <= sendAttempts; attempt++ {
			if attempt > 1 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(pause):
				}
				pause *= 2
			}
			errs := tgt.send(ctx, pending)
			var taken []string
			var again []message
			last = last[:0]
			for i, err := range errs {
				if err == nil {
					taken = append(taken, pending[i].eventID)
				} else {
					again = append(again, pending[i])
					last = append(last, err)
				}
			}
			err := cp.add(taken)
			mu.Lock()
			for _, id := range taken {
				res.sent++
				res.accounts += accounts[id]
				bar.add(accounts[id])
			}
			if err != nil && cpErr == nil {
				cpErr = fmt.Errorf("checkpoint: %w", err)
			}
			mu.Unlock()
			pending = again
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d messages not sent after %d tries: %v", len(pending), sendAttempts, last[0])
		}
		return nil
	})
	bar.finish()
	// Whatever was not taken failed, a run cut short (Ctrl-C) included.
	res.failed = len(msgs) - res.sent
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(w, "eraserctl submit: %v\n", err)
		}
	}
	res.elapsed = time.Since(start)
	return res, cpErr
}
