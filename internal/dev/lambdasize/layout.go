package lambdasize

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// v1Controllers are the hierarchies a v1 group is made in: limits in memory
// and cpu, CPU time in cpuacct. Two of them may share one mount.
var v1Controllers = []string{"memory", "cpu", "cpuacct"}

// v2Controllers must be offered by the v2 hierarchy (cpu.stat and the
// memory counters come with them).
var v2Controllers = []string{"memory", "cpu"}

// layout says where a group's directories are made.
type layout struct {
	v2 bool
	// parents holds, for v1, the directory each of v1Controllers' groups is
	// made in; for v2 the one directory, under "".
	parents map[string]string
}

// dirs are the distinct parent directories.
func (l layout) dirs() []string { return distinct(l.parents) }

// distinct are the values of a controller-to-directory map, sorted, each
// once: two v1 controllers may share a hierarchy.
func distinct(dirs map[string]string) []string {
	list := slices.Collect(maps.Values(dirs))
	slices.Sort(list)
	return slices.Compact(list)
}

// Available says why Lambda-sized groups cannot be made here, or nil.
func Available() error {
	_, err := detect()
	return err
}

// detect finds the hierarchy to use and checks that groups can be made in it.
func detect() (layout, error) {
	mountinfo, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return layout{}, err
	}
	defer mountinfo.Close()
	mounts, err := parseMounts(mountinfo)
	if err != nil {
		return layout{}, err
	}
	membership, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return layout{}, err
	}
	defer membership.Close()
	own, err := parseOwnCgroups(membership)
	if err != nil {
		return layout{}, err
	}
	l, err := findLayout(mounts, own, isDir)
	if err != nil {
		return layout{}, err
	}
	if err := l.check(); err != nil {
		return layout{}, err
	}
	return l, nil
}

// findLayout picks v1 when its memory hierarchy is mounted (a controller
// is in one version only; this is also how hybrid hosts are set up), else
// v2. A v1 group is made inside the caller's own group of each hierarchy,
// so that whatever limits and tracks the caller (a container, a CI job)
// keeps doing so; where that group is not visible (another namespace's
// path) it is made at the mount's top. A v2 group is made at the top of the
// hierarchy: a v2 group holding processes, as the caller's does, cannot
// hand controllers down to a child.
func findLayout(mounts []mount, own map[string]string, isDir func(string) bool) (layout, error) {
	find := func(match func(mount) bool) (mount, bool) {
		i := slices.IndexFunc(mounts, match)
		if i < 0 {
			return mount{}, false
		}
		return mounts[i], true
	}
	if _, ok := find(func(m mount) bool { return !m.v2 && m.has("memory") }); ok {
		l := layout{parents: map[string]string{}}
		var missing []string
		for _, c := range v1Controllers {
			m, ok := find(func(m mount) bool { return !m.v2 && m.has(c) })
			if !ok {
				missing = append(missing, c)
				continue
			}
			l.parents[c] = m.point
			if dir, ok := m.visible(own[c]); ok && isDir(dir) {
				l.parents[c] = dir
			}
		}
		if len(missing) > 0 {
			return layout{}, fmt.Errorf("cgroup v1: no hierarchy mounted for %s", strings.Join(missing, ", "))
		}
		return l, nil
	}
	if m, ok := find(func(m mount) bool { return m.v2 }); ok {
		return layout{v2: true, parents: map[string]string{"": m.point}}, nil
	}
	return layout{}, errors.New("no cgroup filesystem: neither a v1 memory hierarchy nor cgroup2 is mounted")
}

// visible is where the group at path appears under the mount, if it does.
func (m mount) visible(path string) (string, bool) {
	switch {
	case path == "":
		return "", false
	case m.root == "/":
		return filepath.Join(m.point, path), true
	case path == m.root || strings.HasPrefix(path, m.root+"/"):
		return filepath.Join(m.point, strings.TrimPrefix(path, m.root)), true
	}
	return "", false
}

// check says what stops a group being made at l: a controller the
// hierarchy does not offer, or a directory this process cannot write.
func (l layout) check() error {
	if l.v2 {
		root := l.parents[""]
		offered, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		if err != nil {
			return fmt.Errorf("cgroup v2: %w", err)
		}
		var missing []string
		for _, c := range v2Controllers {
			if !slices.Contains(strings.Fields(string(offered)), c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("cgroup v2 at %s lacks the %s controller (offered: %q; in use by v1, or not delegated)",
				root, strings.Join(missing, " and "), strings.TrimSpace(string(offered)))
		}
	} else {
		needs := map[string]string{
			"memory":  "memory.limit_in_bytes",
			"cpu":     "cpu.cfs_quota_us", // CPU bandwidth control: CONFIG_CFS_BANDWIDTH
			"cpuacct": "cpuacct.usage",
		}
		for _, c := range v1Controllers {
			if _, err := os.Stat(filepath.Join(l.parents[c], needs[c])); err != nil {
				return fmt.Errorf("cgroup v1 %s hierarchy: %w", c, err)
			}
		}
	}
	for _, dir := range l.dirs() {
		const writable = 2 // W_OK
		if err := syscall.Access(dir, writable); err != nil {
			if euid := os.Geteuid(); euid != 0 {
				return fmt.Errorf("not root (euid %d): cannot make groups in %s: %w", euid, dir, err)
			}
			return fmt.Errorf("cannot make groups in %s: %w", dir, err)
		}
	}
	return nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
