// Row 10 of `make bench`: the capacity table (issue 19, item
// 6). For each MemorySize, one instance as Lambda runs it (the local
// bootstrap under the emulator in its own Lambda-sized group) drains full
// batches of a backlog at its share of Tencent's rate, and takes the event
// with the most accounts; the line the template should take is the
// cheapest that meets every criterion.

package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/app"
)

// CapacitySizes are the MemorySizes of the table.
var CapacitySizes = []int{128, 256, 512, 1024, 1769}

// What a MemorySize must reach to be chosen (issue 19).
const (
	// MinDrainFraction is the least fraction of the ceiling both backlogs
	// must drain at, with no rejection.
	MinDrainFraction = 0.9
	// CPUHeadroom is kept: CPU used at the drain rate is at most 1/1.3
	// of the CPU the size gives. This machine's x86 cores are not
	// Lambda's arm64 ones.
	CPUHeadroom = 1.3
	// MaxMemoryFraction bounds the bootstrap's peak (VmHWM) on the
	// largest event, which must be processed whole.
	MaxMemoryFraction = 0.7
)

// fastRate and fastTimeout are the faster path for the largest event's
// memory: Tencent's whole rate (RATE_LIMIT_PER_SECOND's maximum, and the
// stand-in's) and Lambda's longest Timeout, so that the event is processed
// whole whatever the template's Timeout. The rate decides only how long
// the calls take: the plan, the outcomes and the audit lines, which are
// the memory, are the same.
const (
	fastRate    = RateLimit
	fastTimeout = maxTimeout
)

// Capacity configures row 10.
type Capacity struct {
	Bootstrap, RIE string
	// Params are the template's (BatchSize, MaxConcurrency and the
	// per-instance rate, Timeout, behaviour variables).
	Params DrainParams
	Sizes  []int
	// Steady is the least timed span of a drain, after a warm-up batch.
	Steady time.Duration
	// Progress, when set, is told what runs next.
	Progress func(format string, args ...any)
}

// CapacityResult is the table.
type CapacityResult struct {
	Params DrainParams
	Lines  []CapacityLine
	// Choice indexes the line the template should take; -1: none meets
	// every criterion.
	Choice int
}

// CapacityLine is one MemorySize.
type CapacityLine struct {
	MemoryMB int
	// CPUShare is the group's share of one CPU (MemorySize/1769).
	CPUShare        float64
	Single, Hundred InstanceDrain
	Largest         LargestRun
}

// InstanceDrain is one instance draining full batches of one shape.
type InstanceDrain struct {
	Shape              string
	AccountsPerMessage int
	// BatchMessages and EventBytes describe a full batch.
	BatchMessages, EventBytes int
	// Batches, Messages and Accounts were timed.
	Batches, Messages, Accounts int
	// WallSeconds runs from the first timed invocation's start to the
	// last one's answer; CPUSeconds is the group's CPU in that time.
	WallSeconds, CPUSeconds float64
	// Erased counts accounts the stand-in removed in that time;
	// RateLimited its 60018 answers (WarmRateLimited: during the warm-up);
	// Failed the batchItemFailures.
	Erased, RateLimited, WarmRateLimited, Failed int
	// InstanceRate is Erased / WallSeconds; DeploymentRate that times
	// MaxConcurrency (extrapolated), Fraction of the ceiling.
	InstanceRate, DeploymentRate, Fraction float64
	// CPUUse is CPUSeconds over the CPU the size gives in WallSeconds.
	CPUUse float64
	Usage  Usage
	Cost   Cost
	// Err says why the drain stopped, if it did.
	Err string
}

// LargestRun is the largest event through one instance.
type LargestRun struct {
	Messages, Accounts, EventBytes int
	// Rate is the calls per second it ran at; Timeout the function's.
	Rate    int
	Timeout time.Duration
	// DurationS is the emulator's REPORT Duration; CPUSeconds the group's
	// CPU in the invocation; Calls the stand-in's im_remove_attr answers.
	DurationS, CPUSeconds float64
	Calls                 int
	// GroupPeakBytes is the group's peak (emulator, bootstrap, page
	// cache); VmHWMBytes the bootstrap's own (0 if it was killed).
	GroupPeakBytes, VmHWMBytes int64
	OOMKills                   int
	// HandedOn counts messages handed on for memory (audit lines of class
	// capacity); Requeued the summary line's requeued messages, for any
	// reason (none without a queue: localrun has none).
	HandedOn, Requeued int
	// Erased counts accounts the stand-in removed; Failed the
	// batchItemFailures.
	Erased, Failed int
	Err            string
	// EstimateS is the duration at the per-instance rate, estimated from
	// this run (see estimateAt).
	EstimateS float64
	// AtRate is the event at the per-instance rate and the template's
	// Timeout, run where the estimate leaves it open.
	AtRate *LargestRun
}

