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

// Call is one im_remove_attr request as the stand-in saw it. It carries no
// account IDs: benchmarks and tests need shapes and outcomes, and the call
// log should be safe to print.
type Call struct {
	// Time is when the request was handled, by Config.Now.
	Time time.Time
	// Accounts is the number of UserAttrs entries, or 0 if the body was
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

// Stats are counters since the server started or was last Reset.
type Stats struct {
	// Requests counts every HTTP request, including 404s and faults.
	Requests int
	// RemoveCalls counts im_remove_attr calls answered "OK".
	RemoveCalls int
	// AttrNameCalls counts im_get_attr_name calls answered "OK".
	AttrNameCalls int
	// Accounts counts accounts whose attributes were removed, summed over
	// calls; an account sent twice counts twice.
	Accounts int
	// AccountErrors counts accounts reported in ErrorList by
	// FailAccounts.
	AccountErrors int
	// InjectedErrorEntries counts ErrorList entries added by
	// InjectErrorList, summed over calls.
	InjectedErrorEntries int
	// MaxAccountsPerCall is the largest UserAttrs of an accepted call.
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
	return s.stats.clone()
}

// Calls returns a copy of the im_remove_attr call log, oldest first.
func (s *Server) Calls() []Call {
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

// Reset forgets removals, counters and the call log, keeping configuration,
// key, faults, failing accounts, injected ErrorList entries, the redirect
// and the rate window. Benchmarks call it
// between rounds.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = make(map[string]map[string]struct{})
	s.stats = newStats()
	s.calls = nil
}

func newStats() Stats {
	return Stats{
		Faults:     make(map[FaultKind]int),
		Rejected:   make(map[int]int),
		HTTPStatus: make(map[int]int),
	}
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
