package timtest

import (
	"encoding/json"
	"net/http"
	"time"
)

// outcome is what handling a request came to; record turns it into state
// and counters, answer also writes it.
type outcome struct {
	now         time.Time
	status      int // HTTP status; 0 means the connection was reset
	fault       FaultKind
	rej         *rejection // nil for success
	rateLimited bool       // rej is due to Config.RateLimit
	accounts    int        // UserAttrs or To_Account entries, when the body parsed
	removals    []removal  // validated removals to apply on success
	clears      []string   // validated accounts whose tags to clear on success
	errorList   []AccountError
	injected    int         // entries of errorList added by InjectErrorList
	reads       []string    // validated accounts of a read-back
	userAttrs   []userAttrs // a get_attr answer
	userTags    []userTags  // a get_tag answer
}

// reply is every JSON answer. AttrNames is raw so an app with no names can
// still answer "AttrNames":{} while other answers omit it.
type reply struct {
	ActionStatus string          `json:"ActionStatus"`
	ErrorCode    int             `json:"ErrorCode"`
	ErrorInfo    string          `json:"ErrorInfo"`
	ErrorList    []AccountError  `json:"ErrorList,omitempty"`
	AttrNames    json.RawMessage `json:"AttrNames,omitempty"`
	UserAttrs    []userAttrs     `json:"UserAttrs,omitempty"`
	UserTags     []userTags      `json:"UserTags,omitempty"`
}

// answer records o and writes its JSON reply with HTTP 200, as the real API
// does for every answer that is not a network-level failure.
func (s *Server) answer(w http.ResponseWriter, rt route, o outcome) {
	o.status = http.StatusOK
	o = s.record(rt, o)

	rp := reply{ActionStatus: "OK"}
	if o.rej != nil {
		rp = reply{ActionStatus: "FAIL", ErrorCode: o.rej.code, ErrorInfo: o.rej.info}
	} else {
		rp.ErrorList = o.errorList
		rp.UserAttrs, rp.UserTags = o.userAttrs, o.userTags
		if rt.op == OpGetAttrName {
			_, rp.AttrNames = s.attrNames()
		}
	}
	js, err := json.Marshal(rp)
	if err != nil {
		// Unreachable: reply holds only strings, ints and valid raw JSON.
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(js)
}

// record applies o to the server's state under one lock, so removals,
// counters and the call log never disagree, and returns o with ErrorList
// filled in.
func (s *Server) record(rt route, o outcome) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()

	ps := s.perPath[rt.path]
	if o.status != http.StatusOK {
		s.stats.HTTPStatus[o.status]++
		if o.status >= 300 && o.status <= 399 {
			ps.Redirected++
		}
	}
	if o.fault != FaultNone {
		s.stats.FaultsInjected++
		s.stats.Faults[o.fault]++
		ps.Faults++
	}
	if o.rateLimited {
		s.stats.RateLimited++
		ps.RateLimited++
	}
	code := 0
	if o.rej != nil {
		code = o.rej.code
		s.stats.Rejected[code]++
		ps.Rejected++
		s.logf("%s: %d %s", rt.path, code, o.rej.info)
	} else if o.fault != FaultNone {
		s.logf("%s: injected %s", rt.path, o.fault)
	}

	failed := 0
	if o.rej == nil && o.status == http.StatusOK {
		ps.OK++
		switch rt.op {
		case OpGetAttrName:
			s.stats.AttrNameCalls++
		case OpGetAttr, OpGetTag:
			s.applyRead(rt, ps, &o)
		default:
			failed = s.applyErasure(rt.op, ps, &o)
		}
	}
	s.logCall(Call{
		Time:       o.now,
		Path:       rt.path,
		Family:     rt.family,
		Op:         rt.op,
		Accounts:   o.accounts,
		HTTPStatus: o.status,
		ErrorCode:  code,
		Failed:     failed,
		Injected:   o.injected,
		Fault:      o.fault,
	})
	return o
}

// applyErasure carries out an accepted call on accounts (op is OpRemoveAttr
// or OpRemoveAllTags), counts it, fills in o's ErrorList and returns the
// number of the call's accounts that failed. The caller holds the lock.
func (s *Server) applyErasure(op Op, ps *PathStats, o *outcome) int {
	var done int
	var erased *int // the Stats counter of the op's erased accounts
	switch op {
	case OpRemoveAttr:
		o.errorList, done = s.applyRemovals(o.removals, o.now), len(o.removals)
		s.stats.RemoveCalls++
		erased = &s.stats.Accounts
	default:
		o.errorList, done = s.applyClears(o.clears, o.now), len(o.clears)
		s.stats.RemoveAllTagsCalls++
		erased = &s.stats.TagAccounts
	}
	failed := len(o.errorList)
	*erased += done - failed
	ps.Accounts += done - failed
	s.stats.AccountErrors += failed
	ps.AccountErrors += failed
	s.stats.MaxAccountsPerCall = max(s.stats.MaxAccountsPerCall, o.accounts)
	ps.MaxAccountsPerCall = max(ps.MaxAccountsPerCall, o.accounts)
	// Appended after the genuine entries and counted apart, so the
	// counters above still say what was really done.
	o.errorList = append(o.errorList, s.inject...)
	o.injected = len(s.inject)
	s.stats.InjectedErrorEntries += o.injected
	ps.InjectedErrorEntries += o.injected
	return failed
}
