package lambdasize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// closeTimeout bounds how long Close waits for killed processes to leave.
const closeTimeout = 10 * time.Second

// Close kills every process still in the group and removes its
// directories. Closing again does nothing; a Close that failed can be
// retried.
func (g *Group) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	deadline := time.Now().Add(closeTimeout)
	for _, dir := range g.distinctDirs() {
		if err := emptyAndRemove(dir, deadline); err != nil {
			return fmt.Errorf("lambdasize: close group %s: %w", g.name, err)
		}
	}
	if g.cgroupFD != nil {
		_ = g.cgroupFD.Close()
	}
	g.closed = true
	return nil
}

// emptyAndRemove kills the processes in dir until none is left (one may
// fork while it is being killed), then removes it.
func emptyAndRemove(dir string, deadline time.Time) error {
	for {
		pids, err := readPids(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			err := os.Remove(dir)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			// EBUSY: a process is still leaving.
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				return err
			}
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: processes %v still running after SIGKILL", dir, pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
