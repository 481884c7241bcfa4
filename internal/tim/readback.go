// Read-backs: after a removal answered OK, the accounts are read back
// through im_get_attr / im_get_tag (get_attr / get_tag in TimPush), a
// second path through Tencent, and an account counts as erased only when
// nothing removed is left. The answers carry attribute values and tags,
// which are personal data: they are compared here and dropped while the
// answer is decoded. What leaves this file is a verdict per account, never
// a value, a tag or a count of either by value.

package tim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// ReadResult is what an accepted read-back showed. Every account of the
// call in none of its lists read back clean: nothing removed was left, it
// has no data at all ("Attrs":{}), or Tencent does not know it (70107).
type ReadResult struct {
	// Dirty lists the accounts that still hold something removed: one of
	// the attribute names removed from it, or any tag.
	Dirty []string
	// Missing lists the accounts the answer did not mention: they are not
	// verified.
	Missing []string
	// Failed lists the accounts the ErrorList failed with a code other
	// than 70107: they are not verified either.
	Failed []AccountError
}

// Clean tells whether every account of the call read back clean.
func (r ReadResult) Clean() bool {
	return len(r.Dirty) == 0 && len(r.Missing) == 0 && len(r.Failed) == 0
}

// readAttrs is one entry of a UserAttrs answer: the account and the names
// of the attributes it has. Each value is skipped (skipped), never copied.
type readAttrs struct {
	Account string             `json:"To_Account"`
	Attrs   map[string]skipped `json:"Attrs"`
}

// readTags is one entry of a UserTags answer: the account and one skipped
// element per tag it has.
type readTags struct {
	Account string    `json:"To_Account"`
	Tags    []skipped `json:"Tags"`
}

// skipped stands for an attribute value or a tag: the decoder checks that
// it is well-formed JSON and hands it over, and it is dropped at once, so
// no value is ever copied out of the answer's bytes.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

// GetAttrs reads back the attributes of 1 to erasure.MaxAccountsPerCall
// accounts (im_get_attr, or get_attr in TimPush) and tells, for each, whether
// any of the names in its Attrs is still set. Another number of accounts is
// refused with a *requestError and nothing is sent.
func (c *Client) GetAttrs(ctx context.Context, users []UserAttrs) (ReadResult, error) {
	a, err := c.resolve(OpGetAttr)
	if err != nil {
		return ReadResult{}, err
	}
	accounts := make([]string, len(users))
	for i, u := range users {
		accounts[i] = u.Account
	}
	resp, err := c.readBack(ctx, a, accounts)
	if err != nil {
		return ReadResult{}, err
	}
	removed := make(map[string][]string, len(users))
	for _, u := range users {
		removed[u.Account] = u.Attrs
	}
	entries := make([]string, len(resp.UserAttrs))
	for i, e := range resp.UserAttrs {
		entries[i] = e.Account
	}
	return readResult(a.name, accounts, entries, resp.ErrorList, func(i int) bool {
		e := resp.UserAttrs[i]
		for name := range e.Attrs {
			if slices.Contains(removed[e.Account], name) {
				return true
			}
		}
		return false
	})
}

// GetTags reads back the tags of 1 to erasure.MaxAccountsPerCall accounts
// (im_get_tag, or get_tag in TimPush) and tells, for each, whether it still
// has any tag.
func (c *Client) GetTags(ctx context.Context, accounts []string) (ReadResult, error) {
	a, err := c.resolve(OpGetTag)
	if err != nil {
		return ReadResult{}, err
	}
	resp, err := c.readBack(ctx, a, accounts)
	if err != nil {
		return ReadResult{}, err
	}
	entries := make([]string, len(resp.UserTags))
	for i, e := range resp.UserTags {
		entries[i] = e.Account
	}
	return readResult(a.name, accounts, entries, resp.ErrorList, func(i int) bool { return len(resp.UserTags[i].Tags) > 0 })
}

// readBack sends a read-back of accounts, {"To_Account":[...]}.
func (c *Client) readBack(ctx context.Context, a api, accounts []string) (response, error) {
	if len(accounts) == 0 || len(accounts) > erasure.MaxAccountsPerCall {
		return response{}, &requestError{Op: a.name,
			Reason: fmt.Sprintf("%d accounts, want 1 to %d", len(accounts), erasure.MaxAccountsPerCall)}
	}
	body, err := json.Marshal(struct {
		Accounts []string `json:"To_Account"`
	}{accounts})
	if err != nil {
		return response{}, fmt.Errorf("tim: encode %s request: %w", a.name, err)
	}
	return c.do(ctx, a, body)
}

// readResult judges a read-back answer of the call on accounts: entries
// names the accounts of its UserAttrs or UserTags in the answer's order,
// and dirty(i) tells whether entry i still holds what was removed.
//
// The answer is trusted like a removal's ErrorList: an entry (or ErrorList
// entry) naming an account the call did not carry, or naming an account a
// second time, means the answer may be another call's or corrupted, and
// the whole read-back is refused as a *decodeError (retryable: reading
// again is harmless). The reason never names the account.
func readResult(op string, accounts, entries []string, list []AccountError, dirty func(i int) bool) (ReadResult, error) {
	const (
		asked = iota + 1
		answered
	)
	state := make(map[string]int, len(accounts))
	for _, a := range accounts {
		state[a] = asked
	}
	see := func(account, where string) error {
		switch state[account] {
		case 0:
			if account == "" {
				return &decodeError{Op: op, Reason: where + " entry without To_Account"}
			}
			return &decodeError{Op: op, Reason: where + " names an account not in the call"}
		case answered:
			return &decodeError{Op: op, Reason: where + " names an account twice"}
		}
		state[account] = answered
		return nil
	}
	var res ReadResult
	for i, account := range entries {
		if err := see(account, "answer"); err != nil {
			return ReadResult{}, err
		}
		if dirty(i) {
			res.Dirty = append(res.Dirty, account)
		}
	}
	for _, e := range list {
		if err := see(e.Account, "ErrorList"); err != nil {
			return ReadResult{}, err
		}
		if e.Code != codeAccountAbsent {
			// 70107: Tencent has no such account, so nothing is left.
			res.Failed = append(res.Failed, e)
		}
	}
	for _, a := range accounts {
		if state[a] == asked {
			res.Missing = append(res.Missing, a)
			state[a] = answered // an account asked twice is missing once
		}
	}
	return res, nil
}
