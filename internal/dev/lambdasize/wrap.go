package lambdasize

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// shell runs the v1 shim.
const shell = "/bin/sh"

// Wrap makes cmd start inside the group, so that it and every process it
// starts are in it from their first instruction, and sets
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE in its environment to the group's size.
// Call it before cmd.Start.
//
// On v2 the child is cloned straight into the group (SysProcAttr.CgroupFD).
// On v1, where that does not work, cmd becomes a shell that moves itself
// into each group, then execs the original program with its arguments.
func (g *Group) Wrap(cmd *exec.Cmd) error {
	switch {
	case g.isClosed():
		return errClosed
	case cmd.Process != nil:
		return errors.New("lambdasize: Wrap after Start")
	case cmd.Err != nil:
		return cmd.Err
	}
	cmd.Env = setEnv(cmd.Environ(), memorySizeEnv, strconv.Itoa(g.memoryMB))
	if g.v2 {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		if cmd.SysProcAttr.UseCgroupFD {
			return errors.New("lambdasize: the command already has a cgroup")
		}
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(g.cgroupFD.Fd())
		return nil
	}
	program := cmd.Path
	if !strings.Contains(program, "/") {
		// Go runs a bare name from the working directory; sh would search PATH.
		program = "./" + program
	}
	var args []string
	if len(cmd.Args) > 1 {
		args = cmd.Args[1:]
	}
	cmd.Path = shell
	cmd.Args = append([]string{"sh", "-c", joinScript(g.distinctDirs()), program}, args...)
	return nil
}

// joinScript moves the shell into each group, then execs "$0" "$@".
func joinScript(dirs []string) string {
	var b strings.Builder
	for _, dir := range dirs {
		b.WriteString("echo $$ > " + shellQuote(filepath.Join(dir, "cgroup.procs")) + " && ")
	}
	b.WriteString(`exec "$0" "$@"`)
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// setEnv sets key in env, in place of any value it had.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	set := false
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		} else if !set {
			out = append(out, key+"="+value)
			set = true
		}
	}
	if !set {
		out = append(out, key+"="+value)
	}
	return out
}
