package lambdasize

import (
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestWrapJoinsGroup runs a shell in the group that prints its own cgroups,
// a child's, and the memory size its environment holds.
func TestWrapJoinsGroup(t *testing.T) {
	g := Require(t, 512)
	const script = `cat /proc/$$/cgroup; echo --; sh -c 'cat /proc/$$/cgroup'; echo --; env | grep ^AWS_LAMBDA_FUNCTION_MEMORY_SIZE=`
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"size not set", nil},
		{"the emulator's default replaced", append(os.Environ(), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=3008")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Env = tc.env
			if err := g.Wrap(cmd); err != nil {
				t.Fatal(err)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			sections := strings.Split(string(out), "--\n")
			if len(sections) != 3 {
				t.Fatalf("output %q", out)
			}
			for i, who := range []string{"the process", "its child"} {
				for _, c := range g.controllers() {
					if got := groupOf(sections[i], c); path.Base(got) != g.Name() {
						t.Errorf("%s is in %s group %q, want %s", who, c, got, g.Name())
					}
				}
			}
			if got := sections[2]; got != "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512\n" {
				t.Errorf("environment holds %q, want the size once", got)
			}
		})
	}
}

// controllers are the keys of the /proc/<pid>/cgroup lines naming the group.
func (g *Group) controllers() []string {
	if g.v2 {
		return []string{""}
	}
	return v1Controllers
}

// groupOf is the group a /proc/<pid>/cgroup file names for controller.
func groupOf(procCgroup, controller string) string {
	for line := range strings.Lines(procCgroup) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && (parts[1] == controller || slices.Contains(strings.Split(parts[1], ","), controller)) {
			return parts[2]
		}
	}
	return ""
}

func TestSetEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want []string
	}{
		{"absent", []string{"A=1"}, []string{"A=1", "K=128"}},
		{"replaced in place", []string{"K=3008", "A=1"}, []string{"K=128", "A=1"}},
		{"duplicates dropped", []string{"K=1", "A=1", "K=2"}, []string{"K=128", "A=1"}},
		{"a longer name kept", []string{"KEY=1"}, []string{"KEY=1", "K=128"}},
	} {
		if got := setEnv(tc.env, "K", "128"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"/sys/fs/cgroup/memory/a", "it's", `"$x" \ $(no)`, ""} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("%q came back as %q (%v)", s, out, err)
		}
	}
}
