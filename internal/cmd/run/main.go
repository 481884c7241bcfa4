// Command run is `make run`: it starts the Tencent Chat and Secrets Manager
// stand-ins, runs the built function under the Lambda Runtime Interface
// Emulator, invokes it once with an SQS event, and prints what the function
// printed (its JSON lines, laid out to be read; -raw: everything the
// emulator and the function printed, as printed), its batch response, what
// the Tencent stand-in saw, and how to recompute an account hash of the
// audit lines with eraserctl hash.
//
// Usage:
//
//	run [-bootstrap bin/local/bootstrap] [-rie bin/aws-lambda-rie] [-event file]
//	    [-fault rate-limit|flaky|signature|content|outage|unverified] [-raw] [NAME=value...]
//
// The function's variables (internal/config: DRY_RUN, LOG_LEVEL, ERASE_TAGS,
// TIM_API, ...) are taken from run's environment and from NAME=value
// arguments, which win; make passes its command-line variables in the
// environment, so `make run DRY_RUN=true` and `DRY_RUN=true make run` both
// work. The variables that connect the function to the stand-ins (SECRET_ID,
// TIM_BASE_URL, TIM_REGION, TIM_SDKAPPID) are taken from arguments only.
//
// The secret stand-in holds localrun.DevSecret, fixed development keys (not
// for production), so the account hashes are the same on every run.
//
// Exit status: 0 when the function was invoked and answered, whatever it
// answered; 1 when run could not do that (a bad event or fault, the
// emulator not starting, no answer).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// noDLQ says why an invalid or content message shows as a failure here:
// deployed, the function dead-letters it and acknowledges it.
const noDLQ = "queue: none, so no dead-letter queue (DEAD_LETTER_QUEUE_URL is unset): an invalid or content message is reported in batchItemFailures, where the deployed function would dead-letter it; make stack runs it with its queues"

// options are run's flags and arguments.
type options struct {
	bootstrap, rie, event, fault string
	raw                          bool
	args                         []string
}

func main() {
	var o options
	flag.StringVar(&o.bootstrap, "bootstrap", "bin/local/bootstrap", "the function binary, built for this machine")
	flag.StringVar(&o.rie, "rie", "bin/aws-lambda-rie", "the Lambda Runtime Interface Emulator binary")
	flag.StringVar(&o.event, "event", "events/sqs-gdpr-erasure.json", "the SQS event to invoke the function with")
	flag.StringVar(&o.fault, "fault", "", "make the Tencent stand-in fail: "+strings.Join(faultNames(), ", "))
	flag.BoolVar(&o.raw, "raw", false, "print everything the emulator and the function print, as printed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: run [flags] [NAME=value...]   (NAME: a variable of the function's environment)")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.args = flag.Args()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, o, os.Stdout, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		os.Exit(1)
	}
}

