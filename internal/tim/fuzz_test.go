package tim

import (
	"errors"
	"testing"
)

// FuzzDecodeResponse checks decodeResponse on arbitrary bodies: it never
// panics, a nil error means a real OK answer, and every error is one of the
// package's typed errors with a usable class.
func FuzzDecodeResponse(f *testing.F) {
	for _, seed := range []string{
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`,
		`{"ActionStatus":"FAIL","ErrorCode":90033,"ErrorInfo":"invalid attr"}`,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u1","ErrorCode":70107}]}`,
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
			return
		}
		var (
			apiErr *APIError
			decErr *DecodeError
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
			if Classify(err) != Retryable {
				t.Fatalf("DecodeError classified %v", Classify(err))
			}
			if len(decErr.Reason) > 100 {
				t.Fatalf("DecodeError reason echoes the body: %d bytes", len(decErr.Reason))
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
