package lambdasize

import "testing"

func TestMustRun(t *testing.T) {
	for _, tc := range []struct {
		ci   string
		euid int
		want bool
	}{
		{"true", 0, true},
		{"true", 1001, false}, // a CI step without sudo
		{"", 0, false},
		{"1", 0, false},
	} {
		if got := mustRun(tc.ci, tc.euid); got != tc.want {
			t.Errorf("mustRun(CI=%q, euid %d) = %v, want %v", tc.ci, tc.euid, got, tc.want)
		}
	}
}
