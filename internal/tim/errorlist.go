package tim

// codeAccountAbsent is the ErrorList code of an account that does not exist.
const codeAccountAbsent = 70107

// removeResult sorts the ErrorList of an accepted im_remove_attr call into
// failed and absent accounts.
//
// The list is the only word on which accounts failed: every account it does
// not name counts as erased. So an entry with no account, or naming one the
// call did not carry (misspelt, another call's answer, a corrupted body),
// makes the whole answer untrustworthy, and it is refused as a *DecodeError
// (erasure.Retryable: removing attributes again is harmless). The reason never names
// the account: account IDs must not reach logs.
func removeResult(users []UserAttrs, list []AccountError) (RemoveResult, error) {
	if len(list) == 0 {
		return RemoveResult{}, nil
	}
	sent := make(map[string]bool, len(users))
	for _, u := range users {
		sent[u.Account] = true
	}
	var res RemoveResult
	for _, e := range list {
		switch {
		case e.Account == "":
			return RemoveResult{}, &DecodeError{Op: opRemoveAttr, Reason: "ErrorList entry without To_Account"}
		case !sent[e.Account]:
			return RemoveResult{}, &DecodeError{Op: opRemoveAttr, Reason: "ErrorList names an account not in the call"}
		case e.Code == codeAccountAbsent:
			// Nothing to erase: as good as erased.
			res.Absent = append(res.Absent, e.Account)
		default:
			res.Failed = append(res.Failed, e)
		}
	}
	return res, nil
}
