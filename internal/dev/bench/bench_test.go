package bench

import (
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// BenchmarkParsePlan is item 3 of issue 4: divide ns/op, B/op and
// allocs/op by 10,000 for the per-account cost.
func BenchmarkParsePlan(b *testing.B) {
	b.Run("10000x1", ParsePlanBenchmark(ShapeB))
	b.Run("100x100", ParsePlanBenchmark(ShapeA))
}

// TestShapesParse keeps the generated batches valid messages; an invalid
// body would make every throughput number meaningless.
func TestShapesParse(t *testing.T) {
	for _, s := range []Shape{ShapeA, ShapeB} {
		ev := s.Event("t")
		seen := map[string]bool{}
		for _, r := range ev.Records {
			req, err := erasure.Parse(r.Body)
			if err != nil {
				t.Fatalf("%s: %v", s.Name, err)
			}
			for _, a := range req.Accounts {
				if seen[a] {
					t.Fatalf("%s: account repeated", s.Name)
				}
				seen[a] = true
			}
		}
		if len(seen) != s.Accounts() {
			t.Fatalf("%s: %d accounts, want %d", s.Name, len(seen), s.Accounts())
		}
	}
}
