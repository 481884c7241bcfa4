package lambdasize

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// waitForProcs waits until the group holds a process of each command, and
// returns the group's processes.
func waitForProcs(t *testing.T, g *Group, commands ...string) []Proc {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs, err := g.Pids()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(commands, func(c string) bool {
			return !slices.ContainsFunc(procs, func(p Proc) bool { return p.Command == c })
		}) {
			return procs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group holds %v, want %v", procs, commands)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPids finds the started process and its child in the group, by name,
// and reads their peak resident sets.
func TestPids(t *testing.T) {
	g := Require(t, 256)
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & wait")
	if err := g.Wrap(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Close kills both; Wait reaps the shell.
	t.Cleanup(func() { g.Close(); cmd.Wait() })
	procs := waitForProcs(t, g, "sh", "sleep")
	if len(procs) != 2 || !slices.Contains(procs, Proc{PID: cmd.Process.Pid, Command: "sh"}) {
		t.Fatalf("the group holds %v, want the shell (pid %d) and its sleep", procs, cmd.Process.Pid)
	}
	for _, p := range procs {
		if hwm, err := VmHWM(p.PID); err != nil || hwm <= 0 {
			t.Errorf("VmHWM of %v = %d, %v", p, hwm, err)
		}
	}
}

func TestVmHWM(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pid     int
		wantErr bool
	}{
		{"this process", os.Getpid(), false},
		{"no such process", -1, true},
	} {
		hwm, err := VmHWM(tc.pid)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: VmHWM = %d, want an error", tc.name, hwm)
			}
			continue
		}
		if err != nil || hwm < 1<<20 {
			t.Errorf("%s: VmHWM = %d, %v; want at least 1 MiB", tc.name, hwm, err)
		}
	}
}
