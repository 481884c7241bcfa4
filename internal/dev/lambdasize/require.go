package lambdasize

import (
	"fmt"
	"os"
	"testing"
)

// Require returns a group of memoryMB for a test, closed when the test
// ends. Where groups cannot be made the test is skipped, loudly (see
// RequireAvailable).
func Require(tb testing.TB, memoryMB int) *Group {
	tb.Helper()
	RequireAvailable(tb)
	g, err := New(memoryMB)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := g.Close(); err != nil {
			tb.Error(err)
		}
	})
	return g
}

// RequireAvailable skips the test when groups cannot be made here, with a
// message starting "SKIPPED: Lambda-sized runner unavailable:", and prints
// that line to stderr as well, so that a run without -v shows it too. Under
// CI=true as root, where groups can always be made, it fails instead: a
// skipped measurement must not pass for a green one there. CI=true without
// root (a CI step without sudo) still skips.
func RequireAvailable(tb testing.TB) {
	tb.Helper()
	err := Available()
	if err == nil {
		return
	}
	msg := "Lambda-sized runner unavailable: " + err.Error()
	if mustRun(os.Getenv("CI"), os.Geteuid()) {
		tb.Fatal(msg + " (CI=true as root requires it)")
	}
	fmt.Fprintf(os.Stderr, "=== SKIPPED: %s (%s)\n", msg, tb.Name())
	tb.Skip("SKIPPED: " + msg)
}

// mustRun says whether an unavailable runner fails the test.
func mustRun(ci string, euid int) bool { return ci == "true" && euid == 0 }