// Whole says the event was processed whole: every account erased, no
// message handed on or failed, no kill.
func (l LargestRun) Whole() bool {
	return l.Err == "" && l.OOMKills == 0 && l.HandedOn == 0 && l.Requeued == 0 && l.Failed == 0 && l.Erased == l.Accounts
}

// MemoryFraction is the bootstrap's peak over memoryMB.
func (l LargestRun) MemoryFraction(memoryMB int) float64 {
	return float64(l.VmHWMBytes) / float64(int64(memoryMB)<<20)
}

// FitsTimeout says whether the event fits one invocation at the
// per-instance rate: measured where it was run at that rate, else from the
// estimate (which counts no reporting time, so only its "no" is sure).
func (l LargestRun) FitsTimeout(timeout time.Duration) (fits, measured bool) {
	if l.AtRate != nil {
		return l.AtRate.Whole(), true
	}
	return l.EstimateS <= timeout.Seconds(), false
}

// Cost is what both shapes cost per million accounts, summed: the price
// the choice compares.
func (c CapacityLine) Cost() float64 { return c.Single.Cost.Total() + c.Hundred.Cost.Total() }

// Shortfalls are the criteria the line misses; none means it qualifies.
func (c CapacityLine) Shortfalls() []string {
	var miss []string
	for _, d := range []InstanceDrain{c.Single, c.Hundred} {
		switch {
		case d.Err != "":
			miss = append(miss, d.Shape+" failed")
		case d.Fraction < MinDrainFraction:
			miss = append(miss, fmt.Sprintf("%s drains at %.2f < %.2f", d.Shape, d.Fraction, MinDrainFraction))
		}
		if d.RateLimited+d.WarmRateLimited > 0 {
			miss = append(miss, fmt.Sprintf("%s: %d rejected", d.Shape, d.RateLimited+d.WarmRateLimited))
		}
		if d.CPUUse > 1/CPUHeadroom {
			miss = append(miss, fmt.Sprintf("%s uses %.0f %% of its CPU > %.0f %%", d.Shape, 100*d.CPUUse, 100/CPUHeadroom))
		}
	}
	l := c.Largest
	switch {
	case !l.Whole():
		miss = append(miss, "largest event not whole")
	case l.MemoryFraction(c.MemoryMB) >= MaxMemoryFraction:
		miss = append(miss, fmt.Sprintf("largest event at %.0f %% of memory ≥ %.0f %%", 100*l.MemoryFraction(c.MemoryMB), 100*MaxMemoryFraction))
	}
	return miss
}

// choose is the cheapest line without shortfalls; -1 when there is none.
func choose(lines []CapacityLine) int {
	best := -1
	for i, l := range lines {
		if len(l.Shortfalls()) == 0 && (best < 0 || l.Cost() < lines[best].Cost()) {
			best = i
		}
	}
	return best
}

// MeasureCapacity runs row 10: for each size, a drain of one-account and
// of 100-account messages, and the largest event.
func MeasureCapacity(ctx context.Context, c Capacity) (CapacityResult, error) {
	res := CapacityResult{Params: c.Params, Choice: -1}
	progress := c.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	largest := LargestEvent(c.Params.BatchSize)
	largestJSON, err := json.Marshal(largest)
	if err != nil {
		return res, err
	}
	for _, size := range c.Sizes {
		line := CapacityLine{MemoryMB: size, CPUShare: float64(size) / 1769}
		for _, d := range []struct {
			shape DrainShape
			out   *InstanceDrain
		}{{DrainSingle, &line.Single}, {DrainHundred, &line.Hundred}} {
			progress("capacity %d MB: drain %s, one instance at %d calls/s, ≥ %v", size, d.shape.Name, c.Params.RatePerInstance, c.Steady)
			if *d.out, err = drainInstance(ctx, c, size, d.shape); err != nil {
				return res, fmt.Errorf("%d MB, %s: %w", size, d.shape.Name, err)
			}
		}
		progress("capacity %d MB: largest event (%d messages), at %d calls/s", size, len(largest.Records), fastRate)
		if line.Largest, err = largestRun(ctx, c, size, fastRate, fastTimeout, largest, largestJSON); err != nil {
			return res, fmt.Errorf("%d MB, largest event: %w", size, err)
		}
		l := &line.Largest
		l.EstimateS = estimateAt(*l, c.Params.RatePerInstance, line.CPUShare)
		if l.Whole() && l.EstimateS <= c.Params.Timeout.Seconds() {
			progress("capacity %d MB: largest event at %d calls/s, Timeout %v", size, c.Params.RatePerInstance, c.Params.Timeout)
			at, err := largestRun(ctx, c, size, c.Params.RatePerInstance, c.Params.Timeout, largest, largestJSON)
			if err != nil {
				return res, fmt.Errorf("%d MB, largest event at the instance's rate: %w", size, err)
			}
			l.AtRate = &at
		}
		res.Lines = append(res.Lines, line)
	}
	res.Choice = choose(res.Lines)
	return res, nil
}

