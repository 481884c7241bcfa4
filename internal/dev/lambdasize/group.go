package lambdasize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
)

// Group is one Lambda-sized set of cgroups: on v1 a group in each of the
// memory, cpu and cpuacct hierarchies, on v2 one group.
type Group struct {
	name     string
	memoryMB int
	v2       bool
	// dirs holds each controller's group directory (as layout.parents).
	dirs map[string]string
	// cgroupFD is the v2 group, open for clone3 (SysProcAttr.CgroupFD).
	cgroupFD *os.File
	// caveats are the limits the kernel could not set.
	caveats []string

	mu     sync.Mutex
	closed bool
}

// groupCounter numbers this process's groups; with the pid it makes names
// no other process and no earlier group of this one uses.
var groupCounter atomic.Int64

// errClosed is the error of a Group used after Close.
var errClosed = errors.New("lambdasize: group closed")

// New makes a group sized like a Lambda function of memoryMB.
func New(memoryMB int) (*Group, error) {
	if memoryMB < 1 {
		return nil, fmt.Errorf("lambdasize: MemorySize %d MB: want at least 1", memoryMB)
	}
	l, err := detect()
	if err != nil {
		return nil, fmt.Errorf("lambdasize: %w", err)
	}
	g := &Group{memoryMB: memoryMB, v2: l.v2}
	if err := g.makeDirs(l); err != nil {
		return nil, fmt.Errorf("lambdasize: %w", err)
	}
	if err := g.setLimits(); err != nil {
		_ = g.Close()
		return nil, fmt.Errorf("lambdasize: group %s: %w", g.name, err)
	}
	return g, nil
}

// makeDirs makes the group's directories under a name no existing group
// has: a name left by an earlier process with this pid is passed over,
// never reused.
func (g *Group) makeDirs(l layout) error {
	if l.v2 {
		if err := enableControllers(l.parents[""]); err != nil {
			return err
		}
	}
	for range 100 {
		g.name = "attr-eraser-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(groupCounter.Add(1), 10)
		g.dirs = map[string]string{}
		var made []string
		var err error
		for _, parent := range l.dirs() {
			dir := filepath.Join(parent, g.name)
			if err = os.Mkdir(dir, 0o755); err != nil {
				break
			}
			made = append(made, dir)
		}
		if err == nil {
			for c, parent := range l.parents {
				g.dirs[c] = filepath.Join(parent, g.name)
			}
			return nil
		}
		for _, dir := range made {
			_ = os.Remove(dir)
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return errors.New("no free group name after 100 tries")
}

// MemoryMB is the MemorySize the group is sized for.
func (g *Group) MemoryMB() int { return g.memoryMB }

// CPUShare is the fraction of one CPU the group may use.
func (g *Group) CPUShare() float64 { return cpuShare(g.memoryMB) }

// Name is the group's directory name in each hierarchy.
func (g *Group) Name() string { return g.name }

// distinctDirs are the group's directories, each once.
func (g *Group) distinctDirs() []string { return distinct(g.dirs) }

// memoryDir is the group whose cgroup.procs lists the group's processes.
func (g *Group) memoryDir() string {
	if g.v2 {
		return g.dirs[""]
	}
	return g.dirs["memory"]
}

func (g *Group) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}
