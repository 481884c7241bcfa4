package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// ReleaseBinarySize builds the function exactly as `sam build` does (the
// Makefile's build-EraserFunction target) into dir and returns its size.
func ReleaseBinarySize(ctx context.Context, dir string) (int64, error) {
	out := filepath.Join(dir, "bootstrap-arm64")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w",
		"-o", out, localrun.FunctionPackage)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("release build: %w\n%s", err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// ColdStart is one fresh emulator's first invocation.
type ColdStart struct {
	// InitMs is the emulator's INIT REPORT durationMs (falling back to the
	// REPORT line's "Init Duration"): process start to the runtime's first
	// /next request, i.e. everything main does before the first event.
	InitMs float64
	// InvokeMs is the emulator's REPORT Duration of the first invocation.
	InvokeMs float64
	// WallMs is the client-side wall time of that first Invoke call, which
	// also includes starting the process and Init.
	WallMs float64
}

var (
	initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	initDurRE    = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	durationRE   = regexp.MustCompile(`\tDuration: ([0-9.]+) ms`)
)

// smallEvent is a one-message batch of one account.
func smallEvent() []byte {
	b, _ := json.Marshal(Shape{Messages: 1, AccountsPerMessage: 1}.Event("cold"))
	return b
}

// checkResponse fails on a Lambda error object or any batchItemFailure.
func checkResponse(raw []byte) error {
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("unexpected response %.200s", raw)
	}
	if bytes.Contains(raw, []byte(`"errorMessage"`)) || len(resp.BatchItemFailures) > 0 {
		return fmt.Errorf("invocation reported failures: %.300s", raw)
	}
	return nil
}

// MeasureColdStart starts a fresh emulator (and fresh stand-ins, no added
// latency) and sends it one small event.
func MeasureColdStart(ctx context.Context, bootstrap, rie string) (ColdStart, error) {
	var cs ColdStart
	stack, err := localrun.Start(ctx, localrun.Options{Bootstrap: bootstrap, RIE: rie,
		Tencent: timtest.Config{RateLimit: RateLimit}})
	if err != nil {
		return cs, err
	}
	defer stack.Close()
	ictx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t0 := time.Now()
	raw, err := stack.Invoke(ictx, smallEvent())
	cs.WallMs = ms(time.Since(t0))
	if err != nil {
		return cs, err
	}
	if err := checkResponse(raw); err != nil {
		return cs, err
	}
	// The REPORT line is printed after the response is sent; give it a moment.
	out := waitFor(stack, durationRE, 2*time.Second)
	if m := initReportRE.FindStringSubmatch(out); m != nil {
		cs.InitMs, _ = strconv.ParseFloat(m[1], 64)
	} else if m := initDurRE.FindStringSubmatch(out); m != nil {
		cs.InitMs, _ = strconv.ParseFloat(m[1], 64)
	} else {
		return cs, fmt.Errorf("no INIT REPORT in the emulator's output:\n%s", tail(out))
	}
	if m := durationRE.FindStringSubmatch(out); m != nil {
		cs.InvokeMs, _ = strconv.ParseFloat(m[1], 64)
	} else {
		return cs, fmt.Errorf("no REPORT Duration in the emulator's output:\n%s", tail(out))
	}
	return cs, nil
}

func waitFor(stack *localrun.Stack, re *regexp.Regexp, d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		out := stack.Output()
		if re.MatchString(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// PeakRSS is the bootstrap's memory while handling one large batch.
type PeakRSS struct {
	// VmHWMKiB is the bootstrap process's peak resident set (VmHWM).
	VmHWMKiB int64
	// EventBytes is the size of the invocation payload.
	EventBytes int
	InvokeMs   float64
}

// MeasurePeakRSS runs the bootstrap under the emulator against a stand-in
// enforcing 100 calls/s with latency, sends one batch of shape s, and reads
// VmHWM from /proc/<pid>/status of the bootstrap process (found by its
// executable path among /proc/*/cmdline) while it is still alive.
func MeasurePeakRSS(ctx context.Context, bootstrap, rie string, s Shape, latency time.Duration) (PeakRSS, error) {
	var r PeakRSS
	stack, err := localrun.Start(ctx, localrun.Options{Bootstrap: bootstrap, RIE: rie,
		Tencent: timtest.Config{RateLimit: RateLimit, Faults: timtest.Faults{Latency: latency}}})
	if err != nil {
		return r, err
	}
	defer stack.Close()
	event, err := json.Marshal(s.Event("rss"))
	if err != nil {
		return r, err
	}
	r.EventBytes = len(event)
	ictx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	raw, err := stack.Invoke(ictx, event)
	r.InvokeMs = ms(time.Since(t0))
	if err != nil {
		return r, err
	}
	if err := checkResponse(raw); err != nil {
		return r, err
	}
	pid, err := findProcess(bootstrap)
	if err != nil {
		return r, err
	}
	r.VmHWMKiB, err = vmHWM(pid)
	return r, err
}

// findProcess returns the PID whose argv[0] is exe. The emulator starts the
// bootstrap with its path as given ("exec '<path>'" in its log); the path
// is a fresh temporary directory, so exactly one process matches.
func findProcess(exe string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := strings.Cut(string(cmdline), "\x00")
		if argv0 == exe {
			found = append(found, pid)
		}
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("found %d processes running %s, want 1", len(found), exe)
	}
	return found[0], nil
}

func vmHWM(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
