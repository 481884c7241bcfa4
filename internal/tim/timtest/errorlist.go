package timtest

import "slices"

// AccountError is one ErrorList element of an answer to a call on accounts
// (removing attributes or tags).
type AccountError struct {
	Account   string `json:"To_Account"`
	ErrorCode int    `json:"ErrorCode"`
}

// InjectErrorList makes every later accepted answer removing attributes or
// tags, in either family, carry entries at the end of its ErrorList, verbatim, whatever accounts the call
// named; calling it with no entries stops it. The call itself is carried out
// as usual, so an entry may contradict what was done.
//
// It models an answer a client must not trust: an entry with an empty
// To_Account, or one naming an account that was not in the call (an answer
// meant for another request, or a corrupted one). Such an ErrorList cannot
// say which of the call's accounts failed. FailAccounts, by contrast,
// models the legitimate per-account failures.
func (s *Server) InjectErrorList(entries ...AccountError) {
	e := slices.Clone(entries)
	s.mu.Lock()
	s.inject = e
	s.mu.Unlock()
}
