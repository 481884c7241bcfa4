// The time of one invocation, and who may spend it. Processing may call
// Tencent until its cutoff. After it come the end's steps, in order: the
// Completed receipts, the hand-off, the dead letters' receipts, the
// delays, the report (audit lines, metrics) and the source's own end (the
// wiring fallback's deletes, the response). Each step runs under a
// context that ends where the steps after it still have their reserve, so
// a slow call cannot starve those after it and the response is always
// returned before Lambda's deadline. What does not fit fails visibly: a
// receipt not put or a copy not sent leaves its message unacknowledged, so
// it comes back.

package eraser

import (
	"cmp"
	"context"
	"time"
)

// Defaults of a Budget's zero fields, and the end's CPU per message,
// derived at Lambda's share of a CPU. BenchmarkEndOfInvocation (package
// app) times the end alone, through the real clients against the
// stand-ins, inside a Lambda-sized group:
//
//	go test -c -o /tmp/app.test ./internal/app
//	go run ./internal/cmd/sized -memory-size 128 -- /tmp/app.test -test.run '^$' -test.bench EndOfInvocation -test.benchtime 10x
//
// On 2026-12-07, on this 2-core machine with other work running (load
// average 2.7 to 8), its wall time per unit in three runs at 128 MB (7.2 %
// of a CPU) and two at 512 MB (28.9 %), and what that is in CPU at a full
// core (wall × share; the group holds the stand-ins too, so it is
// pessimistic):
//
//	                                 128 MB             512 MB        CPU
//	1,000 erased (receipt + report)  541, 579, 580 µs   120, 109 µs   31-42 µs a message
//	1,000 failed (delay + report)    301, 291, 314 µs   63, 70 µs     18-23 µs a message
//	1,000 erased, the report alone   -, 32, 12.6 µs     2.3, 9.8 µs   0.7-2.8 µs a message
//	10 × 10,000 accounts erased      8.8, 8.8, 9.1 µs   2.1, 2.2 µs   0.62-0.66 µs an account
//	an erased and a failed message   1.0, 19, 10 ms     1.3, 0.7 ms   (the steps' fixed cost)
//
// Less the report of the same run, a receipt took up to 41.1 µs of CPU
// and a delay 21.8. The reserves are the largest figures × 1.3, rounded
// up: a receipt 54 µs, a delay 29 µs, a report line 4 µs, an account
// 0.86 µs (1 µs). A copy (hand-off) is a SendMessageBatch entry like a
// receipt's PutEvents one, and a delete (the wiring fallback) like a
// delay. The fixed cost of a step is far below a call's round trip to AWS
// in the region (tens of milliseconds), so each step that calls AWS keeps
// MinCallBudget, at any share.
const (
	// DefaultMinCallBudget is the least time before the cutoff in which a
	// call is still started; Tencent answers in tens of milliseconds. It
	// is also the least time each step of the end keeps for its calls.
	DefaultMinCallBudget = 200 * time.Millisecond
	// DefaultSafetyMargin is the least time kept after processing for the
	// end's calls, shared by its steps (each keeps at least
	// MinCallBudget).
	DefaultSafetyMargin   = time.Second
	DefaultMarginFraction = 0.05
	// defaultReservePerAccount is kept back for each account of the batch,
	// at a full CPU: every account is hashed for its audit line and its
	// receipt's digest, and a 6 MB batch holds some 700,000 accounts.
	defaultReservePerAccount = time.Microsecond
	// responseReserve is kept after the last step for the response to be
	// encoded and handed to Lambda, at a full CPU.
	responseReserve = 10 * time.Millisecond
)

// perMessage is each step's CPU for one message at a full CPU (see
// above): every message may need it, so each step keeps it for all.
var perMessage = [numSteps]time.Duration{
	StepReceipts:           54 * time.Microsecond,
	StepHandOff:            54 * time.Microsecond,
	StepDeadLetterReceipts: 54 * time.Microsecond,
	StepDelay:              29 * time.Microsecond,
	StepReport:             4 * time.Microsecond,
	StepSource:             29 * time.Microsecond,
}

// Step is a step of the end of an invocation, in the order they run.
type Step int

// The steps of the end.
const (
	StepReceipts Step = iota
	StepHandOff
	StepDeadLetterReceipts
	StepDelay
	StepReport
	// StepSource is the source adapter's own end: for SQS, the deletes of
	// the wiring fallback.
	StepSource
	numSteps
)

// Budget divides an invocation's time between processing and its end. It
// is the one owner of "when processing must stop" and "what the end may
// spend": the processor's cutoff and the handler's steps are both its.
// The zero value uses the defaults at a full CPU.
type Budget struct {
	// CPUShare is the share of one CPU the function runs with (Lambda
	// gives MemorySize/1769 of a vCPU); the CPU-bound reserves grow as it
	// shrinks. Zero means a full CPU.
	CPUShare float64
	// SafetyMargin is the end's call time at a full CPU, shared by the
	// steps that call AWS (default DefaultSafetyMargin).
	SafetyMargin time.Duration
	// MinCallBudget is the least time a call is started with (default
	// DefaultMinCallBudget).
	MinCallBudget time.Duration
	// ReservePerAccount is the report's CPU per account at a full CPU
	// (default defaultReservePerAccount).
	ReservePerAccount time.Duration
	// ReservePerMessage, when set, replaces every step's CPU per message
	// at a full CPU (tests).
	ReservePerMessage time.Duration
}

