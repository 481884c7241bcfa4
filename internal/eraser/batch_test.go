package eraser_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// withSpare returns names in a slice with spare capacity, filled beyond its
// length with a sentinel, so an append into the shared array would show.
func withSpare(names ...string) []string {
	s := make([]string, len(names), len(names)+8)
	copy(s, names)
	for i := len(names); i < cap(s); i++ {
		s[:cap(s)][i] = "SENTINEL"
	}
	return s
}

// snapshot deep-copies requests, spare capacity included.
func snapshot(rs []erasure.Request) [][]string {
	var out [][]string
	for _, r := range rs {
		out = append(out, slices.Clone(r.Accounts[:cap(r.Accounts)]), slices.Clone(r.Attrs[:cap(r.Attrs)]))
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		requests []erasure.Request
		want     []planned
	}{
		{"none", nil, []planned{}},
		{
			"one message",
			[]erasure.Request{{Accounts: []string{"u1", "u2"}, Attrs: withSpare("sex")}},
			[]planned{entry("u1", []string{"sex"}, []int{0}), entry("u2", []string{"sex"}, []int{0})},
		},
		{
			"duplicates within a message",
			[]erasure.Request{{Accounts: []string{"u1", "u2", "u1", "u1"}, Attrs: withSpare("sex")}},
			[]planned{entry("u1", []string{"sex"}, []int{0}), entry("u2", []string{"sex"}, []int{0})},
		},
		{
			"first appearance order across messages",
			[]erasure.Request{
				{Accounts: []string{"c", "a"}, Attrs: withSpare("sex")},
				{Accounts: []string{"b", "a", "c", "d"}, Attrs: withSpare("sex")},
			},
			[]planned{
				entry("c", []string{"sex"}, []int{0, 1}),
				entry("a", []string{"sex"}, []int{0, 1}),
				entry("b", []string{"sex"}, []int{1}),
				entry("d", []string{"sex"}, []int{1}),
			},
		},
		{
			"attrs union",
			[]erasure.Request{
				{Accounts: []string{"u1", "u2"}, Attrs: withSpare("sex", "city")},
				{Accounts: []string{"u1"}, Attrs: withSpare("city", "level")},
				{Accounts: []string{"u2", "u1"}, Attrs: withSpare("country", "sex", "country")},
			},
			[]planned{
				entry("u1", []string{"sex", "city", "level", "country"}, []int{0, 1, 2}),
				entry("u2", []string{"sex", "city", "country"}, []int{0, 2}),
			},
		},
		{
			"account in first and last message only",
			[]erasure.Request{
				{Accounts: []string{"x"}, Attrs: withSpare("a")},
				{Accounts: []string{"y"}, Attrs: withSpare("b")},
				{Accounts: []string{"x", "x"}, Attrs: withSpare("a")},
			},
			[]planned{entry("x", []string{"a"}, []int{0, 2}), entry("y", []string{"b"}, []int{1})},
		},
		{
			"message indexes need not start at zero",
			[]erasure.Request{
				4: {Accounts: []string{"x"}, Attrs: withSpare("a")},
				7: {Accounts: []string{"x"}, Attrs: withSpare("b")},
			},
			[]planned{entry("x", []string{"a", "b"}, []int{4, 7})},
		},
		{
			"message without accounts",
			[]erasure.Request{
				{Accounts: []string{}, Attrs: withSpare("a")},
				{Accounts: []string{"x"}, Attrs: withSpare("b")},
			},
			[]planned{entry("x", []string{"b"}, []int{1})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(tt.requests)
			got := plannedOf(eraser.NewPlan(tt.requests))
			if !slices.EqualFunc(got, tt.want, entryEqual) {
				t.Errorf("Plan =\n %v\nwant\n %v", got, tt.want)
			}
			if after := snapshot(tt.requests); !slices.EqualFunc(before, after, slices.Equal) {
				t.Errorf("Plan modified its input:\n before %q\n after  %q", before, after)
			}
			// Planning again gives the same result: determinism.
			if again := plannedOf(eraser.NewPlan(tt.requests)); !slices.EqualFunc(got, again, entryEqual) {
				t.Errorf("second Plan differs: %v", again)
			}
		})
	}
}

