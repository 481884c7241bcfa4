package lambdasize

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestClose: Close kills what is left in the group, removes every
// directory, and does nothing the second time; the group is unusable
// after it, and no two groups share a name.
func TestClose(t *testing.T) {
	RequireAvailable(t)
	g, err := New(128)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	other := Require(t, 128)
	if g.Name() == other.Name() {
		t.Fatalf("two groups named %s", g.Name())
	}

	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & wait")
	if err := g.Wrap(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForProcs(t, g, "sh", "sleep")
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("the process left in the group ended with %v, want killed", err)
	}
	for _, dir := range g.distinctDirs() {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Close (%v)", dir, err)
		}
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := g.Stats(); !errors.Is(err, errClosed) {
		t.Errorf("Stats after Close: %v", err)
	}
	if err := g.Wrap(exec.Command("/bin/true")); !errors.Is(err, errClosed) {
		t.Errorf("Wrap after Close: %v", err)
	}
	if _, err := os.Stat(other.memoryDir()); err != nil {
		t.Errorf("closing one group touched another: %v", err)
	}
}
