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
	accounts    int        // UserAttrs entries, when the body parsed
	removals    []removal  // validated removals to apply on success
	errorList   []AccountError
	injected    int // entries of errorList added by InjectErrorList
}

// reply is every JSON answer. AttrNames is raw so an app with no names can
// still answer "AttrNames":{} while other answers omit it.
type reply struct {
	ActionStatus string          `json:"ActionStatus"`
	ErrorCode    int             `json:"ErrorCode"`
	ErrorInfo    string          `json:"ErrorInfo"`
	ErrorList    []AccountError  `json:"ErrorList,omitempty"`
	AttrNames    json.RawMessage `json:"AttrNames,omitempty"`
}

// answer records o and writes its JSON reply with HTTP 200, as the real API
// does for every answer that is not a network-level failure.
func (s *Server) answer(w http.ResponseWriter, path string, o outcome) {
	o.status = http.StatusOK
	o = s.record(path, o)

	rp := reply{ActionStatus: "OK"}
	if o.rej != nil {
		rp = reply{ActionStatus: "FAIL", ErrorCode: o.rej.code, ErrorInfo: o.rej.info}
	} else {
		rp.ErrorList = o.errorList
		if path == PathGetAttrName {
			rp.AttrNames = s.namesJSON
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
func (s *Server) record(path string, o outcome) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()

	if o.status != http.StatusOK {
		s.stats.HTTPStatus[o.status]++
	}
	if o.fault != FaultNone {
		s.stats.FaultsInjected++
		s.stats.Faults[o.fault]++
	}
	if o.rateLimited {
		s.stats.RateLimited++
	}
	code := 0
	if o.rej != nil {
		code = o.rej.code
		s.stats.Rejected[code]++
		s.logf("%s: %d %s", path, code, o.rej.info)
	} else if o.fault != FaultNone {
		s.logf("%s: injected %s", path, o.fault)
	}

	succeeded := o.rej == nil && o.status == http.StatusOK
	if path == PathGetAttrName {
		if succeeded {
			s.stats.AttrNameCalls++
		}
		return o
	}

	failed := 0
	if succeeded {
		o.errorList = s.applyRemovals(o.removals)
		failed = len(o.errorList)
		s.stats.RemoveCalls++
		s.stats.Accounts += len(o.removals) - failed
		s.stats.AccountErrors += failed
		s.stats.MaxAccountsPerCall = max(s.stats.MaxAccountsPerCall, o.accounts)
		// Appended after the genuine entries and counted apart, so the
		// counters above still say what was really removed.
		o.errorList = append(o.errorList, s.inject...)
		o.injected = len(s.inject)
		s.stats.InjectedErrorEntries += o.injected
	}
	s.logCall(Call{
		Time:       o.now,
		Accounts:   o.accounts,
		HTTPStatus: o.status,
		ErrorCode:  code,
		Failed:     failed,
		Injected:   o.injected,
		Fault:      o.fault,
	})
	return o
}
