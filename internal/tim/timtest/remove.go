package timtest

import (
	"encoding/json"
	"strconv"
	"time"
)

// removeRequest is the im_remove_attr body. To_Account is a pointer so a
// missing account is told apart from an empty one in the error text.
type removeRequest struct {
	UserAttrs []struct {
		Account *string  `json:"To_Account"`
		Attrs   []string `json:"Attrs"`
	} `json:"UserAttrs"`
}

// removal is one account's validated attribute names. Entries naming the
// same account twice in a call are merged, as the union is what ends up
// removed either way.
type removal struct {
	account string
	attrs   []string
}

// removeAttr validates an im_remove_attr body. Every entry is checked before
// anything is applied: the real API rejects the whole call for one bad
// entry, and clients rely on that when they split a rejected call in halves.
func (s *Server) removeAttr(body []byte, now time.Time) outcome {
	var req removeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return outcome{now: now, rej: &rejection{CodeJSONParse, "request body is not valid JSON of the expected shape"}}
	}
	o := outcome{now: now, accounts: len(req.UserAttrs)}
	switch {
	case len(req.UserAttrs) == 0:
		o.rej = &rejection{CodeJSONParse, "UserAttrs is missing or empty"}
		return o
	case len(req.UserAttrs) > MaxAccountsPerCall:
		o.rej = &rejection{CodeTooManyAccounts, "UserAttrs has more than 100 accounts"}
		return o
	}

	names, _ := s.attrNames()
	index := make(map[string]int, len(req.UserAttrs)) // account -> position in removals
	for i, ua := range req.UserAttrs {
		// Messages name the position, never the account: clients may log
		// ErrorInfo, and account IDs must not reach logs.
		at := "UserAttrs[" + strconv.Itoa(i) + "]"
		if ua.Account == nil {
			o.rej = &rejection{CodeJSONParse, at + ".To_Account is missing"}
			return o
		}
		if !validAccount(*ua.Account) {
			o.rej = &rejection{CodeJSONParse, at + ".To_Account is not 1-32 bytes of printable ASCII"}
			return o
		}
		if len(ua.Attrs) == 0 {
			o.rej = &rejection{CodeInvalidAttr, at + ".Attrs is empty"}
			return o
		}
		for j, a := range ua.Attrs {
			if !names[a] {
				o.rej = &rejection{CodeInvalidAttr, at + ".Attrs[" + strconv.Itoa(j) + "] is not a registered attribute name"}
				return o
			}
		}
		if k, dup := index[*ua.Account]; dup {
			o.removals[k].attrs = append(o.removals[k].attrs, ua.Attrs...)
			continue
		}
		index[*ua.Account] = len(o.removals)
		o.removals = append(o.removals, removal{account: *ua.Account, attrs: ua.Attrs})
	}
	return o
}

// applyRemovals records rs and deletes the attributes they name, except for accounts set up to fail, which it
// returns as the call's ErrorList in request order. The caller holds the lock.
func (s *Server) applyRemovals(rs []removal, now time.Time) []AccountError {
	var failed []AccountError
	for _, r := range rs {
		if code, ok := s.failing[r.account]; ok {
			failed = append(failed, AccountError{Account: r.account, ErrorCode: code})
			continue
		}
		if s.ignored(unappliedKey{r.account, false}) {
			continue // answered OK, not applied (IgnoreRemovals)
		}
		s.beforeWrite(r.account, now)
		if held := s.attrs[r.account]; held != nil {
			for _, a := range r.attrs {
				delete(held, a)
			}
			if len(held) == 0 {
				delete(s.attrs, r.account)
			}
		}
		set := s.removed[r.account]
		if set == nil {
			set = make(map[string]struct{}, len(r.attrs))
			s.removed[r.account] = set
		}
		for _, a := range r.attrs {
			set[a] = struct{}{}
		}
	}
	return failed
}
