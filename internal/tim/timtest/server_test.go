package timtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
)

func TestRemoveAttrRecords(t *testing.T) {
	s := start(t, Config{})
	calls := []struct {
		body string
	}{
		{removeBody([]string{"sex", "city"}, "u1", "u2")},
		{removeBody([]string{"level"}, "u1")},
		// The same account twice in one call: the union is removed.
		{`{"UserAttrs":[{"To_Account":"u3","Attrs":["sex"]},{"To_Account":"u3","Attrs":["city","sex"]}]}`},
		// Spaces and punctuation are printable ASCII, so valid accounts.
		{removeBody([]string{"interest"}, "a b~!", strings.Repeat("z", 32))},
	}
	for i, c := range calls {
		r := mustPost(t, s, PathRemoveAttr, query(t), c.body)
		if r.Status != 200 || r.Reply.ActionStatus != "OK" || r.Reply.ErrorCode != 0 || r.Reply.ErrorList != nil {
			t.Fatalf("call %d: %d %s", i, r.Status, r.Body)
		}
		if want := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`; r.Body != want {
			t.Errorf("call %d: body %s, want exactly %s", i, r.Body, want)
		}
	}
	want := map[string][]string{
		"u1":                    {"city", "level", "sex"},
		"u2":                    {"city", "sex"},
		"u3":                    {"city", "sex"},
		"a b~!":                 {"interest"},
		strings.Repeat("z", 32): {"interest"},
	}
	if got := s.RemovedAccounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("RemovedAccounts = %v, want %v", got, want)
	}
	if got := s.Removed("u1"); !reflect.DeepEqual(got, want["u1"]) {
		t.Errorf("Removed(u1) = %v", got)
	}
	if got := s.Removed("nobody"); got != nil {
		t.Errorf("Removed(nobody) = %v, want nil", got)
	}
	st := s.Stats()
	if st.RemoveCalls != 4 || st.Accounts != 6 || st.MaxAccountsPerCall != 2 || st.Requests != 4 || len(st.Rejected) != 0 {
		t.Errorf("Stats = %+v", st)
	}
	cl := s.Calls()
	if len(cl) != 4 || cl[0].Accounts != 2 || cl[0].HTTPStatus != 200 || cl[0].ErrorCode != 0 || !cl[0].Time.Equal(epoch) {
		t.Errorf("Calls = %+v", cl)
	}

	s.Reset()
	if st := s.Stats(); st.RemoveCalls != 0 || len(s.Calls()) != 0 || len(s.RemovedAccounts()) != 0 {
		t.Errorf("after Reset: %+v", st)
	}
}

func TestAuthErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *Server, clk *fakeclock.Clock)
		query func(t *testing.T, q url.Values)
		want  int
		info  string // substring of ErrorInfo
	}{
		{name: "missing random", query: func(_ *testing.T, q url.Values) { q.Del("random") }, want: CodeBadURL},
		{name: "random over uint32", query: func(_ *testing.T, q url.Values) { q.Set("random", "4294967296") }, want: CodeBadURL},
		{name: "negative random", query: func(_ *testing.T, q url.Values) { q.Set("random", "-1") }, want: CodeBadURL},
		{name: "contenttype xml", query: func(_ *testing.T, q url.Values) { q.Set("contenttype", "xml") }, want: CodeBadURL},
		{name: "missing usersig", query: func(_ *testing.T, q url.Values) { q.Del("usersig") }, want: CodeBadURL},
		{name: "sdkappid not a number", query: func(_ *testing.T, q url.Values) { q.Set("sdkappid", "14e8") }, want: CodeBadURL},
		{name: "unknown app", query: func(t *testing.T, q url.Values) {
			q.Set("sdkappid", "1400000001")
			q.Set("usersig", sign(t, 1400000001, testAdmin, testKey, epoch, time.Hour))
		}, want: CodeUnknownApp},
		{name: "garbage usersig", query: func(_ *testing.T, q url.Values) { q.Set("usersig", "not-a-usersig") }, want: CodeSigMalformed},
		{name: "truncated usersig", query: func(_ *testing.T, q url.Values) { q.Set("usersig", q.Get("usersig")[:40]) }, want: CodeSigMalformed},
		{name: "corrupted usersig", query: func(_ *testing.T, q url.Values) {
			us := []byte(q.Get("usersig"))
			if us[len(us)/2] == 'A' {
				us[len(us)/2] = 'B'
			} else {
				us[len(us)/2] = 'A'
			}
			q.Set("usersig", string(us))
		}, want: CodeSigMalformed},
		{name: "usersig for another app", query: func(t *testing.T, q url.Values) {
			q.Set("usersig", sign(t, 1400000001, testAdmin, testKey, epoch, time.Hour))
		}, want: CodeSDKAppIDMismatch},
		{name: "usersig for another identifier", query: func(t *testing.T, q url.Values) {
			q.Set("usersig", sign(t, testAppID, "someone", testKey, epoch, time.Hour))
		}, want: CodeIdentifierMismatch},
		{name: "wrong key", query: func(t *testing.T, q url.Values) {
			q.Set("usersig", sign(t, testAppID, testAdmin, "wrong key", epoch, time.Hour))
		}, want: CodeSigMismatch},
		{name: "hex-decoded key", query: func(t *testing.T, q url.Values) {
			// The classic mistake: signing with the key's decoded bytes.
			raw := make([]byte, len(testKey)/2)
			fmt.Sscanf(testKey, "%x", &raw)
			q.Set("usersig", sign(t, testAppID, testAdmin, string(raw), epoch, time.Hour))
		}, want: CodeSigMismatch},
		{name: "key rotated", setup: func(s *Server, _ *fakeclock.Clock) { s.SetKey([]byte("new key")) }, want: CodeSigMismatch},
		{name: "expired", setup: func(_ *Server, c *fakeclock.Clock) { c.Advance(time.Hour + time.Second) }, want: CodeSigExpired},
		{name: "last valid second", setup: func(_ *Server, c *fakeclock.Clock) { c.Advance(time.Hour) }, want: CodeOK},
		{name: "not admin", query: func(t *testing.T, q url.Values) {
			q.Set("identifier", "someone")
			q.Set("usersig", sign(t, testAppID, "someone", testKey, epoch, time.Hour))
		}, want: CodeNeedsAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			s := start(t, Config{Now: clk.Now})
			q := query(t)
			if tt.setup != nil {
				tt.setup(s, clk)
			}
			if tt.query != nil {
				tt.query(t, q)
			}
			r := mustPost(t, s, PathRemoveAttr, q, removeBody([]string{"sex"}, "u1"))
			if r.Status != 200 || r.Reply.ErrorCode != tt.want {
				t.Fatalf("answer %d %s, want ErrorCode %d", r.Status, r.Body, tt.want)
			}
			if tt.want == CodeOK {
				return
			}
			if r.Reply.ActionStatus != "FAIL" || r.Reply.ErrorInfo == "" {
				t.Errorf("answer %s, want FAIL with ErrorInfo", r.Body)
			}
			if us := q.Get("usersig"); (us != "" && strings.Contains(r.Body, us)) || strings.Contains(r.Body, "u1") {
				t.Errorf("answer echoes the request: %s", r.Body)
			}
			if got := s.RemovedAccounts(); len(got) != 0 {
				t.Errorf("rejected call removed %v", got)
			}
			if st := s.Stats(); st.Rejected[tt.want] != 1 || st.RemoveCalls != 0 {
				t.Errorf("Stats = %+v", st)
			}
			// The same rejections apply to the other API.
			if r := mustPost(t, s, PathGetAttrName, q, `{}`); r.Reply.ErrorCode != tt.want {
				t.Errorf("im_get_attr_name: %s, want ErrorCode %d", r.Body, tt.want)
			}
		})
	}
}

func TestRemoveAttrBodyErrors(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	tests := []struct {
		name string
		body string
		want int
	}{
		{"not JSON", `{"UserAttrs":[`, CodeJSONParse},
		{"trailing garbage", removeBody([]string{"sex"}, "u1") + `x`, CodeJSONParse},
		{"array body", `[]`, CodeJSONParse},
		{"null body", `null`, CodeJSONParse},
		{"empty body", ``, CodeJSONParse},
		{"no UserAttrs", `{}`, CodeJSONParse},
		{"empty UserAttrs", `{"UserAttrs":[]}`, CodeJSONParse},
		{"account is a number", `{"UserAttrs":[{"To_Account":7,"Attrs":["sex"]}]}`, CodeJSONParse},
		{"account missing", `{"UserAttrs":[{"Attrs":["sex"]}]}`, CodeJSONParse},
		{"account empty", removeBody([]string{"sex"}, ""), CodeJSONParse},
		{"account 33 bytes", removeBody([]string{"sex"}, strings.Repeat("a", 33)), CodeJSONParse},
		{"account with newline", removeBody([]string{"sex"}, "a\nb"), CodeJSONParse},
		{"account not ASCII", removeBody([]string{"sex"}, "josé"), CodeJSONParse},
		{"101 accounts", removeBody([]string{"sex"}, many...), CodeTooManyAccounts},
		{"unregistered attr", removeBody([]string{"sex", "shoe size"}, "u1"), CodeInvalidAttr},
		{"attr case differs", removeBody([]string{"Sex"}, "u1"), CodeInvalidAttr},
		{"empty Attrs", removeBody([]string{}, "u1"), CodeInvalidAttr},
		{"null Attrs", `{"UserAttrs":[{"To_Account":"u1","Attrs":null}]}`, CodeInvalidAttr},
		{"one bad entry rejects all", `{"UserAttrs":[{"To_Account":"u1","Attrs":["sex"]},{"To_Account":"u2","Attrs":["nope"]}]}`, CodeInvalidAttr},
		{"too large", `{"UserAttrs":[{"To_Account":"u1","Attrs":["sex"]}],"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, CodeJSONParse},
	}
	s := start(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustPost(t, s, PathRemoveAttr, query(t), tt.body)
			if r.Status != 200 || r.Reply.ActionStatus != "FAIL" || r.Reply.ErrorCode != tt.want {
				t.Fatalf("answer %d %.200s, want FAIL %d", r.Status, r.Body, tt.want)
			}
			if strings.Contains(r.Reply.ErrorInfo, "u1") || strings.Contains(r.Reply.ErrorInfo, "aaaa") {
				t.Errorf("ErrorInfo echoes an account: %s", r.Reply.ErrorInfo)
			}
		})
	}
	if got := s.RemovedAccounts(); len(got) != 0 {
		t.Errorf("rejected calls removed %v", got)
	}
	if ok := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, many[:100]...)); ok.Reply.ErrorCode != 0 {
		t.Errorf("100 accounts: %s", ok.Body)
	}
	if st := s.Stats(); st.MaxAccountsPerCall != 100 || st.Accounts != 100 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestFailAccounts(t *testing.T) {
	s := start(t, Config{})
	s.FailAccounts(CodeNoSuchAccount, "ghost", "gone")
	s.FailAccounts(70402, "odd")

	r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1", "ghost", "u2", "odd"))
	want := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[{"To_Account":"ghost","ErrorCode":70107},{"To_Account":"odd","ErrorCode":70402}]}`
	if r.Body != want {
		t.Fatalf("answer %s\nwant   %s", r.Body, want)
	}
	if got := s.RemovedAccounts(); !reflect.DeepEqual(got, map[string][]string{"u1": {"sex"}, "u2": {"sex"}}) {
		t.Errorf("RemovedAccounts = %v", got)
	}

	// Every account failing is still an OK answer with a full ErrorList.
	r = mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "gone"))
	if r.Reply.ActionStatus != "OK" || len(r.Reply.ErrorList) != 1 || r.Reply.ErrorList[0].Account != "gone" {
		t.Errorf("all failing: %s", r.Body)
	}

	s.FailAccounts(CodeOK, "ghost")
	r = mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"city"}, "ghost"))
	if r.Reply.ErrorList != nil || !reflect.DeepEqual(s.Removed("ghost"), []string{"city"}) {
		t.Errorf("after clearing: %s, Removed = %v", r.Body, s.Removed("ghost"))
	}
	st := s.Stats()
	if st.AccountErrors != 3 || st.Accounts != 3 || st.RemoveCalls != 3 {
		t.Errorf("Stats = %+v", st)
	}
	if c := s.Calls(); c[0].Failed != 2 || c[0].Accounts != 4 {
		t.Errorf("Calls[0] = %+v", c[0])
	}
}

func TestGetAttrName(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		body  string
		want  string
	}{
		{"defaults", nil, `{}`, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{"0":"sex","1":"city","2":"country","3":"level","4":"interest"}}`},
		{"unknown fields ignored", []string{"a"}, `{"x":1}`, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{"0":"a"}}`},
		{"no names", []string{}, `{}`, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{}}`},
		{"bad JSON", nil, `{`, `{"ActionStatus":"FAIL","ErrorCode":90001,"ErrorInfo":"request body must be a JSON object"}`},
		{"not an object", nil, `[]`, `{"ActionStatus":"FAIL","ErrorCode":90001,"ErrorInfo":"request body must be a JSON object"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{AttrNames: tt.names})
			if r := mustPost(t, s, PathGetAttrName, query(t), tt.body); r.Body != tt.want {
				t.Errorf("answer %s\nwant   %s", r.Body, tt.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	s := start(t, Config{})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/v4/all_member_push/im_remove_attr_x", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusNotFound},
		{http.MethodGet, PathRemoveAttr, http.StatusMethodNotAllowed},
		{http.MethodPut, PathGetAttrName, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, s.URL()+tt.path+"?"+query(t).Encode(), strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
	if st := s.Stats(); st.HTTPStatus[404] != 2 || st.HTTPStatus[405] != 2 || st.Requests != 4 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	s := start(t, Config{RateLimit: 3, Now: clk.Now})
	body := removeBody([]string{"sex"}, "u1")
	codes := func(path string, n int) []int {
		var out []int
		for i := 0; i < n; i++ {
			r := mustPost(t, s, path, query(t), body)
			out = append(out, r.Reply.ErrorCode)
		}
		return out
	}
	if got := codes(PathRemoveAttr, 5); !reflect.DeepEqual(got, []int{0, 0, 0, 60018, 60018}) {
		t.Errorf("first second: %v", got)
	}
	// Counted per API: the other path has its own window.
	if got := codes(PathGetAttrName, 3); !reflect.DeepEqual(got, []int{0, 0, 0}) {
		t.Errorf("other path: %v", got)
	}
	clk.Advance(999 * time.Millisecond)
	if got := codes(PathRemoveAttr, 1); got[0] != CodeRateLimited {
		t.Errorf("within the window: %v", got)
	}
	clk.Advance(time.Millisecond)
	if got := codes(PathRemoveAttr, 4); !reflect.DeepEqual(got, []int{0, 0, 0, 60018}) {
		t.Errorf("next second: %v", got)
	}
	st := s.Stats()
	if st.RateLimited != 4 || st.Rejected[CodeRateLimited] != 4 || st.FaultsInjected != 0 || st.RemoveCalls != 6 {
		t.Errorf("Stats = %+v", st)
	}
}

// faultTrace runs n sequential calls and describes each outcome.
func faultTrace(t *testing.T, f Faults, n int) []string {
	t.Helper()
	s := start(t, Config{Faults: f})
	var out []string
	for i := 0; i < n; i++ {
		r, err := post(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1"))
		switch {
		case err != nil:
			out = append(out, "error")
		case r.Status != 200:
			out = append(out, fmt.Sprint(r.Status))
		default:
			out = append(out, fmt.Sprint(r.Reply.ErrorCode))
		}
	}
	return out
}

func TestFaultsReproducible(t *testing.T) {
	f := Faults{Seed: 42, HTTP502: 0.2, ConnReset: 0.2, Internal91000: 0.2, RateLimited60018: 0.2}
	a, b := faultTrace(t, f, 40), faultTrace(t, f, 40)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	seen := map[string]bool{}
	for _, o := range a {
		seen[o] = true
	}
	for _, want := range []string{"0", "502", "error", "91000", "60018"} {
		if !seen[want] {
			t.Errorf("outcome %s never drawn in %v", want, a)
		}
	}
	f.Seed = 43
	if c := faultTrace(t, f, 40); reflect.DeepEqual(a, c) {
		t.Errorf("different seeds gave the same faults: %v", c)
	}
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		check  func(t *testing.T, r result, err error)
		kind   FaultKind
		status int
	}{
		{"502", Faults{HTTP502: 1}, func(t *testing.T, r result, err error) {
			if err != nil || r.Status != 502 || !strings.Contains(r.Body, "<html>") {
				t.Errorf("got %v %d %q", err, r.Status, r.Body)
			}
		}, FaultHTTP502, 502},
		{"reset", Faults{ConnReset: 1}, func(t *testing.T, _ result, err error) {
			if err == nil {
				t.Errorf("reset connection produced an answer")
			}
		}, FaultConnReset, 0},
		{"91000", Faults{Internal91000: 1}, func(t *testing.T, r result, err error) {
			if err != nil || r.Reply.ActionStatus != "FAIL" || r.Reply.ErrorCode != CodeInternal {
				t.Errorf("got %v %s", err, r.Body)
			}
		}, FaultInternal, 200},
		{"60018", Faults{RateLimited60018: 1}, func(t *testing.T, r result, err error) {
			if err != nil || r.Reply.ErrorCode != CodeRateLimited {
				t.Errorf("got %v %s", err, r.Body)
			}
		}, FaultRateLimited, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{Faults: tt.faults})
			for i := 0; i < 3; i++ { // also on reused connections
				r, err := post(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1"))
				tt.check(t, r, err)
			}
			st := s.Stats()
			if st.FaultsInjected != 3 || st.Faults[tt.kind] != 3 || st.RemoveCalls != 0 || st.RateLimited != 0 {
				t.Errorf("Stats = %+v", st)
			}
			if c := s.Calls(); len(c) != 3 || c[0].Fault != tt.kind || c[0].HTTPStatus != tt.status {
				t.Errorf("Calls = %+v", c)
			}
			if len(s.RemovedAccounts()) != 0 {
				t.Errorf("a faulted call removed attributes")
			}
			// Turning faults off restores service.
			if err := s.SetFaults(Faults{}); err != nil {
				t.Fatal(err)
			}
			if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1")); r.Reply.ErrorCode != 0 {
				t.Errorf("after SetFaults: %s", r.Body)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	s := start(t, Config{Faults: Faults{Latency: 50 * time.Millisecond, LatencyJitter: 20 * time.Millisecond}})
	t0 := time.Now()
	mustPost(t, s, PathGetAttrName, query(t), `{}`)
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}

	// A client that gives up is not kept waiting for.
	if err := s.SetFaults(Faults{Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Post(s.URL()+PathGetAttrName+"?"+query(t).Encode(), "application/json", strings.NewReader(`{}`)); err == nil {
		t.Errorf("an hour of latency answered within 50ms")
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a sleeping handler")
	}
}

func TestConcurrent(t *testing.T) {
	s := start(t, Config{RateLimit: 1000, Faults: Faults{Seed: 1, Internal91000: 0.1, HTTP502: 0.05}})
	q := query(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				acct := fmt.Sprintf("g%d-%d", g, i)
				if _, err := post(t, s, PathRemoveAttr, q, removeBody([]string{"sex"}, acct)); err != nil {
					t.Errorf("post: %v", err)
				}
				switch i % 5 {
				case 0:
					_ = s.Stats()
				case 1:
					_ = s.Calls()
				case 2:
					s.FailAccounts(CodeNoSuchAccount, acct+"x")
				case 3:
					_ = s.RemovedAccounts()
				case 4:
					s.SetKey([]byte(testKey))
				}
			}
		}()
	}
	wg.Wait()
	st := s.Stats()
	if st.Requests != 200 || st.RemoveCalls+st.FaultsInjected != 200 || len(s.RemovedAccounts()) != st.RemoveCalls {
		t.Errorf("Stats = %+v, removed %d", st, len(s.RemovedAccounts()))
	}
}

func TestValidate(t *testing.T) {
	key := []byte("k")
	tests := []struct {
		name  string
		cfg   Config
		field string // empty: valid
	}{
		{"defaults", Config{Key: key}, ""},
		{"no key", Config{}, "Key"},
		{"bad admin", Config{Key: key, Identifier: "a\nb"}, "Identifier"},
		{"11 names", Config{Key: key, AttrNames: strings.Split("a b c d e f g h i j k", " ")}, "AttrNames"},
		{"empty name", Config{Key: key, AttrNames: []string{"a", ""}}, "AttrNames[1]"},
		{"long name", Config{Key: key, AttrNames: []string{strings.Repeat("n", 51)}}, "AttrNames[0]"},
		{"duplicate name", Config{Key: key, AttrNames: []string{"a", "a"}}, "AttrNames[1]"},
		{"negative rate", Config{Key: key, RateLimit: -1}, "RateLimit"},
		{"probability over 1", Config{Key: key, Faults: Faults{HTTP502: 1.5}}, "Faults.HTTP502"},
		{"negative probability", Config{Key: key, Faults: Faults{ConnReset: -0.1}}, "Faults.ConnReset"},
		{"sum over 1", Config{Key: key, Faults: Faults{Internal91000: 0.6, RateLimited60018: 0.6}}, "Faults"},
		{"negative latency", Config{Key: key, Faults: Faults{Latency: -1}}, "Faults.Latency"},
		{"negative jitter", Config{Key: key, Faults: Faults{LatencyJitter: -1}}, "Faults.LatencyJitter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			ce, ok := err.(*ConfigError)
			if !ok || ce.Field != tt.field {
				t.Fatalf("Validate = %#v, want ConfigError for %s", err, tt.field)
			}
			if _, err := Start(tt.cfg); err == nil {
				t.Errorf("Start accepted an invalid config")
			}
		})
	}
	s := NewServer(Config{Key: key})
	if err := s.SetFaults(Faults{HTTP502: 2}); err == nil {
		t.Errorf("SetFaults accepted an invalid Faults")
	}
}

func TestConfigIsCopied(t *testing.T) {
	key := []byte(testKey)
	names := []string{"sex"}
	s := start(t, Config{Key: key, AttrNames: names})
	key[0] = 'X'
	names[0] = "city"
	if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1")); r.Reply.ErrorCode != 0 {
		t.Errorf("caller's later changes reached the server: %s", r.Body)
	}
}

func TestLogfIsQuietAndSafe(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := start(t, Config{Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	q := query(t)
	q.Set("usersig", sign(t, testAppID, testAdmin, "wrong", epoch, time.Hour))
	mustPost(t, s, PathRemoveAttr, q, removeBody([]string{"sex"}, "secret-account"))
	mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"nope"}, "secret-account"))
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("lines = %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "secret-account") || strings.Contains(l, q.Get("usersig")) {
			t.Errorf("log line leaks: %q", l)
		}
	}
}

func TestRedirect(t *testing.T) {
	const location = "http://127.0.0.1:1/elsewhere?x=1"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		status   int
		location string
		body     string
	}{
		{http.StatusMovedPermanently, location, redirectBody},
		{http.StatusFound, location, redirectBody},
		{http.StatusSeeOther, location, redirectBody},
		{http.StatusNotModified, location, ""},
		{http.StatusTemporaryRedirect, location, redirectBody},
		{http.StatusPermanentRedirect, location, redirectBody},
		{http.StatusFound, "", redirectBody},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %q", tt.status, tt.location), func(t *testing.T) {
			var mu sync.Mutex
			var lines []string
			s := start(t, Config{Logf: func(format string, args ...any) {
				mu.Lock()
				lines = append(lines, fmt.Sprintf(format, args...))
				mu.Unlock()
			}})
			if err := s.SetRedirect(tt.status, tt.location); err != nil {
				t.Fatalf("SetRedirect: %v", err)
			}
			for _, path := range []string{PathRemoveAttr, PathGetAttrName} {
				resp, err := noFollow.Post(s.URL()+path+"?"+query(t).Encode(), "application/json", strings.NewReader(removeBody([]string{"sex"}, "u1")))
				if err != nil {
					t.Fatalf("POST %s: %v", path, err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				loc, hasLoc := resp.Header["Location"]
				if resp.StatusCode != tt.status || string(b) != tt.body || hasLoc != (tt.location != "") || (hasLoc && loc[0] != tt.location) {
					t.Errorf("%s: %d Location %q body %q, want %d Location %q body %q", path, resp.StatusCode, loc, b, tt.status, tt.location, tt.body)
				}
			}
			if got := s.RemovedAccounts(); len(got) != 0 {
				t.Errorf("a redirected call removed %v", got)
			}
			st := s.Stats()
			if st.Requests != 2 || st.HTTPStatus[tt.status] != 2 || st.RemoveCalls != 0 || st.AttrNameCalls != 0 || st.FaultsInjected != 0 {
				t.Errorf("Stats = %+v", st)
			}
			if c := s.Calls(); len(c) != 1 || c[0].HTTPStatus != tt.status || c[0].ErrorCode != 0 {
				t.Errorf("Calls = %+v", c)
			}
			mu.Lock()
			for _, l := range lines {
				if strings.Contains(l, "elsewhere") || strings.Contains(l, "usersig") {
					t.Errorf("log line leaks: %q", l)
				}
			}
			if len(lines) != 2 {
				t.Errorf("lines = %q, want one per redirect", lines)
			}
			mu.Unlock()

			// Status 0 restores service.
			if err := s.SetRedirect(0, ""); err != nil {
				t.Fatal(err)
			}
			if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1")); r.Status != 200 || r.Reply.ErrorCode != 0 {
				t.Errorf("after SetRedirect(0): %d %s", r.Status, r.Body)
			}
		})
	}

	t.Run("invalid status", func(t *testing.T) {
		s := start(t, Config{})
		if err := s.SetRedirect(http.StatusFound, location); err != nil {
			t.Fatal(err)
		}
		for _, status := range []int{-1, 200, 299, 400, 502} {
			err := s.SetRedirect(status, "http://other.invalid/")
			if ce, ok := err.(*ConfigError); !ok || ce.Field != "redirect status" {
				t.Errorf("SetRedirect(%d) = %v, want a ConfigError", status, err)
			}
		}
		resp, err := noFollow.Post(s.URL()+PathGetAttrName+"?"+query(t).Encode(), "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != location {
			t.Errorf("after refused settings: %d %q, want the old redirect", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestInjectErrorList(t *testing.T) {
	s := start(t, Config{})
	s.FailAccounts(70402, "odd")
	entries := []AccountError{{Account: "", ErrorCode: 70402}, {Account: "mallory", ErrorCode: CodeNoSuchAccount}}
	s.InjectErrorList(entries...)
	entries[1].Account = "changed" // the server keeps its own copy

	r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"sex"}, "u1", "odd"))
	want := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[` +
		`{"To_Account":"odd","ErrorCode":70402},{"To_Account":"","ErrorCode":70402},{"To_Account":"mallory","ErrorCode":70107}]}`
	if r.Body != want {
		t.Fatalf("answer %s\nwant   %s", r.Body, want)
	}
	// The call itself is carried out as usual.
	if got := s.RemovedAccounts(); !reflect.DeepEqual(got, map[string][]string{"u1": {"sex"}}) {
		t.Errorf("RemovedAccounts = %v", got)
	}

	// Rejected calls and im_get_attr_name carry no ErrorList.
	if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"nope"}, "u2")); r.Reply.ErrorCode != CodeInvalidAttr || r.Reply.ErrorList != nil {
		t.Errorf("rejected call: %s", r.Body)
	}
	if r := mustPost(t, s, PathGetAttrName, query(t), `{}`); r.Reply.ErrorList != nil {
		t.Errorf("im_get_attr_name: %s", r.Body)
	}

	st := s.Stats()
	if st.AccountErrors != 1 || st.Accounts != 1 || st.InjectedErrorEntries != 2 || st.RemoveCalls != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if c := s.Calls(); len(c) != 2 || c[0].Failed != 1 || c[0].Injected != 2 || c[1].Injected != 0 {
		t.Errorf("Calls = %+v", c)
	}

	// No entries stops it.
	s.InjectErrorList()
	if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"city"}, "u3")); r.Reply.ErrorList != nil {
		t.Errorf("after InjectErrorList(): %s", r.Body)
	}
}