// estimateAt is the largest event's duration at rate calls/s, from a run
// at l.Rate: the same work with its calls paced at rate instead (each
// instance's window is 1 s + app.WindowMargin), and never less than its CPU
// time takes at the size's share.
func estimateAt(l LargestRun, rate int, share float64) float64 {
	window := (time.Second + app.WindowMargin).Seconds()
	paced := l.DurationS - float64(l.Calls)*window/float64(l.Rate) + float64(l.Calls)*window/float64(rate)
	return math.Max(paced, l.CPUSeconds/math.Min(share, 1))
}

// drainInstance drains full batches of shape through one instance of
// memoryMB at the per-instance rate: a warm-up invocation, one untimed full
// batch, then full batches back to back until c.Steady has passed.
func drainInstance(ctx context.Context, c Capacity, memoryMB int, shape DrainShape) (InstanceDrain, error) {
	p := c.Params
	res := InstanceDrain{Shape: shape.Name, AccountsPerMessage: shape.AccountsPerMessage}
	// Enough full batches for c.Steady at the instance's ceiling, and
	// the warm-up; the last event, maybe not full, is never sent.
	ceiling := c.Steady.Seconds() * float64(p.RatePerInstance) * 100
	messages := int(math.Ceil(ceiling*1.1/float64(shape.AccountsPerMessage))) + 3*p.BatchSize
	bodies := make([]string, messages)
	for m := range bodies {
		bodies[m] = shape.body(m)
	}
	evs := lambdaEvents(bodies, p.BatchSize)
	evs = evs[:len(evs)-1]
	res.BatchMessages = len(evs[0].Records)
	payloads := make([][]byte, len(evs))
	for i, ev := range evs {
		var err error
		if payloads[i], err = json.Marshal(ev); err != nil {
			return res, err
		}
	}
	res.EventBytes = len(payloads[0])

	in, err := startSized(ctx, Sized{Bootstrap: c.Bootstrap, RIE: c.RIE, MemoryMB: memoryMB,
		Rate: p.RatePerInstance, Latency: DrainLatency, Timeout: p.Timeout, Env: p.Env})
	if err != nil {
		return res, err
	}
	defer in.close()
	for i, event := range [][]byte{smallEventJSON(), payloads[0]} {
		if inv := in.invoke(ctx, event, p.Timeout); inv.Err != nil || inv.Failed > 0 {
			return res, fmt.Errorf("warm-up %d: %v, %d failed", i, inv.Err, inv.Failed)
		}
	}
	res.WarmRateLimited = in.stack.Tencent.Stats().RateLimited
	in.stack.Tencent.Reset()

	cpu0, err := in.cpu()
	if err != nil {
		return res, err
	}
	out0 := in.out.snapshot()
	start := time.Now()
	var sent []events.SQSEvent
	for i, event := range payloads[1:] {
		inv := in.invoke(ctx, event, p.Timeout)
		if inv.Err != nil {
			res.Err = inv.Err.Error()
			break
		}
		res.Failed += inv.Failed
		sent = append(sent, evs[1+i])
		if time.Since(start) >= c.Steady {
			break
		}
	}
	wall := time.Since(start)
	cpu1, err := in.cpu()
	if err != nil {
		return res, err
	}
	out := in.out.snapshot().since(out0)

	st := in.stack.Tencent.Stats()
	res.Batches = len(sent)
	sqs := 0
	for _, ev := range sent {
		res.Messages += len(ev.Records)
		sqs += sqsRequests(ev.Records)
	}
	res.Accounts = res.Messages * shape.AccountsPerMessage
	res.Erased, res.RateLimited = st.Accounts, st.RateLimited
	res.WallSeconds, res.CPUSeconds = wall.Seconds(), (cpu1 - cpu0).Seconds()
	res.InstanceRate = float64(res.Erased) / res.WallSeconds
	res.DeploymentRate = res.InstanceRate * float64(p.MaxConcurrency)
	res.Fraction = res.DeploymentRate / Ceiling
	res.CPUUse = res.CPUSeconds / (res.WallSeconds * math.Min(float64(memoryMB)/1769, 1))
	if res.Err == "" && wall < c.Steady {
		res.Err = fmt.Sprintf("ran out of prepared batches after %.1f s", wall.Seconds())
	}
	res.Usage = Usage{Accounts: res.Erased, Invocations: res.Batches, BilledMs: billedMs(out.Durations),
		LogBytes: out.FunctionBytes, SQSRequests: sqs}
	res.Cost = Prices.PerMillion(res.Usage, memoryMB)
	return res, nil
}

