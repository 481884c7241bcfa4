// Command stack is `make stack`: the deployed system on this machine, for a
// person to try. It starts what the real-AWS-semantics tier
// (internal/dev/awstier) starts, at the settings of template.yaml (unscaled
// unless -scale says otherwise): moto_server with the queue and its DLQ
// (the template's redrive policy), the signing-key secret, an SNS topic
// and an EventBridge bus routed to the queue, a receipts bus routed to a
// receipts queue (RECEIPT_EVENT_BUS), the Tencent Chat stand-in at
// Tencent's 100 calls/s per API, and the event-source-mapping poller
// driving MaximumConcurrency emulators that run the real function.
//
// It prints the endpoints and AWS CLI commands to paste, one line per
// invocation while it runs, and on Ctrl-C (SIGINT or SIGTERM) what was
// erased, what sits in the DLQ and the receipts received; then it stops
// everything and exits 0. A second Ctrl-C cuts invocations in flight short.
//
//	bin/stack [-template template.yaml] [-bootstrap bin/local/bootstrap] [-rie bin/aws-lambda-rie] [-scale 1] [-v] [-fault NAME]
//
// -fault (make stack FAULT=NAME) injects one of make run's faults into the
// Tencent stand-in, to watch it through the queue: the retry schedule, the
// DLQ, the receipts.
//
// Exit status: 0 after a clean stop, 1 on a failure, 2 without moto_server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
)

// workerEnv marks the process that runs the stack (see supervise).
const workerEnv = "ATTR_ERASER_STACK_WORKER"

// motoInstall is the line that installs the moto_server the tier pins.
const motoInstall = "pip install 'moto[server]==5.2.1'"

func main() {
	var o options
	flag.StringVar(&o.template, "template", "template.yaml", "the SAM template the settings are read from")
	flag.StringVar(&o.bootstrap, "bootstrap", "bin/local/bootstrap", "the function binary, built for this machine")
	flag.StringVar(&o.rie, "rie", "bin/aws-lambda-rie", "the Lambda Runtime Interface Emulator binary")
	flag.Float64Var(&o.scale, "scale", 1, "time scale of the template's settings (1: as deployed; 0.1: timeouts, window and retry schedule 10x shorter)")
	flag.BoolVar(&o.verbose, "v", false, "also show everything the emulators and the function print")
	flag.StringVar(&o.fault, "fault", "", "make the Tencent stand-in fail, as make run's FAULT does: rate-limit, flaky, signature, content or outage")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "stack: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if _, err := exec.LookPath(awstier.MotoCommand); err != nil {
		missingMoto()
		os.Exit(2)
	}
	if os.Getenv(workerEnv) == "" {
		os.Exit(supervise())
	}
	os.Exit(work(o))
}

func missingMoto() {
	fmt.Fprintf(os.Stderr, "stack: %s not found on PATH. Install it with:\n\n    %s\n\n", awstier.MotoCommand, motoInstall)
}

// supervise runs the stack in a child process of its own process group and
// passes it the signals this process gets, then exits with its status.
//
// Ctrl-C signals the terminal's whole foreground process group. The
// emulators the stack starts would get SIGINT along with it and stop at
// once, cutting short the invocations in flight, which Lambda would let
// finish when a mapping is disabled. In a process group of its own the
// stack gets the signal from here only, and stops its parts in order.
func supervise() int {
	// Pdeathsig is tied to the thread that started the child: keep it.
	runtime.LockOSThread()
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	// No stdin: a background process group reading the terminal stops.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 1
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 1
	}
}

// work runs the stack until the first SIGINT or SIGTERM; a second one
// cuts the invocations in flight short.
func work(o options) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	ctx, stop := context.WithCancelCause(context.Background())
	hurry := make(chan struct{})
	go func() {
		s := <-sigs
		stop(fmt.Errorf("%v", s))
		<-sigs
		close(hurry)
	}()
	o.hurry = hurry
	err := run(ctx, o, os.Stdout)
	switch {
	case errors.Is(err, awstier.ErrNoMoto):
		missingMoto()
		return 2
	case err != nil:
		fmt.Fprintln(os.Stderr, "stack:", err)
		return 1
	}
	return 0
}
