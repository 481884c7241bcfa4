package tim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// accountsN returns n distinct accounts.
func accountsN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "user-" + strconv.Itoa(i)
	}
	return out
}

func TestRemoveAllTagsRequest(t *testing.T) {
	tests := []struct {
		name     string
		family   Family
		accounts []string
		wantPath string
		wantBody string
	}{
		{"default family", "", []string{"u1", "u2"}, "/v4/all_member_push/im_remove_all_tags", `{"To_Account":["u1","u2"]}`},
		{"all_member_push", AllMemberPush, []string{"a b&c"}, "/v4/all_member_push/im_remove_all_tags", `{"To_Account":["a b\u0026c"]}`},
		{"timpush", TimPush, []string{"u1", "u1"}, "/v4/timpush/clear_all_tags", `{"To_Account":["u1","u1"]}`},
		{"100 accounts", TimPush, accountsN(100), "/v4/timpush/clear_all_tags", `{"To_Account":["user-0",`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, http.StatusOK, okBody)
			c := newClient(t, rec.srv.URL, newSigner())
			c.Family = tt.family
			res, err := c.RemoveAllTags(context.Background(), tt.accounts)
			if err != nil || res.Failed != nil || res.Absent != nil {
				t.Fatalf("RemoveAllTags = %+v, %v", res, err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != tt.wantPath || r.ContentType != "application/json" {
				t.Errorf("request = %s %s %s, want POST %s application/json", r.Method, r.Path, r.ContentType, tt.wantPath)
			}
			if !strings.HasPrefix(string(r.Body), tt.wantBody) {
				t.Errorf("body = %s, want %s", r.Body, tt.wantBody)
			}
			if r.Query.Get("usersig") != fakeSig || r.Query.Get("contenttype") != "json" || len(r.Query) != 5 {
				t.Errorf("query = %v", r.Query)
			}
		})
	}
}

// TestRemoveAllTagsRefused checks that an account count the API would
// reject is refused without asking the signer or sending anything.
func TestRemoveAllTagsRefused(t *testing.T) {
	for _, family := range []Family{AllMemberPush, TimPush} {
		for _, n := range []int{0, 101, 1000} {
			t.Run(family.String()+" "+strconv.Itoa(n), func(t *testing.T) {
				rec := newRecorder(t, http.StatusOK, okBody)
				signer := newSigner()
				c := newClient(t, rec.srv.URL, signer)
				c.Family = family
				res, err := c.RemoveAllTags(context.Background(), accountsN(n))
				var re *requestError
				if !errors.As(err, &re) || re.Op != family.apiName(OpRemoveAllTags) {
					t.Fatalf("RemoveAllTags = %+v, %T %v; want *requestError of %s", res, err, err, family.apiName(OpRemoveAllTags))
				}
				if !strings.Contains(err.Error(), strconv.Itoa(n)+" accounts") || strings.Contains(err.Error(), "user-") {
					t.Errorf("Error() = %q, want the count and no account", err)
				}
				if Classify(err) != erasure.Content {
					t.Errorf("Classify = %v, want content", Classify(err))
				}
				if len(rec.requests()) != 0 || signer.calls.Load() != 0 {
					t.Errorf("%d requests, %d signer calls; want none", len(rec.requests()), signer.calls.Load())
				}
			})
		}
	}
}

