package tim

// codeAccountAbsent is the ErrorList code of an account that does not exist.
const codeAccountAbsent = 70107

// removeResult sorts the ErrorList of an accepted call on accounts (removing
// attributes or tags; op names its API) into failed and absent accounts.
//
// The list is the only word on which accounts failed: every account it does
// not name counts as erased. So an entry with no account, or naming one the
// call did not carry (misspelt, another call's answer, a corrupted body),
// makes the whole answer untrustworthy, and it is refused as a *decodeError
// (erasure.Retryable: removing attributes or tags again is harmless). The
// reason never names the account: account IDs must not reach logs.
func removeResult(op string, accounts []string, list []AccountError) (RemoveResult, error) {
	if len(list) == 0 {
		return RemoveResult{}, nil
	}
	sent := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		sent[a] = true
	}
	var res RemoveResult
	for _, e := range list {
		switch {
		case e.Account == "":
			return RemoveResult{}, &decodeError{Op: op, Reason: "ErrorList entry without To_Account"}
		case !sent[e.Account]:
			return RemoveResult{}, &decodeError{Op: op, Reason: "ErrorList names an account not in the call"}
		case e.Code == codeAccountAbsent:
			// Nothing to erase: as good as erased.
			res.Absent = append(res.Absent, e.Account)
		default:
			res.Failed = append(res.Failed, e)
		}
	}
	return res, nil
}