// TestAttrNamesChangeAtRunTime edits the names "in the console" and makes
// the lookup fail: removals follow the current names, and the lookup
// answers the failure code until it is cleared.
func TestAttrNamesChangeAtRunTime(t *testing.T) {
	s := start(t, Config{AttrNames: []string{"sex", "city"}})
	steps := []struct {
		name       string
		change     func()
		lookup     string
		removeCity int // ErrorCode of removing city
	}{
		{"as configured", func() {}, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{"0":"sex","1":"city"}}`, 0},
		{"city deleted", func() { s.SetAttrNames("sex", "level") }, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{"0":"sex","1":"level"}}`, CodeInvalidAttr},
		{"lookup failing", func() { s.FailAttrNames(CodeInternal) }, `{"ActionStatus":"FAIL","ErrorCode":91000,"ErrorInfo":"attribute names unavailable (FailAttrNames)"}`, CodeInvalidAttr},
		{"lookup back, city re-added", func() { s.FailAttrNames(0); s.SetAttrNames("city") }, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AttrNames":{"0":"city"}}`, 0},
	}
	for _, step := range steps {
		step.change()
		if r := mustPost(t, s, PathGetAttrName, query(t), `{}`); r.Body != step.lookup {
			t.Errorf("%s: lookup %s\nwant       %s", step.name, r.Body, step.lookup)
		}
		if r := mustPost(t, s, PathRemoveAttr, query(t), removeBody([]string{"city"}, "u1")); r.Reply.ErrorCode != step.removeCity {
			t.Errorf("%s: removing city answered %s", step.name, r.Body)
		}
	}
}
