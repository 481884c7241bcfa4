package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// maxInWindow returns the most times that fall in any window [t, t+per).
func maxInWindow(times []time.Time, per time.Duration) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= per {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// TestReserveSlots checks the slots themselves on a simulated clock, where
// no timer or scheduler delay blurs them: never more than limit in any
// window, and never later than needed.
func TestReserveSlots(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		per   time.Duration
		// arrivals: gaps between successive callers asking for a slot.
		gaps func(r *rand.Rand) time.Duration
	}{
		{"everyone at once", 100, time.Second, func(*rand.Rand) time.Duration { return 0 }},
		{"steady below the limit", 10, time.Second, func(*rand.Rand) time.Duration { return 150 * time.Millisecond }},
		{"random bursts", 100, time.Second + 40*time.Millisecond, func(r *rand.Rand) time.Duration {
			if r.IntN(10) == 0 {
				return time.Duration(r.IntN(500)) * time.Millisecond
			}
			return 0
		}},
		{"limit one", 1, 50 * time.Millisecond, func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(80)) * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWindow(tt.limit, tt.per)
			r := rand.New(rand.NewPCG(1, 2))
			now := time.Unix(1_700_000_000, 0)
			var slots []time.Time
			for range 1000 {
				now = now.Add(tt.gaps(r))
				at, ok := w.reserve(now, time.Time{})
				if !ok {
					t.Fatal("refused without a deadline")
				}
				if at.Before(now) {
					t.Fatalf("slot %v before the request %v", at, now)
				}
				// Not later than needed: either at once, or exactly one
				// window after the slot limit calls back.
				if at.After(now) && (len(slots) < tt.limit || !at.Equal(slots[len(slots)-tt.limit].Add(tt.per))) {
					t.Fatalf("call %d waited longer than the window requires", len(slots))
				}
				slots = append(slots, at)
			}
			if got := maxInWindow(slots, tt.per); got > tt.limit {
				t.Errorf("%d slots in one window, limit %d", got, tt.limit)
			}
		})
	}
}

func TestReserveDeadline(t *testing.T) {
	w := NewWindow(1, time.Second)
	now := time.Unix(1_700_000_000, 0)
	first, _ := w.reserve(now, time.Time{})
	if _, ok := w.reserve(now, now.Add(500*time.Millisecond)); ok {
		t.Fatal("a slot past the deadline was granted")
	}
	// The refused caller took nothing: the next slot is still one window
	// after the first.
	if at, ok := w.reserve(now, time.Time{}); !ok || !at.Equal(first.Add(time.Second)) {
		t.Errorf("next slot %v, want %v", at, first.Add(time.Second))
	}
}

func TestWaitRealClock(t *testing.T) {
	w := NewWindow(5, 100*time.Millisecond)
	start := time.Now()
	for range 5 {
		if err := w.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("a fresh window made the first 5 calls wait %v", d)
	}
	if err := w.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("the sixth call came after %v, within the first window", d)
	}

	busy := NewWindow(1, time.Hour)
	_ = busy.Wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := busy.Wait(ctx); !errors.Is(err, ErrDeadline) {
		t.Errorf("err = %v, want ErrDeadline", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := busy.Wait(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
