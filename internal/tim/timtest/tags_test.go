package timtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// tagsBody builds a tag-removal body for accounts.
func tagsBody(accounts ...string) string {
	b, _ := json.Marshal(map[string][]string{"To_Account": accounts})
	return string(b)
}

// numbered returns n distinct accounts.
func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user-%d", i)
	}
	return out
}

func TestSetTags(t *testing.T) {
	s := NewServer(Config{Key: []byte(testKey)})
	s.SetTags("u1", "vip", "beta", "vip")
	if got := s.Tags("u1"); !reflect.DeepEqual(got, []string{"beta", "vip"}) {
		t.Errorf("Tags = %q", got)
	}
	s.SetTags("u1", "new")
	if got := s.Tags("u1"); !reflect.DeepEqual(got, []string{"new"}) {
		t.Errorf("after replacing: %q", got)
	}
	s.SetTags("u1")
	if got := s.Tags("u1"); got != nil {
		t.Errorf("after SetTags with none: %q", got)
	}
	if got := s.Tags("nobody"); got != nil {
		t.Errorf("Tags(nobody) = %q", got)
	}
}

func TestRemoveAllTagsClears(t *testing.T) {
	for _, path := range []string{PathRemoveAllTags, PathTimPushClearAllTags} {
		t.Run(path, func(t *testing.T) {
			s := start(t, Config{})
			s.SetTags("u1", "vip", "beta")
			s.SetTags("u2", "x")
			s.SetTags("keep", "y")
			s.SetTags("odd", "z")
			s.FailAccounts(70402, "odd")

			// u3 has no tags, u1 is named twice: both fine.
			r := mustPost(t, s, path, query(t), tagsBody("u1", "u2", "u3", "u1", "odd"))
			want := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[{"To_Account":"odd","ErrorCode":70402}]}`
			if r.Body != want {
				t.Fatalf("answer %s\nwant   %s", r.Body, want)
			}
			for account, tags := range map[string][]string{"u1": nil, "u2": nil, "u3": nil, "keep": {"y"}, "odd": {"z"}} {
				if got := s.Tags(account); !reflect.DeepEqual(got, tags) {
					t.Errorf("Tags(%s) = %q, want %q", account, got, tags)
				}
			}
			if got := s.TagsClearedAccounts(); !reflect.DeepEqual(got, map[string]int{"u1": 1, "u2": 1, "u3": 1}) {
				t.Errorf("TagsClearedAccounts = %v", got)
			}
			// Clearing again is harmless and counted.
			if r := mustPost(t, s, path, query(t), tagsBody("u1")); r.Reply.ErrorCode != 0 || r.Reply.ErrorList != nil {
				t.Errorf("second clear: %s", r.Body)
			}
			if s.TagsCleared("u1") != 2 || s.TagsCleared("odd") != 0 {
				t.Errorf("TagsCleared = %d, %d", s.TagsCleared("u1"), s.TagsCleared("odd"))
			}
			st := s.Stats()
			if st.RemoveAllTagsCalls != 2 || st.TagAccounts != 4 || st.AccountErrors != 1 || st.MaxAccountsPerCall != 5 ||
				st.RemoveCalls != 0 || st.Accounts != 0 {
				t.Errorf("Stats = %+v", st)
			}
			if ps := st.Paths[path]; ps.OK != 2 || ps.Accounts != 4 || ps.AccountErrors != 1 || ps.MaxAccountsPerCall != 5 {
				t.Errorf("Paths[%s] = %+v", path, ps)
			}
			if c := s.CallsOf(OpRemoveAllTags); len(c) != 2 || c[0].Accounts != 5 || c[0].Failed != 1 || c[0].Op != OpRemoveAllTags {
				t.Errorf("CallsOf = %+v", c)
			}
			if len(s.Calls()) != 0 || len(s.RemovedAccounts()) != 0 {
				t.Errorf("a tag removal counted as an attribute removal")
			}

			// Reset forgets what was cleared, not the tags accounts have.
			s.Reset()
			if s.TagsCleared("u1") != 0 || !reflect.DeepEqual(s.Tags("keep"), []string{"y"}) {
				t.Errorf("after Reset: cleared %d, keep %q", s.TagsCleared("u1"), s.Tags("keep"))
			}
		})
	}
}

func TestRemoveAllTagsInjectErrorList(t *testing.T) {
	s := start(t, Config{})
	s.InjectErrorList(AccountError{Account: "mallory", ErrorCode: CodeNoSuchAccount})
	r := mustPost(t, s, PathTimPushClearAllTags, query(t), tagsBody("u1"))
	want := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[{"To_Account":"mallory","ErrorCode":70107}]}`
	if r.Body != want {
		t.Fatalf("answer %s\nwant   %s", r.Body, want)
	}
	if s.TagsCleared("u1") != 1 {
		t.Errorf("the call itself was not carried out")
	}
	st := s.Stats()
	if st.InjectedErrorEntries != 1 || st.Paths[PathTimPushClearAllTags].InjectedErrorEntries != 1 || st.AccountErrors != 0 {
		t.Errorf("Stats = %+v", st)
	}
	if c := s.AllCalls(); len(c) != 1 || c[0].Injected != 1 || c[0].Failed != 0 {
		t.Errorf("AllCalls = %+v", c)
	}
}

// TestRemoveAllTagsValidation checks bodies the real service refuses: the
// whole call is rejected, nothing is cleared, and ErrorInfo names no
// account.
func TestRemoveAllTagsValidation(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"not JSON", `{"To_Account":["u1"]`, CodeJSONParse},
		{"empty body", ``, CodeJSONParse},
		{"JSON array", `["u1"]`, CodeJSONParse},
		{"null", `null`, CodeJSONParse},
		{"no To_Account", `{}`, CodeJSONParse},
		{"To_Account null", `{"To_Account":null}`, CodeJSONParse},
		{"To_Account empty", `{"To_Account":[]}`, CodeJSONParse},
		{"To_Account a string", `{"To_Account":"secret-acct"}`, CodeJSONParse},
		{"To_Account an object", `{"To_Account":{"0":"secret-acct"}}`, CodeJSONParse},
		{"a number in To_Account", `{"To_Account":["secret-acct",7]}`, CodeJSONParse},
		{"a null in To_Account", `{"To_Account":["secret-acct",null]}`, CodeJSONParse},
		{"an array in To_Account", `{"To_Account":["secret-acct",["u2"]]}`, CodeJSONParse},
		{"empty account", tagsBody("secret-acct", ""), CodeJSONParse},
		{"account of 33 bytes", tagsBody("secret-acct", strings.Repeat("z", 33)), CodeJSONParse},
		{"control character", tagsBody("secret-acct", "a\nb"), CodeJSONParse},
		{"non-ASCII", tagsBody("secret-acct", "é"), CodeJSONParse},
		{"101 accounts", tagsBody(append(numbered(100), "secret-acct")...), CodeTooManyAccounts},
		{"101 accounts, one invalid", tagsBody(append(numbered(100), "")...), CodeTooManyAccounts},
		{"100 accounts", tagsBody(append(numbered(99), "secret-acct")...), CodeOK},
		{"32 bytes and punctuation", tagsBody("secret-acct", strings.Repeat("z", 32), "a b~!"), CodeOK},
		{"unknown fields ignored", `{"To_Account":["secret-acct"],"Extra":1}`, CodeOK},
	}
	for _, path := range []string{PathRemoveAllTags, PathTimPushClearAllTags} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				s := start(t, Config{})
				s.SetTags("secret-acct", "vip")
				r := mustPost(t, s, path, query(t), tt.body)
				if r.Status != 200 || r.Reply.ErrorCode != tt.want {
					t.Fatalf("%d %s, want code %d", r.Status, r.Body, tt.want)
				}
				cleared := s.TagsCleared("secret-acct") == 1 && s.Tags("secret-acct") == nil
				if cleared != (tt.want == CodeOK) {
					t.Errorf("secret-acct cleared = %v, want %v", cleared, tt.want == CodeOK)
				}
				if tt.want == CodeOK {
					return
				}
				if r.Reply.ActionStatus != "FAIL" || r.Reply.ErrorList != nil || strings.Contains(r.Reply.ErrorInfo, "secret-acct") {
					t.Errorf("answer %s", r.Body)
				}
				if len(s.TagsClearedAccounts()) != 0 {
					t.Errorf("a rejected call cleared %v", s.TagsClearedAccounts())
				}
				st := s.Stats()
				if st.Rejected[tt.want] != 1 || st.RemoveAllTagsCalls != 0 || st.Paths[path].Rejected != 1 {
					t.Errorf("Stats = %+v", st)
				}
			})
		}
	}
}

// FuzzRemoveAllTags checks that no body panics the handler or is accepted
// with an account the real service would refuse.
func FuzzRemoveAllTags(f *testing.F) {
	f.Add([]byte(`{"To_Account":["u1","u2"]}`))
	f.Add([]byte(`{"To_Account":["u1",null]}`))
	f.Add([]byte(`{"To_Account":"u1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := NewServer(Config{Key: []byte(testKey)})
		o := s.removeAllTags(body, epoch)
		if o.rej != nil {
			return // record applies nothing of a rejected call
		}
		if len(o.clears) == 0 || o.accounts > MaxAccountsPerCall || len(o.clears) > o.accounts {
			t.Errorf("accepted %q: %d accounts, %d clears", body, o.accounts, len(o.clears))
		}
		seen := map[string]bool{}
		for _, a := range o.clears {
			if !validAccount(a) || seen[a] {
				t.Errorf("accepted %q with account %q", body, a)
			}
			seen[a] = true
		}
	})
}
