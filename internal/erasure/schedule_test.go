package erasure

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const maxDuration = time.Duration(math.MaxInt64)
	tests := []struct {
		name          string
		base, ceiling time.Duration
		n             int
		want          time.Duration
	}{
		{"n 0 is base", time.Second, time.Minute, 0, time.Second},
		{"n 1 doubles", time.Second, time.Minute, 1, 2 * time.Second},
		{"n 5", time.Second, time.Minute, 5, 32 * time.Second},
		{"n 6 caps", time.Second, time.Minute, 6, time.Minute},
		{"exactly the ceiling", time.Second, 64 * time.Second, 6, 64 * time.Second},
		{"one below the ceiling", time.Second, 64*time.Second - 1, 6, 64*time.Second - 1},
		{"negative n is 0", time.Second, time.Minute, -1, time.Second},
		{"most negative n is 0", time.Second, time.Minute, math.MinInt, time.Second},
		{"base above ceiling caps", time.Hour, time.Minute, 0, time.Minute},
		{"base equal to ceiling", time.Minute, time.Minute, 3, time.Minute},
		{"zero base", 0, time.Minute, 3, 0},
		{"negative base", -time.Second, time.Minute, 3, 0},
		{"zero ceiling", time.Second, 0, 3, 0},
		{"negative ceiling", time.Second, -time.Minute, 3, 0},

		// base<<n would wrap negative or to a small value; the result
		// must be the ceiling instead.
		{"large base, n 29", 20 * time.Second, 12 * time.Hour, 29, 12 * time.Hour},
		{"n 62", 1, maxDuration, 62, 1 << 62},
		{"n 63", 1, maxDuration, 63, maxDuration},
		{"n 64", 1, maxDuration, 64, maxDuration},
		{"n 200", time.Second, time.Hour, 200, time.Hour},
		{"max int n", time.Nanosecond, time.Hour, math.MaxInt, time.Hour},
		{"max base, max ceiling", maxDuration, maxDuration, 1, maxDuration},
		{"half max doubles to below max", maxDuration / 2, maxDuration, 1, maxDuration - 1},
		{"half max plus one caps", maxDuration/2 + 1, maxDuration, 1, maxDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Backoff(tt.base, tt.ceiling, tt.n)
			if got != tt.want {
				t.Errorf("Backoff(%d, %d, %d) = %d, want %d", tt.base, tt.ceiling, tt.n, got, tt.want)
			}
		})
	}
}

// TestBackoffBounds checks every n of a range against the definition: it
// never exceeds the ceiling, never goes negative, and never shrinks as n
// grows.
func TestBackoffBounds(t *testing.T) {
	for _, base := range []time.Duration{1, time.Millisecond, 17 * time.Second, time.Hour, math.MaxInt64 / 3} {
		for _, ceiling := range []time.Duration{1, time.Second, 12 * time.Hour, math.MaxInt64} {
			prev := time.Duration(0)
			for n := -2; n < 130; n++ {
				d := Backoff(base, ceiling, n)
				if d < 0 || d > ceiling || d < prev {
					t.Fatalf("Backoff(%d, %d, %d) = %d after %d", base, ceiling, n, d, prev)
				}
				prev = d
			}
			if prev != ceiling {
				t.Errorf("Backoff(%d, %d, 129) = %d, want the ceiling", base, ceiling, prev)
			}
		}
	}
}

func TestScheduleDelay(t *testing.T) {
	tests := []struct {
		name         string
		schedule     Schedule
		receiveCount int
		want         time.Duration
	}{
		{"zero: first receive", Schedule{}, 1, DefaultRetryBase},
		{"zero: second receive", Schedule{}, 2, 2 * DefaultRetryBase},
		{"zero: capped at the default max", Schedule{}, 8, DefaultRetryMax},
		{"zero: far receive", Schedule{}, 1000, DefaultRetryMax},
		{"receive 0 is the first", Schedule{}, 0, DefaultRetryBase},
		{"negative receive is the first", Schedule{}, -5, DefaultRetryBase},
		{"most negative receive is the first", Schedule{}, math.MinInt, DefaultRetryBase},
		{"max int receive", Schedule{}, math.MaxInt, DefaultRetryMax},
		{"negative fields take the defaults", Schedule{Base: -1, Max: -1}, 2, 2 * DefaultRetryBase},
		{"zero base takes the default", Schedule{Max: 12 * time.Hour}, 3, 4 * DefaultRetryBase},
		{"zero max takes the default", Schedule{Base: time.Second}, 20, DefaultRetryMax},
		{"configured", Schedule{Base: time.Second, Max: time.Minute}, 4, 8 * time.Second},
		{"configured cap", Schedule{Base: time.Second, Max: time.Minute}, 7, time.Minute},
		{"base above max", Schedule{Base: time.Hour, Max: time.Minute}, 1, time.Minute},
		{"max above SQS clamps", Schedule{Base: time.Hour, Max: 48 * time.Hour}, 10, MaxRetryDelay},
		{"base above SQS clamps", Schedule{Base: 24 * time.Hour, Max: 48 * time.Hour}, 1, MaxRetryDelay},
		{"huge base cannot overflow", Schedule{Base: math.MaxInt64, Max: math.MaxInt64}, 40, MaxRetryDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.schedule.Delay(tt.receiveCount); got != tt.want {
				t.Errorf("%+v.Delay(%d) = %v, want %v", tt.schedule, tt.receiveCount, got, tt.want)
			}
		})
	}
}
