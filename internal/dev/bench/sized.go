// Rows 9 and 10 run the function as Lambda runs it: the local bootstrap
// under the Runtime Interface Emulator, both inside a Lambda-sized group
// (internal/dev/lambdasize: MemorySize MiB of memory, MemorySize/1769 of a
// CPU), told that size. This file is what they share: starting such an
// instance, invoking it, and reading what it printed and used.

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// Sized configures one Lambda-sized instance.
type Sized struct {
	// Bootstrap and RIE are localrun.Build's binaries.
	Bootstrap, RIE string
	MemoryMB       int
	// Rate is both the stand-in's limit and RATE_LIMIT_PER_SECOND.
	Rate    int
	Latency time.Duration
	// Timeout is the function's (the emulator enforces it).
	Timeout time.Duration
	// Env holds the function's behaviour variables (DrainParams.Env).
	Env map[string]string
}

// sizedInstance is a running Lambda-sized instance.
type sizedInstance struct {
	stack *localrun.Stack
	out   *outputMeter
	// bootstrapName is the bootstrap's command name in /proc.
	bootstrapName string
	// invoked counts invocations, to wait for each one's REPORT line.
	invoked int
}

// startSized starts the stand-ins and the emulator in a group of
// c.MemoryMB. Groups need root: without it this fails with
// lambdasize's reason.
func startSized(ctx context.Context, c Sized) (*sizedInstance, error) {
	env := maps.Clone(c.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[config.EnvRateLimit] = strconv.Itoa(c.Rate)
	var vars []string
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	out := &outputMeter{}
	stack, err := localrun.Start(ctx, localrun.Options{
		Bootstrap: c.Bootstrap, RIE: c.RIE, MemoryMB: c.MemoryMB, Timeout: c.Timeout,
		Tencent: timtest.Config{RateLimit: c.Rate, Faults: timtest.Faults{Latency: c.Latency}},
		Env:     vars, Output: out,
	})
	if err != nil {
		return nil, err
	}
	name := filepath.Base(c.Bootstrap)
	return &sizedInstance{stack: stack, out: out, bootstrapName: name[:min(len(name), 15)]}, nil
}

func (in *sizedInstance) close() { in.stack.Close() }

// invocation is one invocation's answer, as the bench saw it.
type invocation struct {
	Wall time.Duration
	// Failed counts batchItemFailures; Err is a Lambda error object or a
	// failed exchange (an out-of-memory kill answers with one).
	Failed int
	Err    error
}

// invoke sends one event and waits for its REPORT line, so that what the
// emulator relays after the answer is counted with this invocation.
func (in *sizedInstance) invoke(ctx context.Context, event []byte, timeout time.Duration) invocation {
	ictx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	t0 := time.Now()
	res, err := in.stack.InvokeRaw(ictx, event)
	inv := invocation{Wall: time.Since(t0), Err: err}
	in.invoked++
	in.out.waitReports(in.invoked, 5*time.Second)
	if err != nil {
		return inv
	}
	var resp events.SQSEventResponse
	if bytes.Contains(res.Payload, []byte(`"errorMessage"`)) || json.Unmarshal(res.Payload, &resp) != nil {
		inv.Err = fmt.Errorf("HTTP %d: %.300s", res.Status, res.Payload)
		return inv
	}
	inv.Failed = len(resp.BatchItemFailures)
	return inv
}

// cpu is the CPU time of everything in the group so far: the emulator's
// as well as the bootstrap's.
func (in *sizedInstance) cpu() (time.Duration, error) {
	s, err := in.stack.Group.Stats()
	return s.CPU, err
}

// userHZ is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux Lambda or this bench runs on).
const userHZ = 100

// bootstrapCPU is the bootstrap's own CPU time so far, all its threads
// (utime + stime of /proc/<pid>/stat, in 10 ms ticks): the group's less
// the emulator's.
func (in *sizedInstance) bootstrapCPU() (time.Duration, error) {
	procs, err := in.stack.Group.Pids()
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		if p.Command != in.bootstrapName {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
		if err != nil {
			return 0, err
		}
		// Fields after the command, which ends at the last ')': state is
		// field 3, utime 14, stime 15.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: %d fields", p.PID, len(f))
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", p.PID, f[11], f[12])
		}
		return time.Duration(utime+stime) * time.Second / userHZ, nil
	}
	return 0, fmt.Errorf("no %s process in the group", in.bootstrapName)
}

// outputMeter reads what the emulator relays, line by line, as it comes:
// the function's own lines (JSON objects: audit lines, summary, EMF
// metrics) are what CloudWatch Logs would ingest; the emulator's REPORT
// lines give each invocation's Duration, as Lambda bills it.
type outputMeter struct {
	mu      sync.Mutex
	partial []byte
	totals  outputTotals
}