// run is the command without its process, for tests.
func run(ctx context.Context, o options, out io.Writer, lookup func(string) (string, bool)) error {
	ev, err := readEvent(o.event)
	if err != nil {
		return err
	}
	var p plan
	if o.fault != "" {
		if p, err = planFault(o.fault, ev); err != nil {
			return err
		}
	}
	set, ignored, err := settings(lookup, o.args)
	if err != nil {
		return err
	}
	dev := localrun.DevKey()
	auditKey := signingkey.AuditKey(dev)

	ids := make([]string, len(ev.Messages))
	for i, m := range ev.Messages {
		ids[i] = m.ID
	}
	fmt.Fprintf(out, "== make run: %s, %d messages (%s) ==\n", o.event, len(ev.Messages), abbreviate(ids, 6))
	if len(set) == 0 {
		fmt.Fprintln(out, "settings: make run's defaults; change the function's variables with make run NAME=value (DRY_RUN=true, LOG_LEVEL=debug, ERASE_TAGS=true, TIM_API=timpush, ...)")
	} else {
		parts := make([]string, len(set))
		for i, s := range set {
			parts[i] = s.name + "=" + s.value
		}
		fmt.Fprintf(out, "settings: %s (and make run's defaults)\n", strings.Join(parts, " "))
	}
	if len(ignored) > 0 {
		fmt.Fprintf(out, "ignored from your environment: %s (make run connects the function to the local stand-ins; give NAME=value as an argument to override)\n",
			strings.Join(ignored, ", "))
	}
	fmt.Fprintf(out, "keys: development keys, NOT FOR PRODUCTION, in the secret stand-in (%s):\n", localrun.DevSecretFile)
	fmt.Fprintf(out, "  signing key %q\n  audit key   %q (auditKeyId %s)\n", dev.Secret, auditKey, telemetry.KeyID(auditKey))
	fmt.Fprintln(out, noDLQ)
	if o.fault == "" {
		fmt.Fprintf(out, "fault: none (FAULT=%s makes the Tencent stand-in fail)\n", strings.Join(faultNames(), "|"))
	} else {
		fmt.Fprintf(out, "FAULT=%s: %s. Look for: %s.\n", o.fault, p.Does, p.LookFor)
	}

	opts := localrun.Options{
		Bootstrap: o.bootstrap, RIE: o.rie,
		Secret:  localrun.DevSecret,
		Tencent: timtest.Config{Key: p.Key, Faults: p.Faults},
		Env:     env(set),
	}
	var fr *front
	if p.Reject != "" {
		if fr, err = startFront(p.Reject); err != nil {
			return err
		}
		defer fr.Close()
		opts.Env = append([]string{config.EnvBaseURL + "=" + fr.url}, opts.Env...)
	}
	var clean *cleanWriter
	if o.raw {
		fmt.Fprintln(out, "\n== everything the emulator and the function printed (RAW=1) ==")
		opts.Output = out
	} else {
		fmt.Fprintf(out, "\n== function output: its JSON lines, wrapped at %d columns (whitespace only) ==\n", width)
		clean = newCleanWriter(out)
		opts.Output = clean
	}

	stack, err := localrun.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer stack.Close()
	if fr != nil {
		fr.target.Store(stack.Tencent)
	}
	if p.Unapplied != "" {
		stack.Tencent.SetAttrs(p.Unapplied, UnappliedAttrs())
		stack.Tencent.IgnoreRemovals(-1, p.Unapplied)
	}
	res, invokeErr := stack.InvokeRaw(ctx, ev.Raw)
	if clean != nil {
		// The emulator's REPORT line follows the answer; what the
		// function prints after it is its shutdown.
		select {
		case <-clean.Done():
		case <-time.After(2 * time.Second):
		}
		clean.Stop()
		emu, emf := clean.Hidden()
		fmt.Fprintf(out, "(not shown: %d emulator lines, %d EMF metric lines; make run RAW=1 shows everything)\n", emu, emf)
	} else {
		stack.Close() // the emulator's shutdown lines belong with the rest
	}
	if invokeErr != nil {
		if clean != nil {
			return fmt.Errorf("%w (make run RAW=1 shows the emulator's own lines)", invokeErr)
		}
		return invokeErr
	}
	printResponse(out, res)
	printStandIn(out, stack, fr)
	printHashHint(out, ev, stack)
	if res.Status != 200 {
		return fmt.Errorf("the emulator answered HTTP %d", res.Status)
	}
	return nil
}

// printResponse prints the function's answer, indented.
func printResponse(out io.Writer, res localrun.Response) {
	var lambdaErr struct {
		ErrorMessage *string `json:"errorMessage"`
	}
	title := "batch response (the function's answer: SQS deletes every message not in batchItemFailures)"
	if json.Unmarshal(res.Payload, &lambdaErr) == nil && lambdaErr.ErrorMessage != nil {
		title = "the function returned an error (Lambda keeps the whole batch; SQS delivers every message again)"
	}
	fmt.Fprintf(out, "\n== %s ==\n", title)
	var pretty bytes.Buffer
	if json.Indent(&pretty, res.Payload, "", "  ") == nil {
		fmt.Fprintln(out, pretty.String())
	} else {
		fmt.Fprintln(out, string(res.Payload))
	}
}

// maxCallLines bounds the call list; a 10,000-account event makes 100
// calls or more.
const maxCallLines = 30

