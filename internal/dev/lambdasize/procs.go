package lambdasize

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Proc is one process in a group.
type Proc struct {
	PID int
	// Command is the kernel's name of it (/proc/<pid>/comm): the
	// executable's file name, cut to 15 bytes.
	Command string
}

// Pids lists the processes in the group now, by pid; one that exits while
// being listed is left out.
func (g *Group) Pids() ([]Proc, error) {
	if g.isClosed() {
		return nil, errClosed
	}
	pids, err := readPids(g.memoryDir())
	if err != nil {
		return nil, err
	}
	var procs []Proc
	for _, pid := range pids {
		comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
		if err != nil {
			continue
		}
		procs = append(procs, Proc{PID: pid, Command: strings.TrimSuffix(string(comm), "\n")})
	}
	return procs, nil
}

// readPids reads a group's cgroup.procs.
func readPids(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s/cgroup.procs: %w", dir, err)
		}
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	return pids, nil
}

// VmHWM is a live process's peak resident set size, in bytes, from
// /proc/<pid>/status: one process's peak, where Stats has the group's
// (which also counts the page cache and every other process).
func VmHWM(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		value, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, ok := strings.CutSuffix(strings.TrimSpace(value), " kB")
		n, err := strconv.ParseInt(kb, 10, 64)
		if !ok || err != nil {
			return 0, fmt.Errorf("%s: unexpected VmHWM %q", f.Name(), value)
		}
		return n << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	// A zombie or a kernel thread has no memory lines.
	return 0, fmt.Errorf("%s has no VmHWM: the process has exited or has no memory of its own", f.Name())
}
