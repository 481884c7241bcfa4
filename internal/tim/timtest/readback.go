// Read-backs: im_get_attr / im_get_tag (get_attr / get_tag in timpush)
// answer what each account still holds, from the same data the removals
// change: attributes with their values ([Server.SetAttrs]) and tags
// ([Server.SetTags]). Answers come in shuffled order, as nothing promises
// Tencent's follow the request's. Three faults model what verification
// exists to catch: a removal answered OK but not applied
// ([Server.IgnoreRemovals]), a read path lagging behind writes
// ([Server.SetReadLag]), and a read-back answer naming an account not asked
// for or naming one twice ([Server.CorruptReadBacks]).

package timtest

import (
	"maps"
	"time"
)

// ReadBackFault is a way [Server.CorruptReadBacks] spoils a read-back
// answer.
type ReadBackFault string

// The read-back faults.
const (
	// ReadBackStranger adds an entry for StrangerAccount, an account the
	// call did not ask for.
	ReadBackStranger ReadBackFault = "stranger"
	// ReadBackDuplicate repeats the answer's first entry.
	ReadBackDuplicate ReadBackFault = "duplicate"
)

// StrangerAccount is the account ReadBackStranger names; tests must not
// ask for it.
const StrangerAccount = "timtest-stranger"

// userAttrs and userTags are entries of a read-back answer. Attrs and Tags
// are never nil, so an account without data answers "Attrs":{} or
// "Tags":[], as the real service does.
type userAttrs struct {
	Account string            `json:"To_Account"`
	Attrs   map[string]string `json:"Attrs"`
}

type userTags struct {
	Account string   `json:"To_Account"`
	Tags    []string `json:"Tags"`
}

// readFaults is the read-back fault state, under the server's lock.
type readFaults struct {
	// unapplied[{account, tags}] is how many more removals of the
	// account's attributes (or tags) are answered OK without being
	// applied; negative means every one.
	unapplied map[unappliedKey]int
	// lag is how long a write stays invisible to reads.
	lag time.Duration
	// stale is what reads of an account see until a write becomes
	// visible.
	stale   map[string]staleView
	corrupt ReadBackFault
	// corruptLeft is how many more answers to spoil; negative means every
	// one.
	corruptLeft int
}

// staleView is an account as it was before writes not yet visible.
type staleView struct {
	attrs map[string]string
	tags  map[string]struct{}
	until time.Time
}

// SetAttrs gives account exactly attrs (name -> value; none: no data),
// replacing what it had. Removals delete the names they remove, and
// read-backs answer what is left. Values are test data standing for
// personal data: a client must never log or keep them.
func (s *Server) SetAttrs(account string, attrs map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(attrs) == 0 {
		delete(s.attrs, account)
		return
	}
	s.attrs[account] = maps.Clone(attrs)
}

// Attrs returns a copy of the attributes account still has, nil if none.
func (s *Server) Attrs(account string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.attrs[account])
}

// IgnoreRemovals makes the next times removals of accounts answer OK
// without changing anything, the fault verification exists to catch; a
// negative times means every later one, zero stops it. Attributes and tags
// count apart (either family), so that the order in which their calls
// arrive does not decide which is ignored. Removed and TagsCleared do not
// count them.
func (s *Server) IgnoreRemovals(times int, accounts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range accounts {
		for _, r := range []unappliedKey{{a, false}, {a, true}} {
			if times == 0 {
				delete(s.readFaults.unapplied, r)
				continue
			}
			s.readFaults.unapplied[r] = times
		}
	}
}

// unappliedKey names what a removal call removes from an account: its
// attributes, or its tags.
type unappliedKey struct {
	account string
	tags    bool
}

// SetReadLag makes every later write (a removal of attributes or tags)
// invisible to read-backs for d: until then they answer the account as it
// was. Zero makes writes visible at once again.
func (s *Server) SetReadLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readFaults.lag = d
}

// CorruptReadBacks spoils the next n read-back answers (negative: every
// one) with f; n zero stops it. The data is read as usual: only the answer
// lies.
func (s *Server) CorruptReadBacks(f ReadBackFault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readFaults.corrupt, s.readFaults.corruptLeft = f, n
}

