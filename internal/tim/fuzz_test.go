package tim

import (
	"errors"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// fuzzAccounts are the accounts of the call every fuzzed answer is checked
// against.
var fuzzAccounts = []string{"u1", "u2"}

// FuzzDecodeResponse checks decodeResponse and removeResult on arbitrary
// bodies: they never panic, a nil error means a real OK answer whose
// ErrorList names only the call's accounts, and every error is one of the
// package's typed errors with a usable class.
func FuzzDecodeResponse(f *testing.F) {
	for _, seed := range []string{
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`,
		`{"ActionStatus":"FAIL","ErrorCode":90033,"ErrorInfo":"invalid attr"}`,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u1","ErrorCode":70107}]}`,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u1","ErrorCode":70107},{"To_Account":"u2","ErrorCode":70402}]}`,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"mallory","ErrorCode":70402}]}`,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"","ErrorCode":70107}]}`,
		`{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{"0":"sex","1":"city","10":"k"}}`,
		`{"ActionStatus":"FAIL","ErrorCode":0}`,
		`null`,
		``,
		`<html>502</html>`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		resp, err := decodeResponse(opRemoveAttr, raw)
		if err == nil {
			if resp.ActionStatus != "OK" || resp.ErrorCode != 0 {
				t.Fatalf("no error for ActionStatus %q ErrorCode %d", resp.ActionStatus, resp.ErrorCode)
			}
			// The answer's parts must be usable without panicking.
			_ = sortedAttrNames(resp.AttrNames)
			var res RemoveResult
			res, err = removeResult(opRemoveAttr, fuzzAccounts, resp.ErrorList)
			if err == nil {
				checkRemoveResult(t, resp.ErrorList, res)
				return
			}
			resp = response{} // the error below is removeResult's
		}
		var (
			apiErr *APIError
			decErr *decodeError
		)
		switch {
		case errors.As(err, &apiErr):
			if apiErr.Code == 0 {
				t.Fatalf("APIError with code 0: %v", err)
			}
			if apiErr.Op != opRemoveAttr {
				t.Fatalf("APIError.Op = %q", apiErr.Op)
			}
		case errors.As(err, &decErr):
			if Classify(err) != erasure.Retryable {
				t.Fatalf("decodeError classified %v", Classify(err))
			}
			if len(decErr.Reason) > 100 {
				t.Fatalf("decodeError reason echoes the body: %d bytes", len(decErr.Reason))
			}
		default:
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if resp.ActionStatus != "" || resp.ErrorList != nil || resp.AttrNames != nil {
			t.Fatalf("error %v with a non-zero response %+v", err, resp)
		}
		_ = err.Error()
	})
}

// checkRemoveResult checks an accepted ErrorList: every entry lands in
// exactly one of Failed and Absent, in order, and names one of fuzzAccounts.
func checkRemoveResult(t *testing.T, list []AccountError, res RemoveResult) {
	t.Helper()
	if len(res.Failed)+len(res.Absent) != len(list) {
		t.Fatalf("ErrorList of %d entries gave %d failed and %d absent", len(list), len(res.Failed), len(res.Absent))
	}
	sent := map[string]bool{}
	for _, a := range fuzzAccounts {
		sent[a] = true
	}
	for _, a := range res.Absent {
		if !sent[a] {
			t.Fatalf("Absent names an account not in the call: %q", a)
		}
	}
	for _, e := range res.Failed {
		if !sent[e.Account] || e.Code == codeAccountAbsent {
			t.Fatalf("Failed entry %+v", e)
		}
	}
}
