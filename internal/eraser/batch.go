// Planning: merge the accounts of many messages and pack them into API
// calls of at most erasure.MaxAccountsPerCall accounts.

package eraser

import (
	"iter"
	"slices"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// Plan is the accounts of a batch merged into one entry per account, in
// order of first appearance, so the same batch always gives the same calls.
// It is compact because a 6 MB batch can name some 700,000 accounts: an
// entry records the first message waiting for it, and only the rare entry
// several messages wait for has a list of the others.
type Plan struct {
	Entries []Entry
	// later[i] lists the messages after the first of an entry whose later
	// is i+1.
	later [][]int32
}

// Entry is one account of a plan: the attributes every message asked to
// remove from it, exactly as the API call sends them.
type Entry struct {
	tim.UserAttrs
	first int32 // the first message that waits for it
	later int32 // 1 + its index in Plan.later; 0 when only first waits
}

// NewPlan merges the requests of a batch, indexed by message. A message's
// Attrs must be resolved (not nil); a message that is not to be sent has no
// Accounts.
func NewPlan(requests []erasure.Request) *Plan {
	total := 0
	for _, r := range requests {
		total += len(r.Accounts)
	}
	p := &Plan{Entries: make([]Entry, 0, total)}
	index := make(map[string]int32, total)
	for message, r := range requests {
		for _, account := range r.Accounts {
			i, seen := index[account]
			if !seen {
				index[account] = int32(len(p.Entries))
				// Attrs is shared with the request until a union needs a
				// copy: most accounts are asked for by one message only.
				p.Entries = append(p.Entries, Entry{UserAttrs: tim.UserAttrs{Account: account, Attrs: r.Attrs}, first: int32(message)})
				continue
			}
			e := &p.Entries[i]
			e.Attrs = union(e.Attrs, r.Attrs)
			p.addMessage(e, int32(message))
		}
	}
	return p
}

// addMessage records that message waits for e too; messages come in order,
// so a repeat is the last one recorded.
func (p *Plan) addMessage(e *Entry, message int32) {
	switch {
	case e.later == 0 && e.first == message:
	case e.later == 0:
		p.later = append(p.later, []int32{message})
		e.later = int32(len(p.later))
	default:
		list := &p.later[e.later-1]
		if (*list)[len(*list)-1] != message {
			*list = append(*list, message)
		}
	}
}

// Messages yields the messages that wait for entry i, in order.
func (p *Plan) Messages(i int) iter.Seq[int] {
	return func(yield func(int) bool) {
		e := &p.Entries[i]
		if !yield(int(e.first)) || e.later == 0 {
			return
		}
		for _, m := range p.later[e.later-1] {
			if !yield(int(m)) {
				return
			}
		}
	}
}

// union returns a followed by the names of b it lacks. It returns a itself
// when nothing is missing, and never modifies a shared slice.
func union(a, b []string) []string {
	var out []string
	for _, name := range b {
		if slices.Contains(a, name) || slices.Contains(out, name) {
			continue
		}
		if out == nil {
			out = slices.Clip(a)
		}
		out = append(out, name)
	}
	if out == nil {
		return a
	}
	return out
}

// Pack cuts entries into consecutive calls of at most size accounts
// (erasure.MaxAccountsPerCall when size is not positive). The calls share
// the entries' backing array.
func Pack(entries []Entry, size int) [][]Entry {
	if size <= 0 || size > erasure.MaxAccountsPerCall {
		size = erasure.MaxAccountsPerCall
	}
	calls := make([][]Entry, 0, (len(entries)+size-1)/size)
	for len(entries) > 0 {
		n := min(size, len(entries))
		calls = append(calls, entries[:n:n])
		entries = entries[n:]
	}
	return calls
}
