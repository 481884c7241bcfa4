package bench

import (
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// ParsePlan does what the processor does with a batch before the first
// call: parse every body (erasure.Parse), resolve the attribute set, merge
// (eraser.NewPlan) and pack (eraser.Pack). It returns the number of calls.
func ParsePlan(bodies []string, defaultAttrs []string) (int, error) {
	requests := make([]erasure.Request, len(bodies))
	for i, body := range bodies {
		req, err := erasure.Parse(body)
		if err != nil {
			return 0, err
		}
		if req.Attrs == nil {
			req.Attrs = defaultAttrs
		}
		requests[i] = req
	}
	entries := eraser.NewPlan(requests).Entries
	return len(eraser.Pack(entries, erasure.MaxAccountsPerCall)), nil
}

// Bodies returns the message bodies of one batch of shape s.
func Bodies(s Shape) []string {
	bodies := make([]string, s.Messages)
	for m := range bodies {
		bodies[m] = s.Body("p", m)
	}
	return bodies
}

// ParsePlanBenchmark returns the benchmark of ParsePlan over one batch of
// shape s; one op is the whole batch, s.Accounts() accounts.
func ParsePlanBenchmark(s Shape) func(b *testing.B) {
	bodies := Bodies(s)
	attrs := timtest.DefaultAttrNames
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			calls, err := ParsePlan(bodies, attrs)
			if err != nil {
				b.Fatal(err)
			}
			if calls != s.Accounts()/erasure.MaxAccountsPerCall {
				b.Fatalf("%d calls planned, want %d", calls, s.Accounts()/erasure.MaxAccountsPerCall)
			}
		}
	}
}

// PerAccount is a parse+plan result divided by the accounts of one op.
type PerAccount struct {
	NsPerAccount     float64
	BytesPerAccount  float64
	AllocsPerAccount float64
}

// MeasureParsePlan runs the benchmark with testing.Benchmark (as
// `go test -bench -benchmem` would) and divides by the accounts per batch.
func MeasureParsePlan(s Shape) PerAccount {
	r := testing.Benchmark(ParsePlanBenchmark(s))
	n := float64(s.Accounts())
	return PerAccount{
		NsPerAccount:     float64(r.NsPerOp()) / n,
		BytesPerAccount:  float64(r.AllocedBytesPerOp()) / n,
		AllocsPerAccount: float64(r.AllocsPerOp()) / n,
	}
}