// Budget is a processor's budget: its CPUShare and deadline tuning.
func (p *Processor) Budget() Budget {
	return p.Tuning.Budget(p.CPUShare)
}

// Budget is the budget of a function with cpuShare of a CPU and these
// deadline knobs; a handler without a processor (a configuration that
// failed at start) takes it too.
func (t Tuning) Budget(cpuShare float64) Budget {
	return Budget{
		CPUShare:          cpuShare,
		SafetyMargin:      t.SafetyMargin,
		MinCallBudget:     t.MinCallBudget,
		ReservePerAccount: t.ReservePerAccount,
	}
}

// scaled is d of CPU at a full core, as wall time at the budget's share.
func (b Budget) scaled(d time.Duration) time.Duration {
	if s := b.CPUShare; s > 0 && s < 1 {
		return time.Duration(float64(d) / s)
	}
	return d
}

// minCall is the least time a call is started with.
func (b Budget) minCall() time.Duration {
	return cmp.Or(b.MinCallBudget, DefaultMinCallBudget)
}

// callSlice is what one step that calls AWS keeps for itself: its share of
// the safety margin, and never less than a call.
func (b Budget) callSlice() time.Duration {
	return max(cmp.Or(b.SafetyMargin, DefaultSafetyMargin)/callSteps, b.minCall())
}

// callSteps counts the steps that call AWS: every one but the response.
const callSteps = time.Duration(numSteps)

// reserve is what step keeps for itself before the deadline, for a batch
// of messages holding accounts.
func (b Budget) reserve(step Step, messages, accounts int) time.Duration {
	d := b.callSlice() + b.scaled(time.Duration(messages)*cmp.Or(b.ReservePerMessage, perMessage[step]))
	if step == StepReport {
		d += b.scaled(time.Duration(accounts) * cmp.Or(b.ReservePerAccount, defaultReservePerAccount))
	}
	return d
}

// after is the time kept for the steps after step, the response included.
func (b Budget) after(step Step, messages, accounts int) time.Duration {
	d := b.scaled(responseReserve)
	for s := step + 1; s < numSteps; s++ {
		d += b.reserve(s, messages, accounts)
	}
	return d
}

// Cutoff is the time after which no processing call may still be running,
// for an invocation that started at start and ends at deadline: the end's
// fixed reserves, or DefaultMarginFraction of the invocation's time if
// more, and the reserves that grow with the batch (ForBatch). The zero
// deadline means none (zero cutoff).
func (b Budget) Cutoff(deadline, start time.Time, messages, accounts int) time.Time {
	if deadline.IsZero() {
		return time.Time{}
	}
	fixed := max(b.EndReserve(), time.Duration(DefaultMarginFraction*float64(deadline.Sub(start))))
	return deadline.Add(-fixed - b.ForBatch(messages, accounts))
}

// ForBatch is what the end keeps for messages holding accounts beyond its
// fixed reserves: their CPU at the budget's share.
func (b Budget) ForBatch(messages, accounts int) time.Duration {
	return b.after(-1, messages, accounts) - b.EndReserve()
}

// EndReserve is the end's fixed reserve: what its steps and the response
// keep whatever the batch, at the budget's share.
func (b Budget) EndReserve() time.Duration {
	return b.after(-1, 0, 0)
}

// StepDeadline is when step must be over: the deadline less what the
// steps after it keep. Zero without a deadline.
func (b Budget) StepDeadline(deadline time.Time, step Step, messages, accounts int) time.Time {
	if deadline.IsZero() {
		return time.Time{}
	}
	return deadline.Add(-b.after(step, messages, accounts))
}

// StepContext returns ctx ending when step must be over; without a
// deadline, ctx itself (with a cancel).
func (b Budget) StepContext(ctx context.Context, step Step, messages, accounts int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, b.StepDeadline(deadline, step, messages, accounts))
}

// Budget is the budget the handler's end runs on: Budget when set, else
// the processor's.
func (h *Handler) Budget() Budget {
	if h.TimeBudget != (Budget{}) {
		return h.TimeBudget
	}
	if p, ok := h.Processor.(interface{ Budget() Budget }); ok {
		return p.Budget()
	}
	return Budget{}
}

// signatureRejected has the signing key re-read, waiting no longer than
// the cutoff: the read may take Secrets Manager's time, not the end's.
func (run *invocation) signatureRejected(ctx context.Context, version string) error {
	ctx, cancel := run.untilCutoff(ctx)
	defer cancel()
	return run.p.Credentials.SignatureRejected(ctx, version)
}
