package eventstest

import (
	"net/http"
	"time"
)

// callRule fails whole calls.
type callRule struct {
	code  string
	left  int // calls still to fail; < 0 for good
	match func([]Event) bool
}

// entryRule fails entries, counting the attempts of each.
type entryRule struct {
	code     string
	n        int // attempts of each entry to fail; < 0 for good
	match    func(Event) bool
	attempts map[entryKey]int
}

// entryKey recognises an entry when it is put again.
type entryKey struct {
	bus, source, detailType, detail string
}

func keyOf(e Event) entryKey { return entryKey{e.EventBus, e.Source, e.DetailType, e.Detail} }

// FailCalls makes the first n PutEvents calls whose entries match select
// fail whole with the error code (e.g. "ThrottlingException",
// "InternalException", "AccessDeniedException"); n < 0 fails every such
// call, and a nil match selects every call. The HTTP status follows
// EventBridge (5xx for its own faults), which decides whether the SDK
// retries. The entries match sees are those of a well-formed request, ID
// unset. Rules add up; ClearFailures removes them. match runs with the
// Server's lock held: it must not call the Server.
func (s *Server) FailCalls(code string, n int, match func(entries []Event) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callRules = append(s.callRules, &callRule{code: code, left: n, match: match})
}

// FailEntries makes every valid entry that match selects fail, on its first
// n attempts (every attempt when n < 0), with the per-entry ErrorCode code
// (e.g. "InternalFailure" or "ThrottlingException", which EventBridge calls
// retryable, or "AccessDeniedException") while the rest of its call
// succeeds. An entry is recognised across calls by its bus, source, detail
// type and detail. A nil match selects every entry. Rules add up, the first
// that fails an entry wins; ClearFailures removes them. match runs with the
// Server's lock held: it must not call the Server.
func (s *Server) FailEntries(code string, n int, match func(Event) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entryRules = append(s.entryRules, &entryRule{code: code, n: n, match: match, attempts: make(map[entryKey]int)})
}

// ClearFailures removes every rule of FailCalls and FailEntries.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callRules, s.entryRules = nil, nil
}

// callFault returns the code the call of entries must fail with, or "".
// Callers hold s.mu.
func (s *Server) callFault(entries []Event) string {
	for _, r := range s.callRules {
		if r.left == 0 || (r.match != nil && !r.match(entries)) {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		return r.code
	}
	return ""
}

// entryFault returns the code e must fail with on this attempt, or "".
// Every matching rule counts the attempt. Callers hold s.mu.
func (s *Server) entryFault(e Event) string {
	code := ""
	for _, r := range s.entryRules {
		if r.match != nil && !r.match(e) {
			continue
		}
		k := keyOf(e)
		r.attempts[k]++
		if code == "" && (r.n < 0 || r.attempts[k] <= r.n) {
			code = r.code
		}
	}
	return code
}

// SetLatency makes every PutEvents call wait d before it is carried out
// and answered; 0 stops it. A call whose client gives up during the wait
// puts nothing, as a call EventBridge never got.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// wait waits d, and tells whether the request's client is still there.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
