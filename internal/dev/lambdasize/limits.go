package lambdasize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// setLimits writes the group's memory and CPU limits, and records in
// caveats any the kernel does not offer.
func (g *Group) setLimits() error {
	limit := strconv.FormatInt(limitBytes(g.memoryMB), 10)
	if g.v2 {
		dir := g.dirs[""]
		if err := writeFile(dir, "memory.max", limit); err != nil {
			return err
		}
		if err := writeFile(dir, "memory.swap.max", "0"); errors.Is(err, fs.ErrNotExist) {
			g.caveats = append(g.caveats, "swap not limited: memory.swap.max absent (no swap accounting)")
		} else if err != nil {
			return err
		}
		if err := writeFile(dir, "cpu.max", cpuMax(g.memoryMB)); err != nil {
			return err
		}
		fd, err := os.Open(dir)
		if err != nil {
			return err
		}
		g.cgroupFD = fd
		return nil
	}
	memory, cpu := g.dirs["memory"], g.dirs["cpu"]
	// The memory limit first: memsw may not be set below it.
	if err := writeFile(memory, "memory.limit_in_bytes", limit); err != nil {
		return err
	}
	if err := writeFile(memory, "memory.memsw.limit_in_bytes", limit); errors.Is(err, fs.ErrNotExist) {
		// Without swap accounting, swappiness 0 is the nearest to no swap.
		note := "swap not limited: memory.memsw.limit_in_bytes absent (swap accounting off)"
		if err := writeFile(memory, "memory.swappiness", "0"); err == nil {
			note += "; memory.swappiness set to 0"
		}
		g.caveats = append(g.caveats, note)
	} else if err != nil {
		return err
	}
	if err := writeFile(cpu, "cpu.cfs_period_us", strconv.Itoa(cfsPeriodUS)); err != nil {
		return err
	}
	return writeFile(cpu, "cpu.cfs_quota_us", strconv.Itoa(quotaUS(g.memoryMB)))
}

// cpuMax is v2's cpu.max for memoryMB: "quota period".
func cpuMax(memoryMB int) string {
	return strconv.Itoa(quotaUS(memoryMB)) + " " + strconv.Itoa(cfsPeriodUS)
}

// enableControllers hands memory and cpu down from the v2 root to its
// children, when they are not already (systemd usually has).
func enableControllers(root string) error {
	enabled, err := os.ReadFile(filepath.Join(root, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	for _, c := range v2Controllers {
		if slices.Contains(strings.Fields(string(enabled)), c) {
			continue
		}
		if err := writeFile(root, "cgroup.subtree_control", "+"+c); err != nil {
			return fmt.Errorf("enable the %s controller for %s's children (a v2 group holding processes cannot): %w", c, root, err)
		}
	}
	return nil
}

// writeFile writes one control file, which must exist: the kernel makes
// them, and a missing one means the feature is absent.
func writeFile(dir, name, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return fmt.Errorf("write %q to %s: %w", value, f.Name(), err)
	}
	return f.Close()
}
