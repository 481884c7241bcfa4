// Command tencent serves the Tencent Chat stand-in on its own, for
// `sam local invoke` (see the README): the function in the SAM container
// reads its real signing secret and calls this stand-in through
// TIM_BASE_URL. It prints the URL, serves until interrupted, then prints
// what it recorded.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (127.0.0.1:0 picks a free port)")
	keyFile := flag.String("key-file", "", "file holding the signing key the function's secret holds (required)")
	appID := flag.Uint64("sdkappid", timtest.DefaultSDKAppID, "the SDKAppID the function signs with")
	admin := flag.String("identifier", timtest.DefaultIdentifier, "the app admin the function signs as")
	attrs := flag.String("attrs", strings.Join(timtest.DefaultAttrNames, ","), "the app's attribute names")
	flag.Parse()
	if err := run(*addr, *keyFile, *appID, *admin, *attrs); err != nil {
		fmt.Fprintln(os.Stderr, "tencent:", err)
		os.Exit(1)
	}
}

func run(addr, keyFile string, appID uint64, admin, attrs string) error {
	if keyFile == "" {
		return fmt.Errorf("-key-file is required: the stand-in must verify UserSigs made with your secret's key")
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	srv, err := timtest.Listen(timtest.Config{
		SDKAppID:   appID,
		Identifier: admin,
		Key:        []byte(strings.TrimSpace(string(key))),
		AttrNames:  strings.Split(attrs, ","),
	}, addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("Tencent Chat stand-in at %s (TIM_BASE_URL); Ctrl-C to stop\n", srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()

	removed := srv.RemovedAccounts()
	fmt.Printf("\nrecorded %d im_remove_attr calls, %d accounts\n", srv.Stats().RemoveCalls, len(removed))
	for _, account := range slices.Sorted(maps.Keys(removed)) {
		fmt.Printf("  %-12s %s\n", account, strings.Join(removed[account], ", "))
	}
	return nil
}
