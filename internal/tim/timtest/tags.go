package timtest

import (
	"encoding/json"
	"maps"
	"strconv"
	"time"
)

// SetTags gives account exactly tags (none: no tags), replacing what it
// had, so a test can check that a tag removal cleared them. Tags are not
// validated: only whether any remain matters.
func (s *Server) SetTags(account string, tags ...string) {
	set := make(map[string]struct{}, len(tags))
	for _, t := range tags {
		set[t] = struct{}{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(set) == 0 {
		delete(s.tags, account)
		return
	}
	s.tags[account] = set
}

// Tags returns the tags account still has, sorted, or nil if none.
func (s *Server) Tags(account string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.tags[account])
}

// TagsCleared returns how many accepted tag removals (either family)
// cleared account's tags, whether it had any: the real API succeeds for an
// account without tags. An account in ErrorList is not counted.
func (s *Server) TagsCleared(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cleared[account]
}

// TagsClearedAccounts returns a snapshot of TagsCleared for every account
// whose tags were cleared.
func (s *Server) TagsClearedAccounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.cleared)
}

// removeAllTagsRequest is the body of im_remove_all_tags and
// clear_all_tags. Elements are pointers so a null is told apart from an
// empty string in the error text.
type removeAllTagsRequest struct {
	Accounts []*string `json:"To_Account"`
}

// removeAllTags validates a tag-removal body. As for removeAttr, every
// account is checked before anything is applied, and one bad account
// rejects the call.
func (s *Server) removeAllTags(body []byte, now time.Time) outcome {
	var req removeAllTagsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		// Also a To_Account that is not an array, or holds a non-string.
		return outcome{now: now, rej: &rejection{CodeJSONParse, "request body is not valid JSON of the expected shape"}}
	}
	o := outcome{now: now, accounts: len(req.Accounts)}
	switch {
	case len(req.Accounts) == 0:
		o.rej = &rejection{CodeJSONParse, "To_Account is missing or empty"}
		return o
	case len(req.Accounts) > MaxAccountsPerCall:
		o.rej = &rejection{CodeTooManyAccounts, "To_Account has more than 100 accounts"}
		return o
	}
	seen := make(map[string]bool, len(req.Accounts))
	for i, a := range req.Accounts {
		// Messages name the position, never the account (see removeAttr).
		at := "To_Account[" + strconv.Itoa(i) + "]"
		if a == nil {
			o.rej = &rejection{CodeJSONParse, at + " is not a string"}
			return o
		}
		if !validAccount(*a) {
			o.rej = &rejection{CodeJSONParse, at + " is not 1-32 bytes of printable ASCII"}
			return o
		}
		// An account named twice is cleared once: the outcome is the same.
		if !seen[*a] {
			seen[*a] = true
			o.clears = append(o.clears, *a)
		}
	}
	return o
}

// applyClears clears the tags of accounts, except for accounts set up to
// fail, which it returns as the call's ErrorList in request order. The
// caller holds the lock.
func (s *Server) applyClears(accounts []string, now time.Time) []AccountError {
	var failed []AccountError
	for _, a := range accounts {
		if code, ok := s.failing[a]; ok {
			failed = append(failed, AccountError{Account: a, ErrorCode: code})
			continue
		}
		if s.ignored(unappliedKey{a, true}) {
			continue // answered OK, not applied (IgnoreRemovals)
		}
		s.beforeWrite(a, now)
		delete(s.tags, a)
		s.cleared[a]++
	}
	return failed
}
