package lambdasize

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// This machine's mounts: cgroup v1, each controller its own hierarchy,
// and an empty v2 hierarchy beside them.
const hybridMounts = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`

func TestFindLayout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mountinfo  string
		membership string
		dirs       []string // the directories that exist
		want       layout
		wantErr    string
	}{
		{
			name:       "v1 separate hierarchies, inside the caller's memory group",
			mountinfo:  hybridMounts,
			membership: "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/",
			dirs:       []string{"/sys/fs/cgroup/memory/process_api/abc", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct"},
			want: layout{parents: map[string]string{
				"memory": "/sys/fs/cgroup/memory/process_api/abc",
				"cpu":    "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct",
			}},
		},
		{
			name:       "v1 caller's group not visible here: the mount's top",
			mountinfo:  hybridMounts,
			membership: "4:memory:/gone\n2:cpuacct:/\n1:cpu:/",
			want: layout{parents: map[string]string{
				"memory": "/sys/fs/cgroup/memory",
				"cpu":    "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct",
			}},
		},
		{
			name: "v1 in a container, cpu and cpuacct in one hierarchy",
			mountinfo: `50 40 0:29 /docker/f00 /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct
51 40 0:32 /docker/f00 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory`,
			membership: "4:memory:/docker/f00\n3:cpu,cpuacct:/docker/f00/job",
			dirs:       []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu,cpuacct/job"},
			want: layout{parents: map[string]string{
				"memory": "/sys/fs/cgroup/memory",
				"cpu":    "/sys/fs/cgroup/cpu,cpuacct/job", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/job",
			}},
		},
		{
			name:       "v1 mount point with an escaped space",
			mountinfo:  `35 31 0:32 / /cg\040v1/memory rw - cgroup cgroup rw,memory` + "\n" + `36 31 0:29 / /cg\040v1/cpu rw - cgroup cgroup rw,cpu,cpuacct`,
			membership: "4:memory:/\n3:cpu,cpuacct:/",
			dirs:       []string{"/cg v1/memory", "/cg v1/cpu"},
			want:       layout{parents: map[string]string{"memory": "/cg v1/memory", "cpu": "/cg v1/cpu", "cpuacct": "/cg v1/cpu"}},
		},
		{
			name:       "v1 without cpuacct",
			mountinfo:  "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
			membership: "4:memory:/\n1:cpu:/",
			wantErr:    "no hierarchy mounted for cpuacct",
		},
		{
			name:       "v2 only (GitHub's hosted runners): the hierarchy's top",
			mountinfo:  "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate",
			membership: "0::/system.slice/runner.service",
			dirs:       []string{"/sys/fs/cgroup/system.slice/runner.service"},
			want:       layout{v2: true, parents: map[string]string{"": "/sys/fs/cgroup"}},
		},
		{
			name:      "no cgroup filesystem",
			mountinfo: "22 1 0:21 / /proc rw - proc proc rw",
			wantErr:   "no cgroup filesystem",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mounts, err := parseMounts(strings.NewReader(tc.mountinfo))
			if err != nil {
				t.Fatal(err)
			}
			own, err := parseOwnCgroups(strings.NewReader(tc.membership))
			if err != nil {
				t.Fatal(err)
			}
			got, err := findLayout(mounts, own, func(dir string) bool { return slices.Contains(tc.dirs, dir) })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.v2 != tc.want.v2 || !maps.Equal(got.parents, tc.want.parents) {
				t.Errorf("layout %+v, want %+v", got, tc.want)
			}
		})
	}
}
