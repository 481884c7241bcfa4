// Planning: merge the accounts of many messages and pack them into API
// calls of at most erasure.MaxAccountsPerCall accounts.

package eraser

import (
	"slices"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// Entry is one account of a plan: the attributes every message asked to
// remove from it, exactly as the API call sends them, and the messages that
// wait for it.
type Entry struct {
	tim.UserAttrs
	Messages []int
}

// Plan merges the requests of a batch, indexed by message, into one entry
// per account in order of first appearance, so the same batch always gives
// the same calls. A message's Attrs must be resolved (not nil); a message
// that is not to be sent has no Accounts.
func Plan(requests []erasure.Request) []Entry {
	total := 0
	for _, r := range requests {
		total += len(r.Accounts)
	}
	entries := make([]Entry, 0, total)
	index := make(map[string]int, total)
	for message, r := range requests {
		for _, account := range r.Accounts {
			i, seen := index[account]
			if !seen {
				index[account] = len(entries)
				// Attrs is shared with the request until a union needs a
				// copy: most accounts are asked for by one message only.
				entries = append(entries, Entry{tim.UserAttrs{Account: account, Attrs: r.Attrs}, []int{message}})
				continue
			}
			e := &entries[i]
			e.Attrs = union(e.Attrs, r.Attrs)
			if last := e.Messages[len(e.Messages)-1]; last != message {
				e.Messages = append(e.Messages, message)
			}
		}
	}
	return entries
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
