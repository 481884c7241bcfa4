package lambdasize

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats is what a group used, over its whole life so far.
type Stats struct {
	MemoryMB int
	// PeakBytes is the group's highest memory use, page cache included;
	// 0 when the kernel does not say (see Caveats). A page is charged to
	// the group that first touched it: a binary another group just built
	// or read is not counted here, so one process's VmHWM can exceed it.
	PeakBytes int64
	// CPU is the CPU time of every process that was in the group.
	CPU time.Duration
	// OOMKills counts the processes the kernel killed for the group's
	// memory limit.
	OOMKills int
	// Caveats are the limits not set and the figures not measured, and why.
	Caveats []string
}

// String is a one-line report.
func (s Stats) String() string {
	line := fmt.Sprintf("%d MB group: peak %.1f MiB, CPU %.3f s, %d OOM kills",
		s.MemoryMB, float64(s.PeakBytes)/(1<<20), s.CPU.Seconds(), s.OOMKills)
	if len(s.Caveats) > 0 {
		line += " (" + strings.Join(s.Caveats, "; ") + ")"
	}
	return line
}

// Stats reads the group's counters. They outlive the processes: read them
// after the last one has exited, before Close.
func (g *Group) Stats() (Stats, error) {
	if g.isClosed() {
		return Stats{}, errClosed
	}
	s := Stats{MemoryMB: g.memoryMB, Caveats: append([]string(nil), g.caveats...)}
	var err error
	if g.v2 {
		dir := g.dirs[""]
		if s.PeakBytes, err = readInt(dir, "memory.peak"); errors.Is(err, fs.ErrNotExist) {
			s.Caveats = append(s.Caveats, "no peak: memory.peak absent (kernel before 5.19)")
		} else if err != nil {
			return Stats{}, err
		}
		usec, err := readKey(dir, "cpu.stat", "usage_usec")
		if err != nil {
			return Stats{}, err
		}
		s.CPU = time.Duration(usec) * time.Microsecond
		kills, err := readKey(dir, "memory.events", "oom_kill")
		if err != nil {
			return Stats{}, err
		}
		s.OOMKills = int(kills)
		return s, nil
	}
	if s.PeakBytes, err = readInt(g.dirs["memory"], "memory.max_usage_in_bytes"); err != nil {
		return Stats{}, err
	}
	ns, err := readInt(g.dirs["cpuacct"], "cpuacct.usage")
	if err != nil {
		return Stats{}, err
	}
	s.CPU = time.Duration(ns)
	// oom_kill joined memory.oom_control in Linux 4.13.
	kills, err := readKey(g.dirs["memory"], "memory.oom_control", "oom_kill")
	if err != nil {
		return Stats{}, err
	}
	s.OOMKills = int(kills)
	return s, nil
}

// readInt reads a control file holding one integer.
func readInt(dir, name string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// readKey reads the value of key from a control file of "key value" lines.
func readKey(dir, name, key string) (int64, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		if k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s %s: %w", name, key, err)
			}
			return n, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s has no %s line", f.Name(), key)
}
