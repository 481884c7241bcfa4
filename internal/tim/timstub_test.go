package tim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// usersigSigner signs every request with the project's UserSig generator.
type usersigSigner struct {
	appID uint64
	admin string
	key   []byte
}

func (s usersigSigner) Credentials(context.Context) (Credentials, error) {
	sig, err := usersig.Generate(s.appID, s.admin, s.key, time.Now(), time.Hour)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{SDKAppID: s.appID, Identifier: s.admin, UserSig: sig, KeyVersion: "k1"}, nil
}

// TestClientAgainstTimstub drives the real Client over real HTTP against the
// project's Tencent stand-in, signing with the real UserSig generator.
func TestClientAgainstTimstub(t *testing.T) {
	const key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	stub, err := timtest.Start(timtest.Config{Key: []byte(key)})
	if err != nil {
		t.Fatalf("timtest.Start: %v", err)
	}
	t.Cleanup(stub.Close)
	stub.FailAccounts(timtest.CodeNoSuchAccount, "ghost")

	good := usersigSigner{appID: timtest.DefaultSDKAppID, admin: timtest.DefaultIdentifier, key: []byte(key)}
	tests := []struct {
		name       string
		signer     Signer
		users      []UserAttrs
		wantFailed []AccountError
		wantAbsent []string
		wantCode   int
		wantClass  erasure.Class
		removed    map[string][]string // account -> attributes the stub recorded
	}{
		{
			name:   "removes",
			signer: good,
			users: []UserAttrs{
				{Account: "alice", Attrs: []string{"sex", "city"}},
				{Account: "bob", Attrs: []string{"level"}},
			},
			removed: map[string][]string{"alice": {"city", "sex"}, "bob": {"level"}},
		},
		{
			name:   "absent account in ErrorList",
			signer: good,
			users: []UserAttrs{
				{Account: "carol", Attrs: []string{"country"}},
				{Account: "ghost", Attrs: []string{"sex"}},
			},
			wantAbsent: []string{"ghost"},
			removed:    map[string][]string{"carol": {"country"}, "ghost": nil},
		},
		{
			name:      "unregistered attribute",
			signer:    good,
			users:     []UserAttrs{{Account: "dave", Attrs: []string{"shoe-size"}}},
			wantCode:  timtest.CodeInvalidAttr,
			wantClass: erasure.Content,
			removed:   map[string][]string{"dave": nil},
		},
		{
			name:      "wrong key",
			signer:    usersigSigner{appID: timtest.DefaultSDKAppID, admin: timtest.DefaultIdentifier, key: []byte("not-the-key")},
			users:     []UserAttrs{{Account: "erin", Attrs: []string{"sex"}}},
			wantCode:  timtest.CodeSigMismatch,
			wantClass: erasure.Signature,
			removed:   map[string][]string{"erin": nil},
		},
		{
			name:      "not the admin",
			signer:    usersigSigner{appID: timtest.DefaultSDKAppID, admin: "someone", key: []byte(key)},
			users:     []UserAttrs{{Account: "frank", Attrs: []string{"sex"}}},
			wantCode:  timtest.CodeNeedsAdmin,
			wantClass: erasure.Configuration,
			removed:   map[string][]string{"frank": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, stub.URL(), tt.signer)
			res, err := c.RemoveAttrs(context.Background(), tt.users)
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("RemoveAttrs: %v", err)
				}
				if !slices.Equal(res.Failed, tt.wantFailed) || !slices.Equal(res.Absent, tt.wantAbsent) {
					t.Errorf("result = %+v, want Failed %v, Absent %v", res, tt.wantFailed, tt.wantAbsent)
				}
			} else {
				var e *APIError
				if !errors.As(err, &e) || e.Code != tt.wantCode {
					t.Fatalf("err = %v, want *APIError %d", err, tt.wantCode)
				}
				if e.KeyVersion != "k1" {
					t.Errorf("KeyVersion = %q, want k1", e.KeyVersion)
				}
				if got := Classify(err); got != tt.wantClass {
					t.Errorf("Classify = %v, want %v", got, tt.wantClass)
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q contains the key", err)
				}
			}
			for account, want := range tt.removed {
				if got := stub.Removed(account); !slices.Equal(got, want) {
					t.Errorf("stub removed %q for %s, want %q", got, account, want)
				}
			}
		})
	}

	t.Run("attr names", func(t *testing.T) {
		c := newClient(t, stub.URL(), good)
		got, err := c.AttrNames(context.Background())
		if err != nil {
			t.Fatalf("AttrNames: %v", err)
		}
		if !slices.Equal(got, timtest.DefaultAttrNames) {
			t.Errorf("AttrNames = %q, want %q", got, timtest.DefaultAttrNames)
		}
	})
}

