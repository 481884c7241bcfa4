package lambdasize

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// mount is one cgroup filesystem, from /proc/self/mountinfo.
type mount struct {
	point string
	// root is the cgroup shown at point: "/" on a host, the container's
	// own group inside a container.
	root string
	v2   bool
	// options are a v1 hierarchy's super options, its controllers among them.
	options []string
}

func (m mount) has(controller string) bool { return slices.Contains(m.options, controller) }

// parseMounts reads the cgroup mounts of a mountinfo file.
func parseMounts(r io.Reader) ([]mount, error) {
	var mounts []mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// id parent dev root point options [optional...] - fstype source superoptions
		before, after, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(before), strings.Fields(after)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		switch tail[0] {
		case "cgroup":
			mounts = append(mounts, mount{point: unescape(fields[4]), root: unescape(fields[3]),
				options: strings.Split(tail[2], ",")})
		case "cgroup2":
			mounts = append(mounts, mount{point: unescape(fields[4]), root: unescape(fields[3]), v2: true})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and \.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseOwnCgroups reads /proc/<pid>/cgroup: the process's group in each v1
// controller's hierarchy, and in v2 under the key "".
func parseOwnCgroups(r io.Reader) (map[string]string, error) {
	own := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// hierarchy-id:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cgroup membership: %w", err)
	}
	return own, nil
}
