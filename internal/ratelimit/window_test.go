package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/synctest"
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
			w := newWindow(tt.limit, tt.per)
			r := rand.New(rand.NewPCG(1, 2))
			now := time.Unix(1_700_000_000, 0)
			var slots []time.Time
			for range 1000 {
				now = now.Add(tt.gaps(r))
				slot, pending := w.reserve(now, time.Time{})
				if slot == nil || pending != nil {
					t.Fatal("refused without a deadline, or a settled slot seen as pending")
				}
				slot.Release() // counted from its admission, as simulated
				at := slot.at
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
	w := newWindow(1, time.Second)
	now := time.Unix(1_700_000_000, 0)
	first, _ := w.reserve(now, time.Time{})
	first.Release()
	if slot, pending := w.reserve(now, now.Add(500*time.Millisecond)); slot != nil || pending != nil {
		t.Fatal("a slot past the deadline was granted")
	}
	// The refused caller took nothing: the next slot is still one window
	// after the first.
	if slot, _ := w.reserve(now, time.Time{}); slot == nil || !slot.at.Equal(first.at.Add(time.Second)) {
		t.Errorf("next slot %v, want %v", slot, first.at.Add(time.Second))
	}
}

// TestSlotsCountFromTheWrite: a call whose request is written late pushes
// the call limit places later back, and that call waits until the write is
// known.
func TestSlotsCountFromTheWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const per = 80 * time.Millisecond
		w := newWindow(1, per)
		first, err := w.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan time.Time)
		go func() {
			if err := w.Wait(context.Background()); err != nil {
				t.Error(err)
			}
			got <- time.Now()
		}()
		time.Sleep(50 * time.Millisecond) // a slow connection
		written := time.Now()
		first.Sent()
		if second := <-got; second.Sub(written) != per {
			t.Errorf("the next call came %v after the write, want %v", second.Sub(written), per)
		}
	})
}

func TestReleaseAfterSentKeepsTheWrite(t *testing.T) {
	w := newWindow(1, time.Hour)
	s, _ := w.Acquire(context.Background())
	s.Sent()
	at := s.at
	s.Release()
	if !s.at.Equal(at) {
		t.Error("Release after Sent changed the slot")
	}
}

func TestWaitVirtualClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWindow(5, 100*time.Millisecond)
		start := time.Now()
		for range 5 {
			if err := w.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("a fresh window made the first 5 calls wait %v", d)
		}
		if err := w.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("the sixth call came after %v, want at the end of the first window", d)
		}

		busy := newWindow(1, time.Hour)
		_ = busy.Wait(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := busy.Wait(ctx); !errors.Is(err, errDeadline) {
			t.Errorf("err = %v, want errDeadline", err)
		}
		cancelled, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if err := busy.Wait(cancelled); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