// TestRemoveAllTagsAnswers classifies answers of a tag removal as those of
// an attribute removal are: the same codes, the same error types.
func TestRemoveAllTagsAnswers(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		absent  []string
		failed  []AccountError
		errKind string // "" for success
		class   erasure.Class
	}{
		{name: "ok", status: 200, body: okBody},
		{name: "absent", status: 200, body: `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u2","ErrorCode":70107}]}`, absent: []string{"u2"}},
		{name: "failed", status: 200, body: `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u1","ErrorCode":91000}]}`, failed: []AccountError{{"u1", 91000}}},
		{name: "foreign account", status: 200, body: `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u3","ErrorCode":70107}]}`, errKind: "decode", class: erasure.Retryable},
		{name: "entry without account", status: 200, body: `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"ErrorCode":70107}]}`, errKind: "decode", class: erasure.Retryable},
		{name: "90001", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":90001}`, errKind: "api", class: erasure.Content},
		{name: "90018", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":90018}`, errKind: "api", class: erasure.Content},
		{name: "90009", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":90009}`, errKind: "api", class: erasure.Configuration},
		{name: "91000", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":91000}`, errKind: "api", class: erasure.Retryable},
		{name: "60018", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":60018}`, errKind: "api", class: erasure.RateLimited},
		{name: "70001", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":70001}`, errKind: "api", class: erasure.SigExpired},
		{name: "70009", status: 200, body: `{"ActionStatus":"FAIL","ErrorCode":70009}`, errKind: "api", class: erasure.Signature},
		{name: "http 502", status: 502, body: `bad gateway`, errKind: "http", class: erasure.Retryable},
		{name: "http 429", status: 429, errKind: "http", class: erasure.RateLimited},
		{name: "redirect", status: 307, body: okBody, errKind: "redirect", class: erasure.Configuration},
		{name: "garbage", status: 200, body: `<html>`, errKind: "decode", class: erasure.Retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.status, tt.body)
			c := newClient(t, rec.srv.URL, newSigner())
			c.Family = TimPush
			res, err := c.RemoveAllTags(context.Background(), []string{"u1", "u2"})
			if tt.errKind == "" {
				if err != nil {
					t.Fatalf("RemoveAllTags: %v", err)
				}
				if !slices.Equal(res.Failed, tt.failed) || !slices.Equal(res.Absent, tt.absent) {
					t.Errorf("result = %+v, want Failed %v, Absent %v", res, tt.failed, tt.absent)
				}
				return
			}
			if kind, op := errOp(err); kind != tt.errKind || op != "clear_all_tags" {
				t.Fatalf("err = %T %v, want a %s error of clear_all_tags", err, err, tt.errKind)
			}
			if got := Classify(err); got != tt.class {
				t.Errorf("Classify = %v, want %v", got, tt.class)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) && apiErr.KeyVersion != "v7" {
				t.Errorf("KeyVersion = %q, want v7", apiErr.KeyVersion)
			}
			if res.Failed != nil || res.Absent != nil {
				t.Errorf("result %+v alongside error %v", res, err)
			}
			if strings.Contains(err.Error(), fakeSig) || strings.Contains(err.Error(), "u3") {
				t.Errorf("error %q leaks the UserSig or an account", err)
			}
		})
	}
}

// TestRemoveAllTagsAgainstStandIn clears tags over real HTTP in both
// families, with the ErrorList trust rules of RemoveAttrs.
func TestRemoveAllTagsAgainstStandIn(t *testing.T) {
	accounts := []string{"alice", "ghost", "odd", "bare"}
	tests := []struct {
		name       string
		fail       map[string]int // account -> code, via FailAccounts
		inject     []timtest.AccountError
		wantFailed []AccountError
		wantAbsent []string
		wantErr    bool
		cleared    []string // accounts whose tags are gone
	}{
		{name: "clears all", cleared: accounts},
		{name: "70107 is absent", fail: map[string]int{"ghost": timtest.CodeNoSuchAccount},
			wantAbsent: []string{"ghost"}, cleared: []string{"alice", "odd", "bare"}},
		{name: "70402 fails the account", fail: map[string]int{"odd": 70402},
			wantFailed: []AccountError{{"odd", 70402}}, cleared: []string{"alice", "ghost", "bare"}},
		{name: "mixed", fail: map[string]int{"ghost": timtest.CodeNoSuchAccount, "odd": 70402},
			wantFailed: []AccountError{{"odd", 70402}}, wantAbsent: []string{"ghost"}, cleared: []string{"alice", "bare"}},
		{name: "entry for another account", inject: []timtest.AccountError{{Account: "mallory", ErrorCode: timtest.CodeNoSuchAccount}}, wantErr: true},
		{name: "entry without account", inject: []timtest.AccountError{{Account: "", ErrorCode: 70402}}, wantErr: true},
		{name: "misspelt after valid entries", fail: map[string]int{"odd": 70402},
			inject: []timtest.AccountError{{Account: "Alice", ErrorCode: 70402}}, wantErr: true},
	}
	for _, family := range []Family{AllMemberPush, TimPush} {
		for _, tt := range tests {
			t.Run(family.String()+" "+tt.name, func(t *testing.T) {
				stub, signer := startStub(t)
				stub.SetTags("alice", "vip", "beta")
				stub.SetTags("ghost", "x")
				stub.SetTags("odd", "y")
				// "bare" has no tags: clearing it still succeeds.
				for account, code := range tt.fail {
					stub.FailAccounts(code, account)
				}
				stub.InjectErrorList(tt.inject...)
				c := newClient(t, stub.URL(), signer)
				c.Family = family
				res, err := c.RemoveAllTags(context.Background(), accounts)

				if calls := stub.AllCalls(); len(calls) != 1 || calls[0].Path != family.Path(OpRemoveAllTags) || calls[0].Accounts != 4 {
					t.Errorf("stand-in calls = %+v, want one to %s", calls, family.Path(OpRemoveAllTags))
				}
				if tt.wantErr {
					var de *decodeError
					if !errors.As(err, &de) || de.Op != family.apiName(OpRemoveAllTags) {
						t.Fatalf("RemoveAllTags = %+v, %T %v; want *decodeError", res, err, err)
					}
					if Classify(err) != erasure.Retryable {
						t.Errorf("Classify = %v, want retryable", Classify(err))
					}
					for _, a := range []string{"alice", "Alice", "mallory"} {
						if strings.Contains(err.Error(), a) {
							t.Errorf("error %q names account %q", err, a)
						}
					}
					return
				}
				if err != nil {
					t.Fatalf("RemoveAllTags: %v", err)
				}
				if !slices.Equal(res.Failed, tt.wantFailed) || !slices.Equal(res.Absent, tt.wantAbsent) {
					t.Errorf("result = %+v, want Failed %v, Absent %v", res, tt.wantFailed, tt.wantAbsent)
				}
				for _, a := range accounts {
					cleared := slices.Contains(tt.cleared, a)
					if got := stub.TagsCleared(a); (got == 1) != cleared {
						t.Errorf("TagsCleared(%s) = %d, want cleared %v", a, got, cleared)
					}
					if cleared && stub.Tags(a) != nil {
						t.Errorf("Tags(%s) = %q after clearing", a, stub.Tags(a))
					}
				}
			})
		}
	}

	t.Run("rejected by the stand-in", func(t *testing.T) {
		stub, signer := startStub(t)
		stub.SetTags("alice", "vip")
		tests := []struct {
			name     string
			signer   Signer
			accounts []string
			code     int
			class    erasure.Class
		}{
			{"account too long", signer, []string{"alice", strings.Repeat("z", 33)}, timtest.CodeJSONParse, erasure.Content},
			{"wrong key", usersigSigner{appID: timtest.DefaultSDKAppID, admin: timtest.DefaultIdentifier, key: []byte("wrong")}, []string{"alice"}, timtest.CodeSigMismatch, erasure.Signature},
			{"not the admin", usersigSigner{appID: timtest.DefaultSDKAppID, admin: "someone", key: []byte(stubKey)}, []string{"alice"}, timtest.CodeNeedsAdmin, erasure.Configuration},
		}
		for _, tt := range tests {
			for _, family := range []Family{AllMemberPush, TimPush} {
				c := newClient(t, stub.URL(), tt.signer)
				c.Family = family
				_, err := c.RemoveAllTags(context.Background(), tt.accounts)
				var e *APIError
				if !errors.As(err, &e) || e.Code != tt.code || e.Op != family.apiName(OpRemoveAllTags) {
					t.Errorf("%s %s: err = %v, want *APIError %d", tt.name, family, err, tt.code)
				}
				if Classify(err) != tt.class {
					t.Errorf("%s %s: Classify = %v, want %v", tt.name, family, Classify(err), tt.class)
				}
			}
		}
		if got := stub.Tags("alice"); !slices.Equal(got, []string{"vip"}) || stub.TagsCleared("alice") != 0 {
			t.Errorf("a rejected call cleared tags: %q", got)
		}
	})
}