// largestRun sends the largest event to a fresh instance of memoryMB at
// rate calls/s with the function's timeout, after a warm-up invocation,
// and reads the group's and the bootstrap's peak memory.
func largestRun(ctx context.Context, c Capacity, memoryMB, rate int, timeout time.Duration, ev events.SQSEvent, payload []byte) (LargestRun, error) {
	res := LargestRun{Messages: len(ev.Records), EventBytes: len(payload), Rate: rate, Timeout: timeout}
	for _, r := range ev.Records {
		var body struct{ Accounts []string }
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			return res, err
		}
		res.Accounts += len(body.Accounts)
	}
	in, err := startSized(ctx, Sized{Bootstrap: c.Bootstrap, RIE: c.RIE, MemoryMB: memoryMB,
		Rate: rate, Latency: DrainLatency, Timeout: timeout, Env: c.Params.Env})
	if err != nil {
		return res, err
	}
	defer in.close()
	if inv := in.invoke(ctx, smallEventJSON(), timeout); inv.Err != nil || inv.Failed > 0 {
		return res, fmt.Errorf("warm-up: %v, %d failed", inv.Err, inv.Failed)
	}
	in.stack.Tencent.Reset()
	cpu0, err := in.cpu()
	if err != nil {
		return res, err
	}
	out0 := in.out.snapshot()
	inv := in.invoke(ctx, payload, timeout)
	if inv.Err != nil {
		res.Err = inv.Err.Error()
	}
	res.Failed = inv.Failed
	if hwm, err := in.stack.BootstrapVmHWM(); err == nil {
		res.VmHWMBytes = hwm
	} else if res.Err == "" {
		res.Err = err.Error()
	}
	stats, err := in.stack.Group.Stats()
	if err != nil {
		return res, err
	}
	res.GroupPeakBytes, res.OOMKills = stats.PeakBytes, stats.OOMKills
	res.CPUSeconds = (stats.CPU - cpu0).Seconds()
	out := in.out.snapshot().since(out0)
	res.HandedOn, res.Requeued = out.Capacity, out.Requeued
	if len(out.Durations) > 0 {
		res.DurationS = out.Durations[len(out.Durations)-1] / 1000
	} else {
		res.DurationS = inv.Wall.Seconds()
	}
	st := in.stack.Tencent.Stats()
	res.Erased, res.Calls = st.Accounts, st.RemoveCalls
	return res, nil
}

// Describe says, in a few words, how the largest event fared.
func (l LargestRun) Describe() string {
	var parts []string
	if l.Err != "" {
		parts = append(parts, "error: "+cmp.Or(firstLine(l.Err), "?"))
	}
	if l.OOMKills > 0 {
		parts = append(parts, fmt.Sprintf("%d OOM kills", l.OOMKills))
	}
	if l.HandedOn > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d msgs handed on for memory", l.HandedOn, l.Messages))
	}
	if l.Requeued > 0 {
		parts = append(parts, fmt.Sprintf("%d requeued", l.Requeued))
	}
	if l.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", l.Failed))
	}
	if l.Erased != l.Accounts {
		parts = append(parts, fmt.Sprintf("%s of %s accounts erased", thousands(l.Erased), thousands(l.Accounts)))
	}
	if len(parts) == 0 {
		return "whole"
	}
	return "not whole (" + strings.Join(parts, ", ") + ")"
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
