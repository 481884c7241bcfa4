package lambdasize

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// helper is this test binary as one of TestMain's helper children.
func helper(t *testing.T, g *Group, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	// GORACE: a race-enabled binary otherwise sleeps 1 s before exiting.
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	if err := g.Wrap(cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestOOMKill: a child touching 200 MiB in a 64 MB group is killed by the
// kernel, and Stats says so.
func TestOOMKill(t *testing.T) {
	g := Require(t, 64)
	out, err := helper(t, g, "alloc").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, want killed; output: %s", err, out)
	}
	if strings.Contains(string(out), "survived") {
		t.Fatal("the child touched 200 MiB in 64 MB")
	}
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	limit := limitBytes(64)
	if s.OOMKills < 1 {
		t.Errorf("OOMKills = %d, want at least 1 (%v)", s.OOMKills, s)
	}
	if s.PeakBytes < limit*9/10 || s.PeakBytes > limit {
		t.Errorf("peak %d bytes, want close to the %d limit (%v)", s.PeakBytes, limit, s)
	}
}

// TestCPU: a child that spins for 20 ms of CPU time shows up in the
// group's CPU time (in the right unit: at least half of it; the shell that
// joins the group spends a little before it is counted).
func TestCPU(t *testing.T) {
	g := Require(t, 1769)
	if out, err := helper(t, g, "spin").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU <= 0 || s.CPU < spinCPU/2 {
		t.Errorf("CPU %v, want at least %v (%v)", s.CPU, spinCPU/2, s)
	}
	if s.OOMKills != 0 || s.PeakBytes <= 0 {
		t.Errorf("%v: want a peak and no OOM kill", s)
	}
}
