// Row 9 of `make bench`: CPU time per message and per account at Lambda's
// share, end to end through the handler as Lambda runs it.

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CPUShape is one batch shape of row 9.
type CPUShape struct {
	Name string
	// Messages and AccountsPerMessage make one batch.
	Messages, AccountsPerMessage int
	// Batches is how many are timed, after one untimed.
	Batches int
	// PerAccount reports CPU per account rather than per message.
	PerAccount bool
}

// The shapes of row 9 (issue 19, item 4).
var (
	// CPUSingles is a batch of 1,000 one-account messages: what a backlog
	// of account deletions looks like, and where CPU limits a small
	// function (10 calls carry 1,000 messages).
	CPUSingles = CPUShape{Name: "(a) 1,000 msg × 1 acc", Messages: 1000, AccountsPerMessage: 1, Batches: 10}
	// CPULarge is ten 10,000-account messages: 1,000 calls, 10 s at 100/s.
	CPULarge = CPUShape{Name: "(b) 10 msg × 10,000 acc", Messages: 10, AccountsPerMessage: 10_000, Batches: 3, PerAccount: true}
)

// Unit is what the row divides by.
func (s CPUShape) Unit() string {
	if s.PerAccount {
		return "account"
	}
	return "message"
}

// CPUResult is row 9 for one shape.
type CPUResult struct {
	Shape    string
	Unit     string
	MemoryMB int
	// Batches were timed; Messages and Accounts are theirs.
	Batches, Messages, Accounts int
	// PerUnitUS is each timed invocation's CPU time (the group's: emulator
	// and bootstrap) in µs per unit; MedianUS their median, MeanUS the
	// total over all units.
	PerUnitUS        []float64
	MedianUS, MeanUS float64
	// BootstrapMeanUS is the bootstrap's own CPU over all units: the
	// group's without the emulator's (10 ms resolution).
	BootstrapMeanUS float64
	// CPUSeconds and WallSeconds cover the timed invocations.
	CPUSeconds, WallSeconds float64
	// Erased counts accounts the stand-in removed in them; Failed their
	// batchItemFailures; RateLimited the stand-in's 60018 answers.
	Erased, Failed, RateLimited int
}

// CPURate and CPULatency are row 9's Tencent: the whole 100 calls/s, 30 ms.
const (
	CPURate    = RateLimit
	CPULatency = 30 * time.Millisecond
)

// MeasureCPU runs the local bootstrap under the emulator in a group of
// p.MemorySize, against a stand-in at CPURate and CPULatency with
// RATE_LIMIT_PER_SECOND=CPURate: a warm-up invocation (secret, UserSig,
// attribute names), one untimed batch of the shape, then s.Batches timed
// batches. Each timed invocation's CPU is the group's CPU delta from before
// it is sent to after its REPORT line.
func MeasureCPU(ctx context.Context, bootstrap, rie string, p DrainParams, s CPUShape) (CPUResult, error) {
	res := CPUResult{Shape: s.Name, Unit: s.Unit(), MemoryMB: p.MemorySize}
	in, err := startSized(ctx, Sized{Bootstrap: bootstrap, RIE: rie, MemoryMB: p.MemorySize,
		Rate: CPURate, Latency: CPULatency, Timeout: p.Timeout, Env: p.Env})
	if err != nil {
		return res, err
	}
	defer in.close()

	batches := make([][]byte, s.Batches+1) // the first is untimed
	shape := Shape{Messages: s.Messages, AccountsPerMessage: s.AccountsPerMessage}
	for k := range batches {
		bodies := make([]string, s.Messages)
		for m := range bodies {
			bodies[m] = shape.Body(fmt.Sprintf("c%d", k), m)
		}
		evs := lambdaEvents(bodies, s.Messages)
		if len(evs) != 1 {
			return res, fmt.Errorf("%s: %d events, want one batch", s.Name, len(evs))
		}
		if batches[k], err = json.Marshal(evs[0]); err != nil {
			return res, err
		}
	}
	if inv := in.invoke(ctx, smallEventJSON(), p.Timeout); inv.Err != nil || inv.Failed > 0 {
		return res, fmt.Errorf("warm-up: %v, %d failed", inv.Err, inv.Failed)
	}
	if inv := in.invoke(ctx, batches[0], p.Timeout); inv.Err != nil || inv.Failed > 0 {
		return res, fmt.Errorf("untimed batch: %v, %d failed", inv.Err, inv.Failed)
	}
	in.stack.Tencent.Reset()

	units := s.Messages
	if s.PerAccount {
		units = s.Messages * s.AccountsPerMessage
	}
	var cpu, wall time.Duration
	own0, err := in.bootstrapCPU()
	if err != nil {
		return res, err
	}
	for _, event := range batches[1:] {
		before, err := in.cpu()
		if err != nil {
			return res, err
		}
		inv := in.invoke(ctx, event, p.Timeout)
		if inv.Err != nil {
			return res, inv.Err
		}
		after, err := in.cpu()
		if err != nil {
			return res, err
		}
		cpu += after - before
		wall += inv.Wall
		res.Failed += inv.Failed
		res.PerUnitUS = append(res.PerUnitUS, float64(after-before)/float64(time.Microsecond)/float64(units))
	}
	own1, err := in.bootstrapCPU()
	if err != nil {
		return res, err
	}
	res.BootstrapMeanUS = float64(own1-own0) / float64(time.Microsecond) / float64(units*s.Batches)
	st := in.stack.Tencent.Stats()
	res.Batches = s.Batches
	res.Messages = s.Batches * s.Messages
	res.Accounts = res.Messages * s.AccountsPerMessage
	res.Erased, res.RateLimited = st.Accounts, st.RateLimited
	res.CPUSeconds, res.WallSeconds = cpu.Seconds(), wall.Seconds()
	res.MedianUS = median(res.PerUnitUS)
	res.MeanUS = float64(cpu) / float64(time.Microsecond) / float64(units*s.Batches)
	return res, nil
}