// TestPlanEntriesIndependent checks that growing one entry's attributes does
// not leak into another entry that started from the same request slice.
func TestPlanEntriesIndependent(t *testing.T) {
	shared := withSpare("sex")
	requests := []erasure.Request{
		{Accounts: []string{"u1", "u2", "u3"}, Attrs: shared},
		{Accounts: []string{"u1"}, Attrs: withSpare("city")},
		{Accounts: []string{"u2"}, Attrs: withSpare("level")},
	}
	got := eraser.NewPlan(requests)
	want := [][]string{{"sex", "city"}, {"sex", "level"}, {"sex"}}
	for i, e := range got.Entries {
		if !slices.Equal(e.Attrs, want[i]) {
			t.Errorf("%s Attrs = %q, want %q", e.Account, e.Attrs, want[i])
		}
	}
	if shared[:cap(shared)][1] != "SENTINEL" {
		t.Errorf("the request's spare capacity was written: %q", shared[:cap(shared)])
	}
}

// planned is an entry of a plan with the messages that wait for it.
type planned struct {
	Account  string
	Attrs    []string
	Messages []int
}

func entry(account string, attrs []string, messages []int) planned {
	return planned{Account: account, Attrs: attrs, Messages: messages}
}

func entryEqual(a, b planned) bool {
	return a.Account == b.Account && slices.Equal(a.Attrs, b.Attrs) && slices.Equal(a.Messages, b.Messages)
}

// plannedOf reads every entry of p with its messages.
func plannedOf(p *eraser.Plan) []planned {
	out := make([]planned, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = planned{Account: e.Account, Attrs: e.Attrs, Messages: slices.Collect(p.Messages(i))}
	}
	return out
}

func entries(n int) []eraser.Entry {
	out := make([]eraser.Entry, n)
	for i := range out {
		out[i] = eraser.Entry{UserAttrs: tim.UserAttrs{Account: "u" + strconv.Itoa(i), Attrs: []string{"sex"}}}
	}
	return out
}

func sameEntry(a, b eraser.Entry) bool {
	return a.Account == b.Account && slices.Equal(a.Attrs, b.Attrs)
}

func TestPack(t *testing.T) {
	tests := []struct {
		n, size   int
		wantCalls int
		wantSize  int // the largest call allowed
	}{
		{0, 100, 0, 100},
		{1, 100, 1, 100},
		{99, 100, 1, 100},
		{100, 100, 1, 100},
		{101, 100, 2, 100},
		{250, 100, 3, 100},
		{250, 0, 3, 100},   // default size
		{250, -1, 3, 100},  // default size
		{250, 500, 3, 100}, // never above Tencent's limit
		{250, 7, 36, 7},
		{10, 1, 10, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d,size=%d", tt.n, tt.size), func(t *testing.T) {
			in := entries(tt.n)
			calls := eraser.Pack(in, tt.size)
			if len(calls) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(calls), tt.wantCalls)
			}
			var flat []eraser.Entry
			for i, c := range calls {
				if len(c) == 0 || len(c) > tt.wantSize {
					t.Errorf("call %d has %d entries, want 1..%d", i, len(c), tt.wantSize)
				}
				if i < len(calls)-1 && len(c) != tt.wantSize {
					t.Errorf("call %d has %d entries, only the last may be short", i, len(c))
				}
				if cap(c) != len(c) {
					t.Errorf("call %d has cap %d > len %d: appending would overwrite the next call", i, cap(c), len(c))
				}
				flat = append(flat, c...)
			}
			if !slices.EqualFunc(flat, in, sameEntry) {
				t.Error("calls do not hold the entries in order")
			}
		})
	}
	if erasure.MaxAccountsPerCall != 100 {
		t.Errorf("MaxAccountsPerCall = %d", erasure.MaxAccountsPerCall)
	}
}

func singleAccountRequests(n int) []erasure.Request {
	attrs := []string{"sex", "city"}
	rs := make([]erasure.Request, n)
	for i := range rs {
		rs[i] = erasure.Request{Accounts: []string{"user-" + strconv.Itoa(i)}, Attrs: attrs}
	}
	return rs
}

func TestPlanAndPack250Messages(t *testing.T) {
	plan := eraser.NewPlan(singleAccountRequests(250))
	calls := eraser.Pack(plan.Entries, erasure.MaxAccountsPerCall)
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	sizes := []int{len(calls[0]), len(calls[1]), len(calls[2])}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("call sizes %v, want [100 100 50]", sizes)
	}
	i := 0
	for _, c := range calls {
		for _, e := range c {
			if e.Account != "user-"+strconv.Itoa(i) || !slices.Equal(slices.Collect(plan.Messages(i)), []int{i}) {
				t.Fatalf("entry %d = %+v", i, e)
			}
			i++
		}
	}
}

func BenchmarkPlan(b *testing.B) {
	requests := singleAccountRequests(10_000)
	b.ReportAllocs()
	for b.Loop() {
		plan := eraser.NewPlan(requests)
		if len(plan.Entries) != 10_000 {
			b.Fatalf("%d entries", len(plan.Entries))
		}
	}
}
