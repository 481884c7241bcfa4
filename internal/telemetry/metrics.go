// The metrics: one table of everything the function measures. The EMF
// writer, the dashboard test and README's metric list all read it, so a new
// metric is one entry here (and its widget).

package telemetry

import (
	"maps"
	"slices"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Metric names.
const (
	AccountsErased       = "AccountsErased"
	AccountsVerified     = "AccountsVerified"
	AccountsUnverified   = "AccountsUnverified"
	ApiCalls             = "ApiCalls"
	ApiRetries           = "ApiRetries"
	RateLimited          = "RateLimited"
	InvocationDurationMs = "InvocationDurationMs"
	MessagesRequeued     = "MessagesRequeued"
	MessagesDeadLettered = "MessagesDeadLettered"
	MessagesFailed       = "MessagesFailed"
	PendingAge           = "PendingAge"
	ErasureLatency       = "ErasureLatency"
	// PartialBatchUnsupported is written by Metrics.Unwired, not from a
	// report: the adapter learns it beside the batch.
	PartialBatchUnsupported = "PartialBatchUnsupported"
)

// Dimension names. Every metric has FunctionName in Lambda (outside it,
// without a function name, none).
const (
	DimFunctionName = "FunctionName"
	DimClass        = "Class"
)

// Metric is one metric the function writes.
type Metric struct {
	Name string
	// Unit is its CloudWatch unit.
	Unit string
	// ByClass adds the dimension Class: one value per failure class.
	ByClass bool
	// PerMessage: one value per message it concerns, not one per batch.
	PerMessage bool
	// Meaning is what a value says, as README's metric list puts it.
	Meaning string
	// Event: written when it happens (Metrics.Unwired), not by Observe.
	Event bool

	values func(b *batch) []sample
}

// sample is one value of a metric; class is its Class, for ByClass metrics.
type sample struct {
	class string
	value float64
}

// batch is what the metrics of one report are computed from.
type batch struct {
	report *eraser.Report
	tally  eraser.Tally
	now    time.Time
}

// Catalog is every metric the function writes, in README's order.
var Catalog = []Metric{
	{Name: AccountsErased, Unit: "Count", Meaning: "distinct accounts erased in every part (absent ones included)",
		values: count(func(b *batch) int { return b.report.AccountsErased })},
	{Name: AccountsVerified, Unit: "Count", Meaning: "distinct accounts read back clean in every part after their removal (0 with VERIFY_ERASURE=false)",
		values: count(func(b *batch) int { return b.report.AccountsVerified })},
	{Name: AccountsUnverified, Unit: "Count", Meaning: "distinct accounts Tencent answered OK to removing, twice, that still read back with removed data (class unverified)",
		values: count(func(b *batch) int { return b.report.AccountsUnverified })},
	{Name: ApiCalls, Unit: "Count", Meaning: "requests sent to Tencent, every API (removing attributes and tags, reading attribute names, reading accounts back), retries included",
		values: count(func(b *batch) int { return b.report.Calls })},
	{Name: ApiRetries, Unit: "Count", Meaning: "requests of ApiCalls that repeated an earlier one (never more than ApiCalls)",
		values: count(func(b *batch) int { return b.report.Retries })},
	{Name: RateLimited, Unit: "Count", Meaning: "answers with a Tencent rate-limit code",
		values: count(func(b *batch) int { return b.report.RateLimited })},
	{Name: InvocationDurationMs, Unit: "Milliseconds", Meaning: "how long processing the batch took",
		values: count(func(b *batch) int { return int(b.report.Duration.Milliseconds()) })},
	{Name: MessagesRequeued, Unit: "Count", Meaning: "messages not reached in time, sent back as new copies",
		values: count(func(b *batch) int { return b.tally.Requeued })},
	{Name: MessagesDeadLettered, Unit: "Count", Meaning: "messages the function put in the dead-letter queue",
		values: count(func(b *batch) int { return b.tally.DeadLettered })},
	{Name: MessagesFailed, Unit: "Count", ByClass: true,
		Meaning: "messages that failed, by class; a requeued message did not fail, and a class without failures writes nothing",
		values:  failedByClass},
	{Name: PendingAge, Unit: "Seconds", PerMessage: true,
		Meaning: "for each erasure still to be done (failed or requeued): the time since the earlier of its occurredAt (backfilledAt for a backfill) and the first receive of its original message, carried across requeues",
		values:  pendingAges},
	{Name: ErasureLatency, Unit: "Seconds", PerMessage: true,
		Meaning: "for each erased message with an RFC 3339 occurredAt: completion minus occurredAt (minus backfilledAt for a backfill, whose occurredAt is an old deletion date)",
		values:  erasureLatencies},
	{Name: PartialBatchUnsupported, Unit: "Count", Event: true,
		Meaning: "1 for each invocation whose partial batch response could not be relied on (the event source mapping lacks ReportBatchItemFailures, or that could not be checked): the function deleted what it acknowledged and failed the invocation"},
}

// count is a metric of one value per batch.
func count(of func(b *batch) int) func(b *batch) []sample {
	return func(b *batch) []sample { return []sample{{value: float64(of(b))}} }
}

// failedByClass counts the failed messages of each class; a failure without
// a class counts as "unknown", as CloudWatch refuses an empty dimension.
func failedByClass(b *batch) []sample {
	byClass := map[string]int{}
	for class, n := range b.tally.FailedByClass {
		if class == "" {
			class = "unknown"
		}
		byClass[string(class)] += n
	}
	var out []sample
	for _, class := range slices.Sorted(maps.Keys(byClass)) {
		out = append(out, sample{class: class, value: float64(byClass[class])})
	}
	return out
}

// pendingAges returns how long each pending erasure has waited, since the
// earlier of its occurredAt and the first receive of its original message;
// a message with neither an RFC 3339 occurredAt nor a known first receive
// has no age.
func pendingAges(b *batch) []sample {
	if b.report.DryRun {
		return nil // nothing is meant to be erased: no erasure is stuck
	}
	var ages []sample
	for i := range b.report.Messages {
		m := &b.report.Messages[i]
		if !m.Status().Pending {
			continue
		}
		// The earlier start wins: a publisher's clock running fast must not
		// make a stuck erasure look young, nor a requeued copy its history.
		since := m.Lineage.FirstReceived
		if t, ok := ageOrigin(&m.Request); ok && (since.IsZero() || t.Before(since)) {
			since = t
		}
		if since.IsZero() {
			continue
		}
		ages = append(ages, sample{value: max(0, b.now.Sub(since).Seconds())})
	}
	return ages
}

// ageOrigin is when the request says its erasure became due: occurredAt,
// or for a backfill its backfilledAt. A backfill keeps the real (old)
// deletion date in occurredAt for the audit log; counting from it would
// fire the latency and pending-age alarms on every backfilled message. ok
// is false when that field is not an RFC 3339 time.
func ageOrigin(r *erasure.Request) (t time.Time, ok bool) {
	s := r.OccurredAt
	if r.BackfilledAt != "" {
		s = r.BackfilledAt
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// erasureLatencies returns how long each erased message took from its
// occurredAt (backfilledAt for a backfill); a message without an RFC 3339
// time there has none.
func erasureLatencies(b *batch) []sample {
	var out []sample
	for i := range b.report.Messages {
		m := &b.report.Messages[i]
		if m.Status().Outcome != eraser.Erased {
			continue
		}
		if t, ok := ageOrigin(&m.Request); ok {
			out = append(out, sample{value: max(0, b.now.Sub(t).Seconds())})
		}
	}
	return out
}