// printStandIn prints what the stand-ins saw: the Tencent calls, the
// accounts whose attributes were removed, the secret reads.
func printStandIn(out io.Writer, stack *localrun.Stack, fr *front) {
	type line struct {
		call timtest.Call
		note string
	}
	var calls []line
	for _, c := range stack.Tencent.AllCalls() {
		calls = append(calls, line{c, ""})
	}
	if fr != nil {
		for _, c := range fr.Rejected() {
			calls = append(calls, line{c, " (FAULT=content, before the stand-in)"})
		}
		slices.SortStableFunc(calls, func(a, b line) int { return a.call.Time.Compare(b.call.Time) })
	}
	reads := 0
	if stack.Secrets != nil {
		reads = stack.Secrets.Calls()
	}
	fmt.Fprintf(out, "\n== the stand-ins (not the function) saw: %d Tencent Chat API requests; secret reads: %d ==\n", len(calls), reads)
	for i, l := range calls {
		if i == maxCallLines {
			fmt.Fprintf(out, "  ... %d more\n", len(calls)-i)
			break
		}
		accounts := ""
		if l.call.Accounts > 0 {
			accounts = fmt.Sprintf("%d account%s", l.call.Accounts, plural(l.call.Accounts))
		}
		fmt.Fprintf(out, "  %3d  %-34s %-13s %s%s\n", i+1, strings.TrimPrefix(l.call.Path, "/v4/"), accounts, answer(l.call), l.note)
	}
	removed := stack.Tencent.RemovedAccounts()
	fmt.Fprintf(out, "attributes removed, %d accounts:\n", len(removed))
	accounts := make([]string, 0, len(removed))
	for a := range removed {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	for i, a := range accounts {
		if i == maxCallLines {
			fmt.Fprintf(out, "  ... %d more\n", len(accounts)-i)
			break
		}
		fmt.Fprintf(out, "  %-12s %s\n", a, strings.Join(removed[a], ", "))
	}
	if cleared := stack.Tencent.TagsClearedAccounts(); len(cleared) > 0 {
		fmt.Fprintf(out, "tags cleared: %d accounts\n", len(cleared))
	}
	if st := stack.Tencent.Stats(); st.GetAttrCalls+st.GetTagCalls > 0 {
		// VERIFY_ERASURE: the accounts of every removal answered OK, read
		// back through a second path (get_attr, get_tag in the list above).
		fmt.Fprintf(out, "read back (verification): %d attribute and %d tag read-back calls answered OK\n", st.GetAttrCalls, st.GetTagCalls)
	}
}

// answer describes the stand-in's answer to one call.
func answer(c timtest.Call) string {
	switch {
	case c.Fault == timtest.FaultConnReset:
		return "connection reset (injected)"
	case c.Fault != timtest.FaultNone && c.HTTPStatus != 200:
		return fmt.Sprintf("HTTP %d (injected)", c.HTTPStatus)
	case c.Fault != timtest.FaultNone:
		return fmt.Sprintf("FAIL %d (injected)", c.ErrorCode)
	case c.HTTPStatus != 200:
		return fmt.Sprintf("HTTP %d", c.HTTPStatus)
	case c.ErrorCode != 0:
		return fmt.Sprintf("FAIL %d", c.ErrorCode)
	case c.Failed > 0:
		return fmt.Sprintf("OK, %d accounts in ErrorList", c.Failed)
	}
	return "OK"
}

// printHashHint prints the eraserctl hash command that recomputes the hash of
// one of the event's accounts, choosing one the audit lines above name.
func printHashHint(out io.Writer, ev *event, stack *localrun.Stack) {
	accounts := ev.accounts()
	if len(accounts) == 0 || stack.AuditKey == nil {
		return
	}
	output := stack.Output()
	account, found := accounts[0], false
	for _, a := range accounts {
		if strings.Contains(output, `"`+telemetry.Hash(stack.AuditKey, a)+`"`) {
			account, found = a, true
			break
		}
	}
	hash, id := telemetry.Hash(stack.AuditKey, account), telemetry.KeyID(stack.AuditKey)
	fmt.Fprintln(out, "\n== an account's hash, recomputed from the development secret ==")
	if found {
		fmt.Fprintf(out, "The audit lines above name %s by %s (auditKeyId %s); eraserctl hash recomputes it:\n", account, hash, id)
	} else {
		fmt.Fprintf(out, "No audit line above names an account's hash; %s would be %s (auditKeyId %s):\n", account, hash, id)
	}
	fmt.Fprintf(out, "  go run ./internal/cmd/eraserctl hash -key-file %s -derive %s\n", localrun.DevSecretFile, account)
	fmt.Fprintf(out, "  # %s  %s\n", hash, id)
}

// abbreviate joins the first n of s, and says how many more there are.
func abbreviate(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(", ... %d more", len(s)-n)
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
