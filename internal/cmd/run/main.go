// Command run is `make run`: it starts the Tencent Chat and Secrets Manager
// stand-ins, runs the built function under the Lambda Runtime Interface
// Emulator, invokes it with one sample event, and prints the batch response
// and what the Tencent stand-in recorded.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

func main() {
	bootstrap := flag.String("bootstrap", "bin/local/bootstrap", "the function binary, built for this machine")
	rie := flag.String("rie", "bin/aws-lambda-rie", "the Lambda Runtime Interface Emulator binary")
	event := flag.String("event", "events/sqs-gdpr-erasure.json", "the SQS event to invoke the function with")
	flag.Parse()
	if err := run(*bootstrap, *rie, *event, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(bootstrap, rie, eventFile string, env []string) error {
	event, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	fmt.Printf("== function output (emulator, %s) ==\n", eventFile)
	stack, err := localrun.Start(ctx, localrun.Options{Bootstrap: bootstrap, RIE: rie, Env: env, Output: os.Stdout})
	if err != nil {
		return err
	}
	resp, invokeErr := stack.Invoke(ctx, event)
	removed := stack.Tencent.RemovedAccounts()
	stats := stack.Tencent.Stats()
	stack.Close() // the emulator's shutdown lines belong with the function's output

	fmt.Println("\n== batch response ==")
	var pretty bytes.Buffer
	if json.Indent(&pretty, resp, "", "  ") == nil {
		fmt.Println(pretty.String())
	} else {
		fmt.Println(string(resp))
	}

	fmt.Printf("\n== Tencent Chat stand-in (not the function) recorded: %d im_remove_attr calls, %d accounts ==\n", stats.RemoveCalls, len(removed))
	accounts := make([]string, 0, len(removed))
	for a := range removed {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	for _, a := range accounts {
		fmt.Printf("  %-12s attributes removed: %s\n", a, strings.Join(removed[a], ", "))
	}
	return invokeErr
}
