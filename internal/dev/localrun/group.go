package localrun

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/attr-eraser/attr-eraser/internal/dev/lambdasize"
)

// BootstrapVmHWM is the running bootstrap's peak resident set, in bytes:
// the function's own memory, where Group's Stats add the emulator's and
// the page cache. It needs Options.MemoryMB, the bootstrap being found
// among the group's processes by name.
func (s *Stack) BootstrapVmHWM() (int64, error) {
	if s.Group == nil {
		return 0, errors.New("localrun: BootstrapVmHWM needs Options.MemoryMB")
	}
	procs, err := s.Group.Pids()
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		if p.Command == s.bootstrapName && p.PID != s.cmd.Process.Pid {
			return lambdasize.VmHWM(p.PID)
		}
	}
	return 0, fmt.Errorf("localrun: no %s process in group %s (it holds %v)", s.bootstrapName, s.Group.Name(), procs)
}

// commandName is the kernel's name of a process running path: its file
// name, cut to 15 bytes (TASK_COMM_LEN).
func commandName(path string) string {
	name := filepath.Base(path)
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}
