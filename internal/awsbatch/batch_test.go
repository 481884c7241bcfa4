package awsbatch_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// secret stands for the data a panic value might hold.
const secret = "secret-acct-123456789012"

func TestSplit(t *testing.T) {
	limits := awsbatch.Limits{Entries: 3, Bytes: 100}
	tests := []struct {
		name  string
		sizes []int
		want  [][]int // the sizes of each call
	}{
		{"none", nil, nil},
		{"one", []int{10}, [][]int{{10}}},
		{"entries", []int{1, 2, 3, 4, 5, 6, 7}, [][]int{{1, 2, 3}, {4, 5, 6}, {7}}},
		{"exactly full", []int{1, 2, 3}, [][]int{{1, 2, 3}}},
		{"bytes", []int{60, 40, 1, 99, 2}, [][]int{{60, 40}, {1, 99}, {2}}},
		{"bytes exactly", []int{50, 50, 50}, [][]int{{50, 50}, {50}}},
		{"too large alone", []int{5, 150, 5}, [][]int{{5}, {150}, {5}}},
		{"sizeless", []int{0, 0, 0, 0}, [][]int{{0, 0, 0}, {0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Items carry their position, to check the order is kept.
			type item struct{ pos, size int }
			items := make([]item, len(tt.sizes))
			for i, s := range tt.sizes {
				items[i] = item{pos: i, size: s}
			}
			calls := awsbatch.Split(items, limits, func(it item) int { return it.size })
			var got [][]int
			var order []item
			for _, c := range calls {
				var sizes []int
				for _, it := range c {
					sizes = append(sizes, it.size)
				}
				got = append(got, sizes)
				order = append(order, c...)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("calls = %v, want %v", got, tt.want)
			}
			if !slices.Equal(order, items) {
				t.Errorf("items = %v, want %v in order", order, items)
			}
		})
	}
}

// TestSplitCallsDoNotGrowIntoEachOther: a caller appending to one call
// must not overwrite the next one's items.
func TestSplitCallsDoNotGrowIntoEachOther(t *testing.T) {
	calls := awsbatch.Split([]int{1, 2, 3}, awsbatch.Limits{Entries: 1, Bytes: 10}, func(int) int { return 1 })
	_ = append(calls[0], 99)
	if calls[1][0] != 2 {
		t.Errorf("calls[1] = %v after appending to calls[0]", calls[1])
	}
}

func TestRun(t *testing.T) {
	failure := errors.New("call failed")
	tests := []struct {
		name        string
		batches     int
		maxInFlight int
		call        func(b int) error
		want        func(b int) error // nil: no error; else a cause errors.Is finds
		panics      func(b int) bool
	}{
		{name: "none", batches: 0, maxInFlight: 4, call: func(int) error { return nil }},
		{name: "all succeed", batches: 20, maxInFlight: 4, call: func(int) error { return nil }},
		{name: "one at a time", batches: 5, maxInFlight: 1, call: func(int) error { return nil }},
		{name: "no limit given", batches: 5, maxInFlight: 0, call: func(int) error { return nil }},
		{
			name: "some fail", batches: 12, maxInFlight: 3,
			call: func(b int) error {
				if b%4 == 1 {
					return failure
				}
				return nil
			},
			want: func(b int) error {
				if b%4 == 1 {
					return failure
				}
				return nil
			},
		},
		{
			name: "some panic", batches: 12, maxInFlight: 3,
			call: func(b int) error {
				if b%5 == 2 {
					panic(secret) // never in the error's text
				}
				return nil
			},
			panics: func(b int) bool { return b%5 == 2 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batches := make([]int, tt.batches)
			for i := range batches {
				batches[i] = i
			}
			var inFlight, most, done atomic.Int32
			errs := awsbatch.Run(batches, tt.maxInFlight, func(b int) error {
				defer done.Add(1)
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond) // let the calls overlap
				return tt.call(b)
			})
			if got := int(done.Load()); got != tt.batches {
				t.Errorf("%d calls returned before Run, want %d", got, tt.batches)
			}
			if limit := max(tt.maxInFlight, 1); int(most.Load()) > limit {
				t.Errorf("%d calls in flight, want at most %d", most.Load(), limit)
			}
			if len(errs) != tt.batches {
				t.Fatalf("%d errors for %d batches", len(errs), tt.batches)
			}
			for b, err := range errs {
				var want error
				if tt.want != nil {
					want = tt.want(b)
				}
				var p *erasure.PanicError
				switch panicked := tt.panics != nil && tt.panics(b); {
				case panicked && (!errors.As(err, &p) || strings.Contains(err.Error(), secret)):
					t.Errorf("batch %d: %v, want a *PanicError without the panic's value", b, err)
				case !panicked && !errors.Is(err, want):
					t.Errorf("batch %d: %v, want %v", b, err, want)
				}
			}
		})
	}
}
