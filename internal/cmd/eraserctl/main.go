// Command eraserctl is the operators' and data-protection officers' tool
// beside the function, for the jobs they would otherwise script by hand:
//
//	eraserctl submit   backfill: account ids from a file into erasure messages
//	eraserctl prove    a certificate of an account's erasure, from the audit log
//	eraserctl redrive  list the dead-letter queue by class; move back chosen classes
//	eraserctl hash     the keyed hash by which the audit log names an account
//
// AWS is reached with the operator's own credentials and region (the SDK's
// default chain: AWS_PROFILE, AWS_REGION, ...). Raw account ids are read,
// never printed, except those the operator gave prove to certify.
//
// Exit status: 0 success, 1 a failure (AWS, the key, a message not sent),
// 2 bad usage, 3 done, but some input lines were invalid and not sent
// (submit), 4 some account has no erasure in the logs searched (prove).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitInvalid = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// subcommands, in the order usage lists them.
var subcommands = []struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}{
	{"submit", "send a backfill: account ids (file or stdin) as erasure messages to a queue, topic or bus", runSubmit},
	{"prove", "print a certificate of accounts' erasure from the audit log in CloudWatch Logs", runProve},
	{"redrive", "list the dead-letter queue by class and reason; move chosen classes back", runRedrive},
	{"hash", "print the keyed hash by which the audit log names an account", runHash},
}

// run is the command without its process: arguments, streams and exit
// status, so tests can drive it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: eraserctl <command> [flags]; eraserctl <command> -h for its flags")
		for _, c := range subcommands {
			fmt.Fprintf(stderr, "  %-8s %s\n", c.name, c.summary)
		}
		return exitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	for _, c := range subcommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	if a := args[0]; a != "-h" && a != "-help" && a != "--help" && a != "help" {
		fmt.Fprintf(stderr, "eraserctl: unknown command %q\n", args[0])
	}
	return usage()
}

// newFlags returns a subcommand's flag set, whose usage prints lines
// before the flags.
func newFlags(name string, stderr io.Writer, lines ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("eraserctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+strings.Join(lines, "\n       "))
		fs.PrintDefaults()
	}
	return fs
}
