package timtest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validBody is an accepted body for each operation.
var validBody = map[Op]string{
	OpRemoveAttr:    removeBody([]string{"sex"}, "u1"),
	OpGetAttrName:   `{}`,
	OpRemoveAllTags: `{"To_Account":["u1"]}`,
	OpGetAttr:       `{"To_Account":["u1"]}`,
	OpGetTag:        `{"To_Account":["u1"]}`,
}

// served is every path with what it is, as Tencent documents it.
var served = []struct {
	path   string
	family Family
	op     Op
}{
	{"/v4/all_member_push/im_remove_attr", FamilyAllMemberPush, OpRemoveAttr},
	{"/v4/all_member_push/im_get_attr_name", FamilyAllMemberPush, OpGetAttrName},
	{"/v4/all_member_push/im_remove_all_tags", FamilyAllMemberPush, OpRemoveAllTags},
	{"/v4/timpush/remove_attr", FamilyTimPush, OpRemoveAttr},
	{"/v4/timpush/get_attr_name", FamilyTimPush, OpGetAttrName},
	{"/v4/timpush/clear_all_tags", FamilyTimPush, OpRemoveAllTags},
	{"/v4/all_member_push/im_get_attr", FamilyAllMemberPush, OpGetAttr},
	{"/v4/all_member_push/im_get_tag", FamilyAllMemberPush, OpGetTag},
	{"/v4/timpush/get_attr", FamilyTimPush, OpGetAttr},
	{"/v4/timpush/get_tag", FamilyTimPush, OpGetTag},
}

func TestPath(t *testing.T) {
	for _, sv := range served {
		if got := Path(sv.family, sv.op); got != sv.path {
			t.Errorf("Path(%s, %s) = %q, want %q", sv.family, sv.op, got, sv.path)
		}
	}
	if got := Path("other", OpRemoveAttr); got != "" {
		t.Errorf("Path of an unknown family = %q", got)
	}
	if got := Path(FamilyTimPush, "other"); got != "" {
		t.Errorf("Path of an unknown op = %q", got)
	}
	if len(routes) != len(served) {
		t.Errorf("%d routes, want %d", len(routes), len(served))
	}
}

// TestBothFamiliesServed calls every path once and checks the answer, the
// call log and the per-path counters.
func TestBothFamiliesServed(t *testing.T) {
	s := start(t, Config{})
	for _, sv := range served {
		r := mustPost(t, s, sv.path, query(t), validBody[sv.op])
		if r.Status != 200 || r.Reply.ActionStatus != "OK" || r.Reply.ErrorCode != 0 {
			t.Errorf("%s: %d %s", sv.path, r.Status, r.Body)
		}
		if hasNames := r.Reply.AttrNames != nil; hasNames != (sv.op == OpGetAttrName) {
			t.Errorf("%s: AttrNames %v in %s", sv.path, hasNames, r.Body)
		}
	}
	calls := s.AllCalls()
	if len(calls) != len(served) {
		t.Fatalf("AllCalls has %d entries, want %d", len(calls), len(served))
	}
	for i, sv := range served {
		c := calls[i]
		wantAccounts := 1
		if sv.op == OpGetAttrName {
			wantAccounts = 0
		}
		if c.Path != sv.path || c.Family != sv.family || c.Op != sv.op || c.HTTPStatus != 200 || c.Accounts != wantAccounts || !c.Time.Equal(epoch) {
			t.Errorf("call %d = %+v, want %s %s on %s", i, c, sv.family, sv.op, sv.path)
		}
	}
	// Calls keeps its old meaning: attribute removals only.
	if c := s.Calls(); len(c) != 2 || c[0].Path != PathRemoveAttr || c[1].Path != PathTimPushRemoveAttr {
		t.Errorf("Calls = %+v", c)
	}
	if c := s.CallsOf(OpRemoveAllTags); len(c) != 2 || c[0].Family != FamilyAllMemberPush || c[1].Family != FamilyTimPush {
		t.Errorf("CallsOf(OpRemoveAllTags) = %+v", c)
	}
	st := s.Stats()
	if st.Requests != 10 || st.RemoveCalls != 2 || st.AttrNameCalls != 2 || st.RemoveAllTagsCalls != 2 ||
		st.GetAttrCalls != 2 || st.GetTagCalls != 2 ||
		st.Accounts != 2 || st.TagAccounts != 2 || st.MaxAccountsPerCall != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if len(st.Paths) != len(served) {
		t.Errorf("Stats.Paths has %d entries, want %d", len(st.Paths), len(served))
	}
	for _, sv := range served {
		want := PathStats{Requests: 1, OK: 1, Accounts: 1, MaxAccountsPerCall: 1}
		if sv.op == OpGetAttrName {
			want.Accounts, want.MaxAccountsPerCall = 0, 0
		}
		if got := st.Paths[sv.path]; got != want {
			t.Errorf("Paths[%s] = %+v, want %+v", sv.path, got, want)
		}
	}
	// Both families act on the same push data.
	if got := s.Removed("u1"); !reflect.DeepEqual(got, []string{"sex"}) {
		t.Errorf("Removed(u1) = %v", got)
	}
	if got := s.TagsCleared("u1"); got != 2 {
		t.Errorf("TagsCleared(u1) = %d, want 2", got)
	}

	s.Reset()
	st = s.Stats()
	if len(s.AllCalls()) != 0 || st.RemoveAllTagsCalls != 0 || st.Paths[PathTimPushClearAllTags] != (PathStats{}) || s.TagsCleared("u1") != 0 {
		t.Errorf("after Reset: %+v, calls %d", st, len(s.AllCalls()))
	}
}

