package timtest

import (
	"maps"
	"slices"
	"time"
)

// maxCalls bounds the call log. At the real API's 100 calls per second it
// holds the last quarter hour or more, which covers any test or benchmark,
// while a long `make run` cannot grow it without limit.
const maxCalls = 100_000

// Call is one API request as the stand-in saw it. It carries no account
// IDs: benchmarks and tests need shapes and outcomes, and the call log
// should be safe to print.
type Call struct {
	// Time is when the request was handled, by Config.Now.
	Time time.Time
	// Path is the API path called, such as PathTimPushRemoveAttr.
	Path string
	// Family and Op say what Path is.
	Family Family
	Op     Op
	// Accounts is the number of UserAttrs entries, or of To_Account
	// entries of a tag removal or a read-back; 0 for OpGetAttrName, or if the body was
	// never read or did not parse.
	Accounts int
	// HTTPStatus is the HTTP status answered, or 0 for a reset connection.
	HTTPStatus int
	// ErrorCode is the Tencent ErrorCode answered (0 for success and for
	// non-JSON answers).
	ErrorCode int
	// Failed is the number of accounts of the call reported in
	// ErrorList (by FailAccounts).
	Failed int
	// Injected is the number of ErrorList entries added by
	// InjectErrorList.
	Injected int
	// Fault is the injected fault, FaultNone if there was none.
	Fault FaultKind
}

// Stats are counters since the server started or was last Reset. The
// counters of removals and attribute-name calls sum both families; Paths
// tells them apart.
type Stats struct {
	// Requests counts every HTTP request, including 404s and faults.
	Requests int
	// RemoveCalls counts remove_attr calls answered "OK".
	RemoveCalls int
	// AttrNameCalls counts get_attr_name calls answered "OK".
	AttrNameCalls int
	// RemoveAllTagsCalls counts tag removals (im_remove_all_tags,
	// clear_all_tags) answered "OK".
	RemoveAllTagsCalls int
	// GetAttrCalls and GetTagCalls count read-backs (im_get_attr and
	// get_attr, im_get_tag and get_tag) answered "OK".
	GetAttrCalls, GetTagCalls int
	// Accounts counts accounts whose attributes were removed, summed over
	// calls; an account sent twice counts twice.
	Accounts int
	// TagAccounts counts accounts whose tags were cleared, summed over
	// calls like Accounts.
	TagAccounts int
	// AccountErrors counts accounts reported in ErrorList by
	// FailAccounts, removing attributes or tags.
	AccountErrors int
	// InjectedErrorEntries counts ErrorList entries added by
	// InjectErrorList, summed over calls.
	InjectedErrorEntries int
	// MaxAccountsPerCall is the most accounts of an accepted call
	// removing attributes or tags.
	MaxAccountsPerCall int
	// RateLimited counts CodeRateLimited answers caused by
	// Config.RateLimit (injected ones are in Faults).
	RateLimited int
	// FaultsInjected counts injected faults of every kind.
	FaultsInjected int
	// Faults counts injected faults by kind.
	Faults map[FaultKind]int
	// Rejected counts "FAIL" answers by ErrorCode, whatever the cause.
	Rejected map[int]int
	// HTTPStatus counts answers with an HTTP status other than 200.
	HTTPStatus map[int]int
	// CallsDropped counts Call records discarded to bound the log.
	CallsDropped int
	// Paths breaks the API requests down by path; it has an entry for
	// each of the ten paths served.
	Paths map[string]PathStats
}

// PathStats are the counters of one API path.
type PathStats struct {
	// Requests counts POST requests to the path, whatever came of them.
	Requests int
	// OK counts calls answered "OK".
	OK int
	// Rejected counts "FAIL" answers, whatever the cause.
	Rejected int
	// RateLimited counts CodeRateLimited answers caused by
	// Config.RateLimit.
	RateLimited int
	// Faults counts injected faults.
	Faults int
	// Redirected counts answers of SetRedirect.
	Redirected int
	// Accounts counts accounts whose attributes were removed or whose
	// tags were cleared, summed over calls.
	Accounts int
	// AccountErrors counts accounts reported in ErrorList by FailAccounts.
	AccountErrors int
	// InjectedErrorEntries counts ErrorList entries added by
	// InjectErrorList.
	InjectedErrorEntries int
	// MaxAccountsPerCall is the most accounts of an accepted call.
	MaxAccountsPerCall int
}

// clone returns a deep copy, so callers cannot race with the server.
func (s Stats) clone() Stats {
	s.Faults = maps.Clone(s.Faults)
	s.Rejected = maps.Clone(s.Rejected)
	s.HTTPStatus = maps.Clone(s.HTTPStatus)
	return s
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats.clone()
	st.Paths = make(map[string]PathStats, len(s.perPath))
	for path, ps := range s.perPath {
		st.Paths[path] = *ps
	}
	return st
}

// Calls returns a copy of the remove_attr call log of both families, oldest
// first: what it always was, so that counting its entries still counts the
// calls removing attributes.
func (s *Server) Calls() []Call { return s.CallsOf(OpRemoveAttr) }

// CallsOf returns a copy of the log of op's calls in both families, oldest
// first.
func (s *Server) CallsOf(op Op) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// AllCalls returns a copy of the log of every API call, oldest first.
func (s *Server) AllCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Removed returns the attribute names removed for account, sorted, or nil if
// none were.
func (s *Server) Removed(account string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.removed[account])
}

// RemovedAccounts returns a snapshot of every account with removed
// attributes, each with its sorted attribute names.
func (s *Server) RemovedAccounts() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]string, len(s.removed))
	for acct, attrs := range s.removed {
		out[acct] = sortedKeys(attrs)
	}
	return out
}

// Reset forgets removals, tag removals, counters and the call log, keeping
// configuration, key, faults, failing accounts, injected ErrorList entries,
// the redirect, the rate window and the tags accounts still have (set up,
// like failing accounts, by the test). Benchmarks call it between rounds.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = make(map[string]map[string]struct{})
	s.cleared = make(map[string]int)
	s.readFaults.stale = make(map[string]staleView)
	s.stats = newStats()
	s.perPath = newPathStats()
	s.calls = nil
}

func newStats() Stats {
	return Stats{
		Faults:     make(map[FaultKind]int),
		Rejected:   make(map[int]int),
		HTTPStatus: make(map[int]int),
	}
}

func newPathStats() map[string]*PathStats {
	m := make(map[string]*PathStats, len(routes))
	for path := range routes {
		m[path] = new(PathStats)
	}
	return m
}

// logCall appends c, dropping the oldest half when the log is full so the
// cost stays amortised O(1). The caller holds the lock.
func (s *Server) logCall(c Call) {
	if len(s.calls) >= maxCalls {
		n := len(s.calls) / 2
		s.stats.CallsDropped += n
		s.calls = append(s.calls[:0], s.calls[n:]...)
	}
	s.calls = append(s.calls, c)
}

func sortedKeys(m map[string]struct{}) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}
