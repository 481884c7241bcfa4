package eraser_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// accountsOf returns n distinct accounts of message m.
func accountsOf(m, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%d-u%d", m, i)
	}
	return out
}

// TestMemoryBudgetHandsOnWhatDoesNotFit: a batch holding more accounts than
// MemoryBudget allows is processed as far as it fits; the messages beyond
// it are handed on unread (requeued from a standard queue, failed and
// delayed behind the first on a FIFO one), never lost and never counted as failures of
// their own; the first message always goes ahead.
func TestMemoryBudgetHandsOnWhatDoesNotFit(t *testing.T) {
	const perMessage = 300
	var msgs []eraser.Message
	bodies := 0
	for m := range 4 {
		msg := message(fmt.Sprintf("m%d", m), erasureBody(accountsOf(m, perMessage)...))
		bodies += len(msg.Body)
		msgs = append(msgs, msg)
	}
	// Room for the bodies, twice, and a little over two messages'
	// accounts at 160 bytes each.
	twoAndABit := int64(2*bodies) + 2*perMessage*160 + 100
	tests := []struct {
		name     string
		budget   int64
		ordered  bool
		erased   []string
		wantLeft map[string]erasure.Class
		orders   []string
	}{
		{"no budget", 0, false, []string{"m0", "m1", "m2", "m3"}, map[string]erasure.Class{}, nil},
		{"standard queue", twoAndABit, false, []string{"m0", "m1"},
			map[string]erasure.Class{"m2": erasure.Capacity, "m3": erasure.Capacity},
			[]string{"m2:requeue:1", "m3:requeue:1"}},
		{"FIFO queue", twoAndABit, true, []string{"m0", "m1"},
			map[string]erasure.Class{"m2": erasure.Capacity, "m3": erasure.FIFOBlocked},
			[]string{"m2:delay:30s", "m3:delay:30s"}},
		{"the first message always goes", 1, false, []string{"m0"},
			map[string]erasure.Class{"m1": erasure.Capacity, "m2": erasure.Capacity, "m3": erasure.Capacity},
			[]string{"m1:requeue:1", "m2:requeue:1", "m3:requeue:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			f.p.MemoryBudget = tt.budget
			q := &recordingQueue{messages: msgs}
			h := &eraser.Handler{Processor: f.p}
			report, err := h.Handle(context.Background(), eraser.Batch{Messages: msgs, Ordered: tt.ordered}, q)
			if err != nil {
				t.Fatal(err)
			}
			var erased []string
			left := map[string]erasure.Class{}
			for i := range report.Messages {
				m := &report.Messages[i]
				s := m.Status()
				if s.Outcome == eraser.Erased {
					erased = append(erased, m.MessageID)
					continue
				}
				left[m.MessageID] = s.Class
				if s.Class == erasure.Capacity && (!m.Unreached || s.Failed() != tt.ordered) {
					t.Errorf("%s: unreached %v, counted failed %v; want unreached, a failure only on a FIFO queue", m.MessageID, m.Unreached, s.Failed())
				}
			}
			if !slices.Equal(erased, tt.erased) {
				t.Errorf("erased %v, want %v", erased, tt.erased)
			}
			if fmt.Sprint(left) != fmt.Sprint(tt.wantLeft) {
				t.Errorf("left %v, want %v", left, tt.wantLeft)
			}
			if got := q.summary(); !slices.Equal(got, tt.orders) {
				t.Errorf("orders %v, want %v", got, tt.orders)
			}
			checkPromise(t, f.stub, report)
			for _, m := range msgs[len(tt.erased):] {
				for _, a := range accountsOf(int(m.ID[1]-'0'), perMessage) {
					if f.stub.Removed(a) != nil {
						t.Fatalf("%s was handed on unread, but its account %s was removed", m.ID, a)
					}
				}
			}
		})
	}
}