func TestRoutingOfNewPaths(t *testing.T) {
	s := start(t, Config{})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/v4/timpush/im_remove_attr", http.StatusNotFound},
		{http.MethodPost, "/v4/all_member_push/remove_attr", http.StatusNotFound},
		{http.MethodPost, "/v4/all_member_push/clear_all_tags", http.StatusNotFound},
		{http.MethodPost, "/v4/timpush/im_remove_all_tags", http.StatusNotFound},
		{http.MethodPost, "/v4/timpush/clear_all_tags/", http.StatusNotFound},
		{http.MethodGet, PathTimPushRemoveAttr, http.StatusMethodNotAllowed},
		{http.MethodGet, PathRemoveAllTags, http.StatusMethodNotAllowed},
		{http.MethodPut, PathTimPushClearAllTags, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, s.URL()+tt.path+"?"+query(t).Encode(), strings.NewReader(`{"To_Account":["u1"]}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
	st := s.Stats()
	if st.HTTPStatus[404] != 5 || st.HTTPStatus[405] != 3 || len(s.AllCalls()) != 0 {
		t.Errorf("Stats = %+v", st)
	}
	for path, ps := range st.Paths {
		if ps != (PathStats{}) {
			t.Errorf("Paths[%s] = %+v after requests that never reached an API", path, ps)
		}
	}
}

// TestRateLimitPerPath checks that each of the ten APIs has its own window:
// the same operation in the other family is another API.
func TestRateLimitPerPath(t *testing.T) {
	clk := newClock()
	s := start(t, Config{RateLimit: 2, Now: clk.Now})
	for _, sv := range served {
		var got []int
		for range 3 {
			got = append(got, mustPost(t, s, sv.path, query(t), validBody[sv.op]).Reply.ErrorCode)
		}
		if want := []int{0, 0, CodeRateLimited}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: codes %v, want %v", sv.path, got, want)
		}
	}
	clk.Advance(time.Second)
	if r := mustPost(t, s, PathTimPushClearAllTags, query(t), validBody[OpRemoveAllTags]); r.Reply.ErrorCode != 0 {
		t.Errorf("next second: %s", r.Body)
	}
	st := s.Stats()
	if st.RateLimited != len(served) || st.Paths[PathTimPushClearAllTags].RateLimited != 1 || st.Paths[PathTimPushClearAllTags].OK != 3 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestFaultsAndRedirectOnEveryPath checks that faults, authentication and
// redirects apply to the new paths as to the old ones.
func TestFaultsAndRedirectOnEveryPath(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *Server)
		check func(t *testing.T, path string, r result, err error)
		stat  func(ps PathStats) int
	}{
		{"91000", func(s *Server) { _ = s.SetFaults(Faults{Internal91000: 1}) }, func(t *testing.T, path string, r result, err error) {
			if err != nil || r.Reply.ErrorCode != CodeInternal {
				t.Errorf("%s: %v %s", path, err, r.Body)
			}
		}, func(ps PathStats) int { return ps.Faults }},
		{"502", func(s *Server) { _ = s.SetFaults(Faults{HTTP502: 1}) }, func(t *testing.T, path string, r result, err error) {
			if err != nil || r.Status != http.StatusBadGateway {
				t.Errorf("%s: %v %d", path, err, r.Status)
			}
		}, func(ps PathStats) int { return ps.Faults }},
		{"wrong key", func(s *Server) { s.SetKey([]byte("rotated")) }, func(t *testing.T, path string, r result, err error) {
			if err != nil || r.Reply.ErrorCode != CodeSigMismatch {
				t.Errorf("%s: %v %s", path, err, r.Body)
			}
		}, func(ps PathStats) int { return ps.Rejected }},
		{"redirect", func(s *Server) { _ = s.SetRedirect(http.StatusTemporaryRedirect, "") }, func(t *testing.T, path string, r result, err error) {
			if err != nil || r.Status != http.StatusTemporaryRedirect {
				t.Errorf("%s: %v %d", path, err, r.Status)
			}
		}, func(ps PathStats) int { return ps.Redirected }},
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{})
			s.SetTags("u1", "vip")
			tt.setup(s)
			for _, sv := range served {
				var r result
				resp, err := noFollow.Post(s.URL()+sv.path+"?"+query(t).Encode(), "application/json", strings.NewReader(validBody[sv.op]))
				if err == nil {
					r, err = readResult(t, resp)
				}
				tt.check(t, sv.path, r, err)
			}
			st := s.Stats()
			for _, sv := range served {
				if ps := st.Paths[sv.path]; ps.Requests != 1 || tt.stat(ps) != 1 || ps.OK != 0 {
					t.Errorf("Paths[%s] = %+v", sv.path, ps)
				}
			}
			if len(s.AllCalls()) != len(served) || s.Tags("u1") == nil || len(s.RemovedAccounts()) != 0 {
				t.Errorf("calls %d, tags %v, removed %v", len(s.AllCalls()), s.Tags("u1"), s.RemovedAccounts())
			}
		})
	}
}
