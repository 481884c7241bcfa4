// Command sized runs a command the size of a Lambda function: in a
// Lambda-sized group (internal/dev/lambdasize) of -memory-size MB, with
// MemorySize/1769 of a CPU, told its size in
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE. It then prints the group's CPU time,
// peak memory and out-of-memory kills to stderr. It needs root (or a
// delegated cgroup hierarchy).
//
// Usage:
//
//	go run ./internal/cmd/sized -memory-size 128 -- COMMAND [ARG...]
//
// For instance the end of an invocation at 128 MB (see
// BenchmarkEndOfInvocation in internal/app):
//
//	go test -c -o /tmp/app.test ./internal/app
//	go run ./internal/cmd/sized -memory-size 128 -- /tmp/app.test -test.run '^$' -test.bench EndOfInvocation -test.benchtime 20x
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/attr-eraser/attr-eraser/internal/dev/lambdasize"
)

func main() {
	memory := flag.Int("memory-size", 128, "the function's MemorySize in MB")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sized [-memory-size MB] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	os.Exit(run(*memory, flag.Args()))
}

func run(memoryMB int, args []string) int {
	g, err := lambdasize.New(memoryMB)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sized:", err)
		return 1
	}
	defer g.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := g.Wrap(cmd); err != nil {
		fmt.Fprintln(os.Stderr, "sized:", err)
		return 1
	}
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "sized:", err)
			return 1
		}
		code = exit.ExitCode()
	}
	if stats, err := g.Stats(); err == nil {
		fmt.Fprintf(os.Stderr, "sized: %d MB, %.1f%% of a CPU: %v\n", memoryMB, 100*g.CPUShare(), stats)
	}
	return code
}