// ignored tells whether the removal r is answered OK without being
// applied, and counts it. The caller holds the lock.
func (s *Server) ignored(r unappliedKey) bool {
	n, ok := s.readFaults.unapplied[r]
	if !ok {
		return false
	}
	if n > 0 {
		if n == 1 {
			delete(s.readFaults.unapplied, r)
		} else {
			s.readFaults.unapplied[r] = n - 1
		}
	}
	return true
}

// beforeWrite keeps what reads of account see while the read path lags.
// An account already stale keeps its older view a little longer. The
// caller holds the lock.
func (s *Server) beforeWrite(account string, now time.Time) {
	lag := s.readFaults.lag
	if lag <= 0 {
		return
	}
	v, ok := s.readFaults.stale[account]
	if !ok || !now.Before(v.until) {
		v = staleView{attrs: maps.Clone(s.attrs[account]), tags: maps.Clone(s.tags[account])}
	}
	v.until = now.Add(lag)
	s.readFaults.stale[account] = v
}

// view is what a read of account sees at now. The caller holds the lock.
func (s *Server) view(account string, now time.Time) (map[string]string, map[string]struct{}) {
	if v, ok := s.readFaults.stale[account]; ok {
		if now.Before(v.until) {
			return v.attrs, v.tags
		}
		delete(s.readFaults.stale, account)
	}
	return s.attrs[account], s.tags[account]
}

// readBack validates a read-back body, {"To_Account":[...]}, with the rules
// of a tag removal's.
func (s *Server) readBack(body []byte, now time.Time) outcome {
	o := s.removeAllTags(body, now)
	o.reads, o.clears = o.clears, nil
	return o
}

// applyRead builds the answer of an accepted read-back and counts it. An
// account set up to fail (FailAccounts) is answered in ErrorList; with
// 70107, in timpush only, as all_member_push answers an unknown account
// with empty data. The caller holds the lock.
func (s *Server) applyRead(rt route, ps *PathStats, o *outcome) {
	for _, a := range o.reads {
		code, failing := s.failing[a]
		if failing && (code != CodeNoSuchAccount || rt.family == FamilyTimPush) {
			o.errorList = append(o.errorList, AccountError{Account: a, ErrorCode: code})
			continue
		}
		attrs, tags := s.view(a, o.now)
		if failing {
			attrs, tags = nil, nil
		}
		if rt.op == OpGetAttr {
			o.userAttrs = append(o.userAttrs, userAttrs{Account: a, Attrs: nonNilMap(maps.Clone(attrs))})
		} else {
			o.userTags = append(o.userTags, userTags{Account: a, Tags: nonNilSlice(sortedKeys(tags))})
		}
	}
	if rt.op == OpGetAttr {
		s.stats.GetAttrCalls++
		s.shuffle.Shuffle(len(o.userAttrs), func(i, j int) { o.userAttrs[i], o.userAttrs[j] = o.userAttrs[j], o.userAttrs[i] })
	} else {
		s.stats.GetTagCalls++
		s.shuffle.Shuffle(len(o.userTags), func(i, j int) { o.userTags[i], o.userTags[j] = o.userTags[j], o.userTags[i] })
	}
	ps.Accounts += len(o.reads)
	ps.MaxAccountsPerCall = max(ps.MaxAccountsPerCall, o.accounts)
	s.corruptRead(rt, o)
}

// corruptRead spoils o as CorruptReadBacks asked. The caller holds the
// lock.
func (s *Server) corruptRead(rt route, o *outcome) {
	f := &s.readFaults
	if f.corruptLeft == 0 {
		return
	}
	if f.corruptLeft > 0 {
		f.corruptLeft--
	}
	switch {
	case f.corrupt == ReadBackStranger && rt.op == OpGetAttr:
		o.userAttrs = append(o.userAttrs, userAttrs{Account: StrangerAccount, Attrs: map[string]string{}})
	case f.corrupt == ReadBackStranger:
		o.userTags = append(o.userTags, userTags{Account: StrangerAccount, Tags: []string{}})
	case len(o.userAttrs) > 0:
		o.userAttrs = append(o.userAttrs, o.userAttrs[0])
	case len(o.userTags) > 0:
		o.userTags = append(o.userTags, o.userTags[0])
	case len(o.errorList) > 0:
		o.errorList = append(o.errorList, o.errorList[0])
	}
	o.injected++
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