// outputTotals are an outputMeter's counts; subtract two snapshots for
// what happened between them.
type outputTotals struct {
	// FunctionBytes counts the function's lines, newlines included.
	FunctionBytes int64
	// Durations are the REPORT lines' Duration, in ms, in order.
	Durations []float64
	// Capacity counts messages handed on for memory: their audit lines of
	// class capacity, the first part only of one split in parts. Requeued
	// sums the summary lines' requeued counts (0 without a queue, as under
	// localrun, where a message handed on is reported failed).
	Capacity, Requeued int
}

func (o *outputMeter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	data := p
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			o.partial = append(o.partial, data...)
			return len(p), nil
		}
		line := data[:i+1]
		if len(o.partial) > 0 {
			line = append(o.partial, line...)
		}
		o.totals.add(line)
		o.partial = o.partial[:0]
		data = data[i+1:]
	}
}

var (
	reportPrefix   = []byte("REPORT RequestId:")
	durationField  = []byte("\tDuration: ")
	auditMsg       = []byte(`"msg":"audit"`)
	capacityClass  = []byte(`"class":"capacity"`)
	partField      = []byte(`"part":`)
	firstPart      = []byte(`"part":1,`)
	summaryMsg     = []byte(`"msg":"batch processed"`)
	requeuedPrefix = []byte(`"requeued":`)
)

// add counts one line, newline included.
func (t *outputTotals) add(line []byte) {
	switch {
	case bytes.HasPrefix(line, []byte("{")):
		t.FunctionBytes += int64(len(line))
		if bytes.Contains(line, auditMsg) && bytes.Contains(line, capacityClass) &&
			(!bytes.Contains(line, partField) || bytes.Contains(line, firstPart)) {
			t.Capacity++
		}
		if bytes.Contains(line, summaryMsg) {
			t.Requeued += intAfter(line, requeuedPrefix)
		}
	case bytes.HasPrefix(line, reportPrefix):
		if i := bytes.Index(line, durationField); i >= 0 {
			rest := line[i+len(durationField):]
			if j := bytes.IndexByte(rest, ' '); j > 0 {
				if ms, err := strconv.ParseFloat(string(rest[:j]), 64); err == nil {
					t.Durations = append(t.Durations, ms)
				}
			}
		}
	}
}

// intAfter reads the integer right after the first prefix in line.
func intAfter(line, prefix []byte) int {
	i := bytes.Index(line, prefix)
	if i < 0 {
		return 0
	}
	rest := line[i+len(prefix):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(string(rest[:j]))
	return n
}

// snapshot returns the totals so far.
func (o *outputMeter) snapshot() outputTotals {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.totals
	t.Durations = append([]float64(nil), t.Durations...)
	return t
}

// since is what was counted after the earlier snapshot before.
func (t outputTotals) since(before outputTotals) outputTotals {
	return outputTotals{
		FunctionBytes: t.FunctionBytes - before.FunctionBytes,
		Durations:     t.Durations[min(len(before.Durations), len(t.Durations)):],
		Capacity:      t.Capacity - before.Capacity,
		Requeued:      t.Requeued - before.Requeued,
	}
}

// billedMs is what Lambda bills for these durations: each rounded up to
// the millisecond.
func billedMs(durations []float64) int64 {
	var ms int64
	for _, d := range durations {
		ms += int64(math.Ceil(d))
	}
	return ms
}

// waitReports waits, up to d, for n REPORT lines in all: the emulator
// prints each after the answer.
func (o *outputMeter) waitReports(n int, d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		o.mu.Lock()
		got := len(o.totals.Durations)
		o.mu.Unlock()
		if got >= n {
			return
		}
	}
}

// smallEventJSON is one one-account message as the event source mapping
// delivers it: the warm-up that reads the secret and the app's attribute
// names, as a warm container has.
func smallEventJSON() []byte {
	evs := lambdaEvents([]string{Shape{AccountsPerMessage: 1}.Body("warm", 0)}, 1)
	b, _ := json.Marshal(evs[0])
	return b
}

// lambdaEvents cuts bodies into events as the event source mapping does
// (see memQueue.receive): up to batchSize records and MaxEventBytes of
// JSON each, records as Lambda writes them.
func lambdaEvents(bodies []string, batchSize int) []events.SQSEvent {
	q := newMemQueue(time.Hour, 0, time.Now)
	for _, b := range bodies {
		q.send(b, nil, false)
	}
	var evs []events.SQSEvent
	for {
		b := newEventBatch()
		q.fill(b, batchSize, MaxEventBytes)
		if len(b.recs) == 0 {
			return evs
		}
		evs = append(evs, events.SQSEvent{Records: b.recs})
	}
}
