package timtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// readAnswer is a read-back answer as the wire has it.
type readAnswer struct {
	UserAttrs []struct {
		Account string            `json:"To_Account"`
		Attrs   map[string]string `json:"Attrs"`
	}
	UserTags []struct {
		Account string   `json:"To_Account"`
		Tags    []string `json:"Tags"`
	}
	ErrorList []AccountError
}

func readBackOf(t *testing.T, s *Server, path string, accounts ...string) (readAnswer, string) {
	t.Helper()
	body, _ := json.Marshal(map[string][]string{"To_Account": accounts})
	r := mustPost(t, s, path, query(t), string(body))
	if r.Reply.ErrorCode != 0 {
		t.Fatalf("%s: %s", path, r.Body)
	}
	var a readAnswer
	if err := json.Unmarshal([]byte(r.Body), &a); err != nil {
		t.Fatal(err)
	}
	return a, r.Body
}

// TestReadBackServesTheData checks that read-backs answer the attributes
// (with values) and tags accounts hold, as removals leave them, with empty
// data for an account without any, in both families.
func TestReadBackServesTheData(t *testing.T) {
	s := start(t, Config{})
	s.SetAttrs("u1", map[string]string{"sex": "Female", "city": "Paris"})
	s.SetTags("u1", "vip")
	for _, path := range []string{PathGetAttr, PathTimPushGetAttr} {
		a, raw := readBackOf(t, s, path, "u1", "u2")
		if len(a.UserAttrs) != 2 || !strings.Contains(raw, `"Attrs":{}`) {
			t.Fatalf("%s: %s", path, raw)
		}
		for _, e := range a.UserAttrs {
			if e.Account == "u1" && e.Attrs["sex"] != "Female" {
				t.Errorf("%s: u1 = %v", path, e.Attrs)
			}
		}
	}
	mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1"))
	mustPost(t, s, PathTimPushClearAllTags, query(t), `{"To_Account":["u1"]}`)
	if got := s.Attrs("u1"); len(got) != 1 || got["city"] != "Paris" {
		t.Errorf("after removing sex: %v", got)
	}
	a, raw := readBackOf(t, s, PathGetTag, "u1")
	if len(a.UserTags) != 1 || a.UserTags[0].Tags == nil || len(a.UserTags[0].Tags) != 0 {
		t.Errorf("tags after clearing: %s", raw)
	}
	st := s.Stats()
	if st.GetAttrCalls != 2 || st.GetTagCalls != 1 || st.Paths[PathGetAttr].Accounts != 2 {
		t.Errorf("Stats = %+v", st)
	}
	// 70107: all_member_push answers empty data, timpush an ErrorList entry.
	s.FailAccounts(CodeNoSuchAccount, "u3")
	if a, raw := readBackOf(t, s, PathGetAttr, "u3"); len(a.UserAttrs) != 1 || len(a.ErrorList) != 0 {
		t.Errorf("all_member_push, unknown account: %s", raw)
	}
	if a, raw := readBackOf(t, s, PathTimPushGetAttr, "u3"); len(a.UserAttrs) != 0 || len(a.ErrorList) != 1 || a.ErrorList[0].ErrorCode != CodeNoSuchAccount {
		t.Errorf("timpush, unknown account: %s", raw)
	}
}

// TestReadBackShuffles checks that answers do not keep the request's order.
func TestReadBackShuffles(t *testing.T) {
	s := start(t, Config{})
	var accounts []string
	for i := range 20 {
		accounts = append(accounts, fmt.Sprintf("u%02d", i))
	}
	shuffled := false
	for range 5 {
		a, _ := readBackOf(t, s, PathGetTag, accounts...)
		var got []string
		for _, e := range a.UserTags {
			got = append(got, e.Account)
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), accounts) {
			t.Fatalf("answered %v", got)
		}
		shuffled = shuffled || !slices.Equal(got, accounts)
	}
	if !shuffled {
		t.Error("five answers of 20 accounts all in request order")
	}
}

// TestReadBackFaults checks the three faults: an ignored removal, a lagging
// read path (before and after its lag), and a spoiled answer.
func TestReadBackFaults(t *testing.T) {
	clk := newClock()
	s := start(t, Config{Now: clk.Now})
	s.SetAttrs("u1", map[string]string{"sex": "Female"})
	s.IgnoreRemovals(1, "u1")
	mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1"))
	if got := s.Attrs("u1"); got["sex"] != "Female" || len(s.Removed("u1")) != 0 {
		t.Fatalf("an ignored removal changed %v", got)
	}
	s.SetReadLag(500 * 1e6)
	mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1"))
	if s.Attrs("u1") != nil {
		t.Fatalf("the second removal was not applied: %v", s.Attrs("u1"))
	}
	if a, raw := readBackOf(t, s, PathGetAttr, "u1"); a.UserAttrs[0].Attrs["sex"] != "Female" {
		t.Errorf("while lagging: %s", raw)
	}
	clk.Advance(500 * 1e6)
	if a, raw := readBackOf(t, s, PathGetAttr, "u1"); len(a.UserAttrs[0].Attrs) != 0 {
		t.Errorf("after the lag: %s", raw)
	}
	s.CorruptReadBacks(ReadBackStranger, 1)
	if a, raw := readBackOf(t, s, PathGetAttr, "u1"); len(a.UserAttrs) != 2 || !strings.Contains(raw, StrangerAccount) {
		t.Errorf("stranger: %s", raw)
	}
	s.CorruptReadBacks(ReadBackDuplicate, -1)
	for range 2 {
		if a, raw := readBackOf(t, s, PathTimPushGetTag, "u1"); len(a.UserTags) != 2 || a.UserTags[0].Account != a.UserTags[1].Account {
			t.Errorf("duplicate: %s", raw)
		}
	}
	s.CorruptReadBacks("", 0)
	if a, raw := readBackOf(t, s, PathGetTag, "u1"); len(a.UserTags) != 1 {
		t.Errorf("after stopping: %s", raw)
	}
}