// stubKey signs the requests of the tests against the stand-in.
const stubKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

// startStub runs the stand-in on 127.0.0.1 and returns it with a signer it
// accepts.
func startStub(t *testing.T) (*timtest.Server, Signer) {
	t.Helper()
	stub, err := timtest.Start(timtest.Config{Key: []byte(stubKey)})
	if err != nil {
		t.Fatalf("timtest.Start: %v", err)
	}
	t.Cleanup(stub.Close)
	return stub, usersigSigner{appID: timtest.DefaultSDKAppID, admin: timtest.DefaultIdentifier, key: []byte(stubKey)}
}

// TestRedirectsAreNotFollowed points the client at a stand-in that
// redirects to a second server: whatever HTTP client is used, the second
// server must never be asked, and the answer is a configuration error that
// names neither URL nor UserSig.
func TestRedirectsAreNotFollowed(t *testing.T) {
	stub, signer := startStub(t)
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{"0":"sex"}}`)
	}))
	t.Cleanup(target.Close)

	var callerCheck atomic.Int32
	followAll := func(*http.Request, []*http.Request) error { callerCheck.Add(1); return nil }
	clients := []struct {
		name string
		hc   func() *http.Client
	}{
		{"NewHTTPClient", func() *http.Client { return NewHTTPClient(2*time.Second, 4) }},
		{"package default", func() *http.Client { return nil }},
		{"caller's client with default CheckRedirect", func() *http.Client { return &http.Client{Timeout: 2 * time.Second} }},
		{"caller's CheckRedirect that follows", func() *http.Client { return &http.Client{Timeout: 2 * time.Second, CheckRedirect: followAll} }},
	}
	for _, status := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, cl := range clients {
			t.Run(strconv.Itoa(status)+" "+cl.name, func(t *testing.T) {
				if err := stub.SetRedirect(status, target.URL+pathRemoveAttr+"?from=redirect"); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stub.SetRedirect(0, "") })
				c := newClient(t, stub.URL(), signer)
				hc := cl.hc()
				c.HTTPClient = hc
				var before func(*http.Request, []*http.Request) error
				if hc != nil {
					before = hc.CheckRedirect
				}
				for _, call := range []struct {
					op string
					fn func() (any, error)
				}{
					{opRemoveAttr, func() (any, error) {
						return c.RemoveAttrs(context.Background(), []UserAttrs{{Account: "alice", Attrs: []string{"sex"}}})
					}},
					{opGetAttrName, func() (any, error) { return c.AttrNames(context.Background()) }},
				} {
					got, err := call.fn()
					var re *redirectError
					if !errors.As(err, &re) || re.StatusCode != status || re.Op != call.op {
						t.Fatalf("%s: got %v, err %T %v, want *redirectError %d", call.op, got, err, err, status)
					}
					if Classify(err) != erasure.Configuration {
						t.Errorf("Classify = %v, want configuration", Classify(err))
					}
					msg := err.Error()
					for _, leak := range []string{"usersig", "sdkappid", stub.URL(), target.URL, "127.0.0.1", "redirect=", "from="} {
						if strings.Contains(msg, leak) {
							t.Errorf("error %q contains %q", msg, leak)
						}
					}
				}
				if hc != nil && (hc.CheckRedirect == nil) != (before == nil) {
					t.Errorf("the caller's HTTPClient was modified")
				}
				if st := stub.Stats(); st.RemoveCalls != 0 || st.AttrNameCalls != 0 {
					t.Errorf("stub Stats = %+v, want no accepted call", st)
				}
			})
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests, want 0", n)
	}
	if n := callerCheck.Load(); n != 0 {
		t.Errorf("the caller's CheckRedirect was asked %d times: a redirect got as far as being considered", n)
	}
	if st := stub.Stats(); st.HTTPStatus[http.StatusFound] != 2*len(clients) || st.HTTPStatus[http.StatusPermanentRedirect] != 2*len(clients) {
		t.Errorf("stub saw redirects %v, want %d per status", st.HTTPStatus, 2*len(clients))
	}
}

// TestErrorListTrust checks RemoveAttrs against ErrorLists served over real
// HTTP: per-account failures of the call's own accounts are reported (70107
// as absent), and a list naming any other account fails the whole call.
func TestErrorListTrust(t *testing.T) {
	users := []UserAttrs{
		{Account: "alice", Attrs: []string{"sex"}},
		{Account: "ghost", Attrs: []string{"sex"}},
		{Account: "odd", Attrs: []string{"city"}},
	}
	tests := []struct {
		name       string
		fail       map[string]int // account -> code, via FailAccounts
		inject     []timtest.AccountError
		wantFailed []AccountError
		wantAbsent []string
		wantErr    bool
	}{
		{name: "no list"},
		{name: "valid list", fail: map[string]int{"odd": 70402},
			wantFailed: []AccountError{{"odd", 70402}}},
		{name: "70107 is absent", fail: map[string]int{"ghost": timtest.CodeNoSuchAccount},
			wantAbsent: []string{"ghost"}},
		{name: "mixed 70107 and 70402", fail: map[string]int{"ghost": timtest.CodeNoSuchAccount, "odd": 70402},
			wantFailed: []AccountError{{"odd", 70402}}, wantAbsent: []string{"ghost"}},
		{name: "empty To_Account", inject: []timtest.AccountError{{Account: "", ErrorCode: 70402}}, wantErr: true},
		{name: "empty To_Account with 70107", inject: []timtest.AccountError{{Account: "", ErrorCode: timtest.CodeNoSuchAccount}}, wantErr: true},
		{name: "unknown account", inject: []timtest.AccountError{{Account: "mallory", ErrorCode: 70402}}, wantErr: true},
		{name: "unknown account with 70107", inject: []timtest.AccountError{{Account: "mallory", ErrorCode: timtest.CodeNoSuchAccount}}, wantErr: true},
		{name: "misspelled account", inject: []timtest.AccountError{{Account: "Alice", ErrorCode: 70402}}, wantErr: true},
		{name: "valid entries then an unknown one", fail: map[string]int{"odd": 70402},
			inject: []timtest.AccountError{{Account: "alice ", ErrorCode: 70402}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub, signer := startStub(t)
			for account, code := range tt.fail {
				stub.FailAccounts(code, account)
			}
			stub.InjectErrorList(tt.inject...)
			c := newClient(t, stub.URL(), signer)
			res, err := c.RemoveAttrs(context.Background(), users)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("RemoveAttrs: %v", err)
				}
				if !slices.Equal(res.Failed, tt.wantFailed) || !slices.Equal(res.Absent, tt.wantAbsent) {
					t.Errorf("RemoveAttrs = %+v, want Failed %v, Absent %v", res, tt.wantFailed, tt.wantAbsent)
				}
				return
			}
			var de *decodeError
			if !errors.As(err, &de) || de.Op != opRemoveAttr {
				t.Fatalf("RemoveAttrs = %+v, err %T %v, want *decodeError", res, err, err)
			}
			if Classify(err) != erasure.Retryable {
				t.Errorf("Classify = %v, want retryable", Classify(err))
			}
			if res.Failed != nil || res.Absent != nil {
				t.Errorf("result %+v alongside error %v", res, err)
			}
			for _, account := range []string{"alice", "Alice", "ghost", "odd", "mallory"} {
				if strings.Contains(err.Error(), account) {
					t.Errorf("error %q names account %q", err, account)
				}
			}
			if st := stub.Stats(); st.InjectedErrorEntries != len(tt.inject) {
				t.Errorf("stub injected %d entries, want %d", st.InjectedErrorEntries, len(tt.inject))
			}
		})
	}
}
