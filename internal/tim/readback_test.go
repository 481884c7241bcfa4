package tim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// secretValue stands for an attribute value or a tag: personal data that
// must never leave the client's decoding.
const secretValue = "Female-SECRETVALUE"

// TestReadBackAnswers judges read-back answers by the trust rules: a
// stranger or a duplicate makes the whole answer untrusted (retryable), a
// missing account is not verified, order does not matter, "Attrs":{} and
// 70107 are clean.
func TestReadBackAnswers(t *testing.T) {
	ok := func(body string) string { return `{"ActionStatus":"OK","ErrorCode":0,` + body + `}` }
	attr := func(account, attrs string) string { return `{"To_Account":"` + account + `","Attrs":` + attrs + `}` }
	tag := func(account, tags string) string { return `{"To_Account":"` + account + `","Tags":` + tags + `}` }
	v := `"` + secretValue + `"`
	tests := []struct {
		name    string
		op      Operation
		body    string
		want    ReadResult
		errKind string
		class   erasure.Class
	}{
		{name: "attrs clean, any order", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u2", `{}`) + `,` + attr("u1", `{}`) + `]`)},
		{name: "attrs: a name not removed is no residue", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{"level":`+v+`}`) + `,` + attr("u2", `{}`) + `]`)},
		{name: "attrs: a removed name left", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{"sex":`+v+`,"level":"3"}`) + `,` + attr("u2", `{}`) + `]`), want: ReadResult{Dirty: []string{"u1"}}},
		{name: "attrs: a removed name left with an empty value", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u2", `{"city":""}`) + `,` + attr("u1", `{}`) + `]`), want: ReadResult{Dirty: []string{"u2"}}},
		{name: "attrs: null Attrs is clean", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `null`) + `,` + attr("u2", `{}`) + `]`)},
		{name: "attrs: missing account", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u2", `{}`) + `]`), want: ReadResult{Missing: []string{"u1"}}},
		{name: "attrs: empty answer", op: OpGetAttr, body: ok(`"UserAttrs":[]`), want: ReadResult{Missing: []string{"u1", "u2"}}},
		{name: "attrs: 70107 is clean", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{}`) + `],"ErrorList":[{"To_Account":"u2","ErrorCode":70107}]`)},
		{name: "attrs: other ErrorList code fails the account", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{}`) + `],"ErrorList":[{"To_Account":"u2","ErrorCode":91000}]`), want: ReadResult{Failed: []AccountError{{"u2", 91000}}}},
		{name: "attrs: stranger", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{}`) + `,` + attr("u2", `{}`) + `,` + attr("u3", `{}`) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "attrs: duplicate", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{}`) + `,` + attr("u1", `{}`) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "attrs: duplicate across answer and ErrorList", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `{}`) + `,` + attr("u2", `{}`) + `],"ErrorList":[{"To_Account":"u1","ErrorCode":70107}]`), errKind: "decode", class: erasure.Retryable},
		{name: "attrs: entry without account", op: OpGetAttr, body: ok(`"UserAttrs":[{"Attrs":{}}]`), errKind: "decode", class: erasure.Retryable},
		{name: "attrs: ErrorList stranger", op: OpGetAttr, body: ok(`"UserAttrs":[],"ErrorList":[{"To_Account":"u3","ErrorCode":70107}]`), errKind: "decode", class: erasure.Retryable},
		{name: "attrs: Attrs not an object", op: OpGetAttr, body: ok(`"UserAttrs":[` + attr("u1", `[`+v+`]`) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "tags clean, any order", op: OpGetTag, body: ok(`"UserTags":[` + tag("u2", `[]`) + `,` + tag("u1", `null`) + `]`)},
		{name: "tags left", op: OpGetTag, body: ok(`"UserTags":[` + tag("u1", `[`+v+`]`) + `,` + tag("u2", `[]`) + `]`), want: ReadResult{Dirty: []string{"u1"}}},
		{name: "tags: missing account", op: OpGetTag, body: ok(`"UserTags":[` + tag("u1", `[]`) + `]`), want: ReadResult{Missing: []string{"u2"}}},
		{name: "tags: 70107 is clean", op: OpGetTag, body: ok(`"UserTags":[` + tag("u1", `[]`) + `],"ErrorList":[{"To_Account":"u2","ErrorCode":70107}]`)},
		{name: "tags: stranger", op: OpGetTag, body: ok(`"UserTags":[` + tag("u1", `[]`) + `,` + tag("u2", `[]`) + `,` + tag("x", `[]`) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "tags: duplicate", op: OpGetTag, body: ok(`"UserTags":[` + tag("u2", `[`+v+`]`) + `,` + tag("u2", `[]`) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "tags: Tags not an array", op: OpGetTag, body: ok(`"UserTags":[` + tag("u1", v) + `]`), errKind: "decode", class: erasure.Retryable},
		{name: "91000", op: OpGetAttr, body: `{"ActionStatus":"FAIL","ErrorCode":91000}`, errKind: "api", class: erasure.Retryable},
		{name: "60018", op: OpGetTag, body: `{"ActionStatus":"FAIL","ErrorCode":60018}`, errKind: "api", class: erasure.RateLimited},
		{name: "70001", op: OpGetAttr, body: `{"ActionStatus":"FAIL","ErrorCode":70001}`, errKind: "api", class: erasure.SigExpired},
		{name: "70009", op: OpGetTag, body: `{"ActionStatus":"FAIL","ErrorCode":70009}`, errKind: "api", class: erasure.Signature},
		{name: "60020", op: OpGetAttr, body: `{"ActionStatus":"FAIL","ErrorCode":60020}`, errKind: "api", class: erasure.Configuration},
	}
	for _, family := range []Family{AllMemberPush, TimPush} {
		for _, tt := range tests {
			t.Run(family.String()+" "+tt.name, func(t *testing.T) {
				rec := newRecorder(t, 200, tt.body)
				c := newClient(t, rec.srv.URL, newSigner())
				c.Family = family
				res, err := readOp(c, tt.op, "u1", "u2")
				if reqs := rec.requests(); len(reqs) != 1 || reqs[0].Path != family.Path(tt.op) || string(reqs[0].Body) != `{"To_Account":["u1","u2"]}` {
					t.Errorf("requests = %+v, want one {\"To_Account\":[\"u1\",\"u2\"]} to %s", reqs, family.Path(tt.op))
				}
				if fmt.Sprintf("%+v %v", res, err) != "" && strings.Contains(fmt.Sprintf("%+v %v", res, err), secretValue) {
					t.Errorf("result or error carries a value: %+v %v", res, err)
				}
				if tt.errKind == "" {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					if !slices.Equal(res.Dirty, tt.want.Dirty) || !slices.Equal(res.Missing, tt.want.Missing) || !slices.Equal(res.Failed, tt.want.Failed) {
						t.Errorf("result = %+v, want %+v", res, tt.want)
					}
					if res.Clean() != (len(tt.want.Dirty)+len(tt.want.Missing)+len(tt.want.Failed) == 0) {
						t.Errorf("Clean() = %v for %+v", res.Clean(), res)
					}
					return
				}
				if kind, op := errOp(err); kind != tt.errKind || op != family.apiName(tt.op) {
					t.Fatalf("err = %T %v, want a %s error of %s", err, err, tt.errKind, family.apiName(tt.op))
				}
				if got := Classify(err); got != tt.class {
					t.Errorf("Classify = %v, want %v", got, tt.class)
				}
				if strings.Contains(err.Error(), "u3") || strings.Contains(err.Error(), fakeSig) {
					t.Errorf("error %q names an account or the UserSig", err)
				}
			})
		}
	}
}

// readOp reads accounts back with op; GetAttrs asks about sex and city.
func readOp(c *Client, op Operation, accounts ...string) (ReadResult, error) {
	if op == OpGetTag {
		return c.GetTags(context.Background(), accounts)
	}
	users := make([]UserAttrs, len(accounts))
	for i, a := range accounts {
		users[i] = UserAttrs{Account: a, Attrs: []string{"sex", "city"}}
	}
	return c.GetAttrs(context.Background(), users)
}

// TestReadBackRefusesCallSize checks that 0 or 101 accounts are refused
// before anything is sent.
func TestReadBackRefusesCallSize(t *testing.T) {
	rec := newRecorder(t, 200, okBody)
	c := newClient(t, rec.srv.URL, newSigner())
	many := make([]string, erasure.MaxAccountsPerCall+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	for _, op := range []Operation{OpGetAttr, OpGetTag} {
		for _, accounts := range [][]string{nil, many} {
			_, err := readOp(c, op, accounts...)
			if kind, _ := errOp(err); kind != "request" || Classify(err) != erasure.Content {
				t.Errorf("%s of %d accounts: err = %v, want a request error", op, len(accounts), err)
			}
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestReadBackBodyLimits checks that each read-back has a limit that fits
// its largest answer (100 accounts of 10 attributes, ~110 KB; 100 accounts
// of 100 tags of 50 bytes, ~0.5 MB) while a removal keeps the small one.
func TestReadBackBodyLimits(t *testing.T) {
	accounts := make([]string, erasure.MaxAccountsPerCall)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("account-%026d", i) // 32 bytes
	}
	value := strings.Repeat("v", 50)
	type entry struct {
		Account string            `json:"To_Account"`
		Attrs   map[string]string `json:"Attrs,omitempty"`
		Tags    []string          `json:"Tags,omitempty"`
	}
	var attrs, tags []entry
	for _, a := range accounts {
		m := map[string]string{}
		for i := range 10 {
			m[fmt.Sprintf("name-%045d", i)] = value
		}
		var ts []string
		for i := range 100 {
			ts = append(ts, fmt.Sprintf("%s%03d", value[:47], i))
		}
		attrs = append(attrs, entry{Account: a, Attrs: m})
		tags = append(tags, entry{Account: a, Tags: ts})
	}
	body := func(field string, v any) string {
		b, _ := json.Marshal(map[string]any{"ActionStatus": "OK", "ErrorCode": 0, field: v})
		return string(b)
	}
	attrBody, tagBody := body("UserAttrs", attrs), body("UserTags", tags)
	if len(attrBody) < 100<<10 || len(attrBody) > maxGetAttrBytes || len(tagBody) < 500<<10 || len(tagBody) > maxGetTagBytes {
		t.Fatalf("largest answers: attributes %d bytes, tags %d bytes", len(attrBody), len(tagBody))
	}
	for _, tt := range []struct {
		op   Operation
		body string
		ok   bool
	}{
		{OpGetAttr, attrBody, true},
		{OpGetTag, tagBody, true},
		{OpGetAttr, attrBody + strings.Repeat(" ", maxGetAttrBytes-len(attrBody)+1), false},
		{OpGetTag, tagBody + strings.Repeat(" ", maxGetTagBytes-len(tagBody)+1), false},
		{OpRemoveAttr, attrBody, false},
	} {
		rec := newRecorder(t, 200, tt.body)
		c := newClient(t, rec.srv.URL, newSigner())
		var err error
		if tt.op == OpRemoveAttr {
			_, err = c.RemoveAttrs(context.Background(), []UserAttrs{{Account: accounts[0], Attrs: []string{"sex"}}})
		} else {
			_, err = readOp(c, tt.op, accounts...)
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s, %d bytes: err = %v, want ok %v", tt.op, len(tt.body), err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), value) {
			t.Errorf("error carries a value: %v", err)
		}
	}
}

// TestReadBackAgainstStandIn reads data the stand-in holds, in both
// families, before and after removals, and under its three faults.
func TestReadBackAgainstStandIn(t *testing.T) {
	for _, family := range []Family{AllMemberPush, TimPush} {
		t.Run(family.String(), func(t *testing.T) {
			stub, signer := startStub(t)
			c := newClient(t, stub.URL(), signer)
			c.Family = family
			ctx := context.Background()
			stub.SetAttrs("alice", map[string]string{"sex": secretValue, "city": "Paris"})
			stub.SetTags("alice", secretValue)
			users := []UserAttrs{{Account: "alice", Attrs: []string{"sex"}}, {Account: "bob", Attrs: []string{"sex"}}}
			both := []string{"alice", "bob"}

			if res, err := c.GetAttrs(ctx, users); err != nil || !slices.Equal(res.Dirty, []string{"alice"}) {
				t.Fatalf("before removal: GetAttrs = %+v, %v", res, err)
			}
			if res, err := c.GetTags(ctx, both); err != nil || !slices.Equal(res.Dirty, []string{"alice"}) {
				t.Fatalf("before removal: GetTags = %+v, %v", res, err)
			}
			// A removal answered OK but not applied leaves the data.
			stub.IgnoreRemovals(1, "alice")
			if _, err := c.RemoveAttrs(ctx, users); err != nil {
				t.Fatal(err)
			}
			if res, err := c.GetAttrs(ctx, users); err != nil || !slices.Equal(res.Dirty, []string{"alice"}) {
				t.Fatalf("after an ignored removal: GetAttrs = %+v, %v", res, err)
			}
			stub.IgnoreRemovals(0, "alice") // the tags' next removal, counted apart, is applied
			// A lagging read path shows the old data until the lag is over.
			stub.SetReadLag(300 * time.Millisecond)
			if _, err := c.RemoveAttrs(ctx, users); err != nil {
				t.Fatal(err)
			}
			if _, err := c.RemoveAllTags(ctx, both); err != nil {
				t.Fatal(err)
			}
			if res, err := c.GetAttrs(ctx, users); err != nil || !slices.Equal(res.Dirty, []string{"alice"}) {
				t.Fatalf("while lagging: GetAttrs = %+v, %v", res, err)
			}
			time.Sleep(350 * time.Millisecond)
			if res, err := c.GetAttrs(ctx, users); err != nil || !res.Clean() {
				t.Fatalf("after the lag: GetAttrs = %+v, %v", res, err)
			}
			if res, err := c.GetTags(ctx, both); err != nil || !res.Clean() {
				t.Fatalf("after the lag: GetTags = %+v, %v", res, err)
			}
			if got := stub.Attrs("alice"); !slices.Equal(mapKeys(got), []string{"city"}) {
				t.Errorf("alice keeps %v, want only city", mapKeys(got))
			}
			// Untrusted answers.
			for _, f := range []timtest.ReadBackFault{timtest.ReadBackStranger, timtest.ReadBackDuplicate} {
				stub.CorruptReadBacks(f, 1)
				if _, err := c.GetAttrs(ctx, users); Classify(err) != erasure.Retryable {
					t.Errorf("%s: err = %v, want retryable", f, err)
				}
				if res, err := c.GetAttrs(ctx, users); err != nil || !res.Clean() {
					t.Errorf("%s: next answer = %+v, %v, want clean", f, res, err)
				}
			}
			// An account Tencent does not know: empty in all_member_push,
			// 70107 in timpush; clean either way.
			stub.FailAccounts(timtest.CodeNoSuchAccount, "bob")
			if res, err := c.GetTags(ctx, both); err != nil || !res.Clean() {
				t.Errorf("unknown account: GetTags = %+v, %v", res, err)
			}
		})
	}
}

func mapKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
