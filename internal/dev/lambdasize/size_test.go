package lambdasize

import "testing"

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		memoryMB int
		quotaUS  int
		cpuMax   string
	}{
		{1, 1000, "1000 100000"}, // the kernel's minimum
		{64, 3618, "3618 100000"},
		{128, 7236, "7236 100000"},
		{512, 28943, "28943 100000"},
		{1769, 100000, "100000 100000"},
		{3008, 170040, "170040 100000"},
		{10240, 578858, "578858 100000"},
	} {
		if got := quotaUS(tc.memoryMB); got != tc.quotaUS {
			t.Errorf("quotaUS(%d) = %d, want %d", tc.memoryMB, got, tc.quotaUS)
		}
		if got := cpuMax(tc.memoryMB); got != tc.cpuMax {
			t.Errorf("cpuMax(%d) = %q, want %q", tc.memoryMB, got, tc.cpuMax)
		}
		if got, want := limitBytes(tc.memoryMB), int64(tc.memoryMB)*1024*1024; got != want {
			t.Errorf("limitBytes(%d) = %d, want %d", tc.memoryMB, got, want)
		}
	}
	if got := cpuShare(1769); got != 1 {
		t.Errorf("cpuShare(1769) = %v, want 1", got)
	}
}
