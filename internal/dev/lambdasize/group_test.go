package lambdasize

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestNewRejectsSize(t *testing.T) {
	for _, mb := range []int{0, -128} {
		if g, err := New(mb); err == nil {
			g.Close()
			t.Errorf("New(%d) succeeded", mb)
		}
	}
}

// TestLimitsWritten reads back the control files of groups of three sizes.
func TestLimitsWritten(t *testing.T) {
	for _, tc := range []struct {
		memoryMB int
		bytes    int64
		quotaUS  int
	}{
		{128, 134217728, 7236},
		{512, 536870912, 28943},
		{1769, 1854930944, 100000},
	} {
		t.Run(strconv.Itoa(tc.memoryMB)+"MB", func(t *testing.T) {
			g := Require(t, tc.memoryMB)
			bytes, quota := strconv.FormatInt(tc.bytes, 10), strconv.Itoa(tc.quotaUS)
			want := map[string]string{ // control file: value
				"memory/memory.limit_in_bytes":       bytes,
				"memory/memory.memsw.limit_in_bytes": bytes,
				"cpu/cpu.cfs_period_us":              "100000",
				"cpu/cpu.cfs_quota_us":               quota,
			}
			if g.v2 {
				want = map[string]string{"/memory.max": bytes, "/memory.swap.max": "0", "/cpu.max": quota + " 100000"}
			}
			for file, value := range want {
				controller, name, _ := strings.Cut(file, "/")
				b, err := os.ReadFile(filepath.Join(g.dirs[controller], name))
				if swap := name == "memory.memsw.limit_in_bytes" || name == "memory.swap.max"; swap && errors.Is(err, os.ErrNotExist) {
					// The kernel accounts no swap: the group must say so.
					if len(g.caveats) == 0 {
						t.Errorf("%s absent, and no caveat says so", name)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.TrimSpace(string(b)); got != value {
					t.Errorf("%s = %s, want %s", name, got, value)
				}
			}
			if g.MemoryMB() != tc.memoryMB || g.CPUShare() != float64(tc.memoryMB)/1769 {
				t.Errorf("MemoryMB %d, CPUShare %v", g.MemoryMB(), g.CPUShare())
			}
		})
	}
}
