package awstier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
)

// MotoCommand is the executable the tier runs, found on PATH.
const MotoCommand = "moto_server"

// MotoMissing is the message the tier skips (or, under CI=true, fails)
// with when moto_server is not on PATH.
const MotoMissing = "real-AWS-semantics tier: moto_server not found on PATH (pip install 'moto[server]==5.2.1')"

// ErrNoMoto means moto_server is not on PATH.
var ErrNoMoto = errors.New(MotoMissing)

// Moto is a running moto_server on a loopback port of its own.
type Moto struct {
	// URL is its endpoint, e.g. "http://127.0.0.1:41234".
	URL string

	cmd    *exec.Cmd
	output capture.Buffer
	exited chan struct{}
}

// StartMoto starts moto_server on a free loopback port and waits until it
// answers HTTP. Another process may take the port between the probe and
// moto's bind; the start is then tried again on a new port.
func StartMoto(ctx context.Context) (*Moto, error) {
	path, err := exec.LookPath(MotoCommand)
	if err != nil {
		return nil, ErrNoMoto
	}
	var errs []error
	for range 3 {
		m, err := startMoto(ctx, path)
		if err == nil {
			return m, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func startMoto(ctx context.Context, path string) (*Moto, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	m := &Moto{URL: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	m.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	// moto_server is often a shim (pyenv, a virtualenv script) that runs
	// Python as a child: its own process group lets Close stop them all.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	m.cmd.Env = append(os.Environ(), "MOTO_ACCOUNT_ID="+Account)
	m.cmd.Stdout, m.cmd.Stderr = &m.output, &m.output
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	if err := m.waitReady(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// waitReady polls until moto answers any HTTP request (its dashboard).
func (m *Moto) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/", nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-m.exited:
			return fmt.Errorf("moto_server exited before it answered:\n%s", m.output.String())
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer within 60 s:\n%s", m.output.String())
		case <-tick.C:
		}
	}
}

// Output is what moto_server printed (its request log).
func (m *Moto) Output() string { return m.output.String() }

// Close stops moto_server and every process of its group: SIGTERM, then
// SIGKILL if it has not exited within 5 s.
func (m *Moto) Close() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	pgid := m.cmd.Process.Pid // Setpgid: the group is named after the leader
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-m.exited
	}
	// Children may outlive the leader's exit by a moment.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
