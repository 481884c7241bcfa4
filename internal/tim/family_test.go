package tim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// The error Op of all_member_push's calls, as the older tests name them.
const (
	opRemoveAttr  = "im_remove_attr"
	opGetAttrName = "im_get_attr_name"
)

func TestParseFamily(t *testing.T) {
	tests := []struct {
		in   string
		want Family
		ok   bool
	}{
		{"", AllMemberPush, true},
		{"all_member_push", AllMemberPush, true},
		{"timpush", TimPush, true},
		{"TimPush", TimPush, true},
		{"ALL_MEMBER_PUSH", AllMemberPush, true},
		{"tim_push", "", false},
		{"v4/timpush", "", false},
		{" timpush", "", false},
		{"all-member-push", "", false},
		{strings.Repeat("x", 100), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFamily(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("ParseFamily = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var fe *familyError
			if !errors.As(err, &fe) || fe.Value != tt.in || got != "" {
				t.Fatalf("ParseFamily = %q, %v; want a *familyError", got, err)
			}
			if Classify(err) != erasure.Configuration {
				t.Errorf("Classify = %v, want configuration", Classify(err))
			}
			if len(err.Error()) > 120 {
				t.Errorf("Error() is %d bytes: the value is not truncated", len(err.Error()))
			}
		})
	}
}

func TestFamilyPaths(t *testing.T) {
	tests := []struct {
		family   Family
		op       Operation
		wantPath string
		wantName string
	}{
		{"", OpRemoveAttr, pathRemoveAttr, "im_remove_attr"},
		{"", OpGetAttrName, pathGetAttrName, "im_get_attr_name"},
		{"", OpRemoveAllTags, pathRemoveAllTags, "im_remove_all_tags"},
		{AllMemberPush, OpRemoveAttr, "/v4/all_member_push/im_remove_attr", "im_remove_attr"},
		{AllMemberPush, OpGetAttrName, "/v4/all_member_push/im_get_attr_name", "im_get_attr_name"},
		{AllMemberPush, OpRemoveAllTags, "/v4/all_member_push/im_remove_all_tags", "im_remove_all_tags"},
		{TimPush, OpRemoveAttr, "/v4/timpush/remove_attr", "remove_attr"},
		{TimPush, OpGetAttrName, "/v4/timpush/get_attr_name", "get_attr_name"},
		{TimPush, OpRemoveAllTags, "/v4/timpush/clear_all_tags", "clear_all_tags"},
		{AllMemberPush, OpGetAttr, "/v4/all_member_push/im_get_attr", "im_get_attr"},
		{AllMemberPush, OpGetTag, "/v4/all_member_push/im_get_tag", "im_get_tag"},
		{TimPush, OpGetAttr, "/v4/timpush/get_attr", "get_attr"},
		{TimPush, OpGetTag, "/v4/timpush/get_tag", "get_tag"},
		{"other", OpRemoveAttr, "", ""},
		{TimPush, "remove_everything", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.family.String()+" "+string(tt.op), func(t *testing.T) {
			if got := tt.family.Path(tt.op); got != tt.wantPath {
				t.Errorf("Path = %q, want %q", got, tt.wantPath)
			}
			if got := tt.family.apiName(tt.op); got != tt.wantName {
				t.Errorf("apiName = %q, want %q", got, tt.wantName)
			}
			// The stand-in keeps its own table; the two must agree.
			if tt.wantPath != "" {
				if got := timtest.Path(timtest.Family(tt.family.String()), timtest.Op(tt.op)); got != tt.wantPath {
					t.Errorf("timtest.Path = %q, want %q", got, tt.wantPath)
				}
			}
		})
	}
	if got := Family("").String(); got != "all_member_push" {
		t.Errorf("zero Family String = %q", got)
	}
	ops := operations()
	if len(ops) != 5 || len(slices.Compact(slices.Sorted(slices.Values(ops)))) != 5 {
		t.Errorf("operations = %v, want five distinct", ops)
	}
	ops[0] = "changed"
	if operations()[0] != OpRemoveAttr {
		t.Errorf("operations shares its slice with callers")
	}
}

// TestFamiliesAgainstStandIn makes every call of each family over real HTTP
// and checks, by the stand-in's own record, which path each one used.
func TestFamiliesAgainstStandIn(t *testing.T) {
	tests := []struct {
		family Family
		want   timtest.Family
	}{
		{"", timtest.FamilyAllMemberPush},
		{AllMemberPush, timtest.FamilyAllMemberPush},
		{TimPush, timtest.FamilyTimPush},
	}
	for _, tt := range tests {
		t.Run(tt.family.String(), func(t *testing.T) {
			stub, signer := startStub(t)
			stub.SetTags("alice", "vip", "beta")
			c := newClient(t, stub.URL(), signer)
			c.Family = tt.family
			ctx := context.Background()

			if _, err := c.RemoveAttrs(ctx, []UserAttrs{{Account: "alice", Attrs: []string{"sex"}}}); err != nil {
				t.Fatalf("RemoveAttrs: %v", err)
			}
			names, err := c.AttrNames(ctx)
			if err != nil || !slices.Equal(names, timtest.DefaultAttrNames) {
				t.Fatalf("AttrNames = %q, %v", names, err)
			}
			if _, err := c.RemoveAllTags(ctx, []string{"alice"}); err != nil {
				t.Fatalf("RemoveAllTags: %v", err)
			}
			if res, err := c.GetAttrs(ctx, []UserAttrs{{Account: "alice", Attrs: []string{"sex"}}}); err != nil || !res.Clean() {
				t.Fatalf("GetAttrs = %+v, %v", res, err)
			}
			if res, err := c.GetTags(ctx, []string{"alice"}); err != nil || !res.Clean() {
				t.Fatalf("GetTags = %+v, %v", res, err)
			}

			calls := stub.AllCalls()
			if len(calls) != 5 {
				t.Fatalf("stand-in saw %d calls, want 5: %+v", len(calls), calls)
			}
			for i, op := range []Operation{OpRemoveAttr, OpGetAttrName, OpRemoveAllTags, OpGetAttr, OpGetTag} {
				got := calls[i]
				if got.Path != tt.family.Path(op) || got.Family != tt.want || got.Op != timtest.Op(op) || got.ErrorCode != 0 {
					t.Errorf("call %d = %+v, want %s %s on %s", i, got, tt.want, op, tt.family.Path(op))
				}
			}
			st := stub.Stats()
			for path, ps := range st.Paths {
				want := 0
				if strings.HasPrefix(path, "/v4/"+tt.family.String()+"/") {
					want = 1
				}
				if ps.Requests != want || ps.OK != want {
					t.Errorf("Stats.Paths[%s] = %+v, want %d OK", path, ps, want)
				}
			}
			if got := stub.Removed("alice"); !slices.Equal(got, []string{"sex"}) {
				t.Errorf("removed %q", got)
			}
			if got := stub.Tags("alice"); got != nil {
				t.Errorf("tags left %q", got)
			}
		})
	}
}

// TestErrorsNameTheFamilysAPI checks the Op of every error type of each
// call, in each family, and the path the call went to.
func TestErrorsNameTheFamilysAPI(t *testing.T) {
	answers := []struct {
		kind   string
		status int
		body   string
	}{
		{"api", 200, `{"ActionStatus":"FAIL","ErrorCode":91000}`},
		{"http", 502, `bad gateway`},
		{"redirect", 302, okBody},
		{"decode", 200, `garbage`},
	}
	for _, family := range []Family{AllMemberPush, TimPush} {
		for _, op := range operations() {
			for _, a := range answers {
				t.Run(family.String()+" "+string(op)+" "+a.kind, func(t *testing.T) {
					rec := newRecorder(t, a.status, a.body)
					c := newClient(t, rec.srv.URL, newSigner())
					c.Family = family
					err := callOp(c, op)
					if kind, got := errOp(err); kind != a.kind || got != family.apiName(op) {
						t.Errorf("err = %T %v, want a %s error with Op %q", err, err, a.kind, family.apiName(op))
					}
					if reqs := rec.requests(); len(reqs) != 1 || reqs[0].Path != family.Path(op) {
						t.Errorf("requests = %+v, want one to %s", reqs, family.Path(op))
					}
				})
			}
		}
	}
}

// TestUnknownFamily checks that a Family the package does not know fails
// every call before the signer is asked or anything is sent.
func TestUnknownFamily(t *testing.T) {
	rec := newRecorder(t, http.StatusOK, okBody)
	signer := newSigner()
	c := newClient(t, rec.srv.URL, signer)
	c.Family = "push_v5"
	for _, op := range operations() {
		err := callOp(c, op)
		var fe *familyError
		if !errors.As(err, &fe) || fe.Value != "push_v5" {
			t.Errorf("%s: err = %T %v, want *familyError", op, err, err)
		}
		if Classify(err) != erasure.Configuration {
			t.Errorf("%s: Classify = %v, want configuration", op, Classify(err))
		}
	}
	if n := len(rec.requests()); n != 0 || signer.calls.Load() != 0 {
		t.Errorf("%d requests, %d signer calls; want none", n, signer.calls.Load())
	}
}

// callOp makes one call of op with a valid argument.
func callOp(c *Client, op Operation) error {
	ctx := context.Background()
	var err error
	switch op {
	case OpRemoveAttr:
		_, err = c.RemoveAttrs(ctx, []UserAttrs{{Account: "u1", Attrs: []string{"sex"}}})
	case OpGetAttrName:
		_, err = c.AttrNames(ctx)
	case OpRemoveAllTags:
		_, err = c.RemoveAllTags(ctx, []string{"u1"})
	case OpGetAttr:
		_, err = c.GetAttrs(ctx, []UserAttrs{{Account: "u1", Attrs: []string{"sex"}}})
	case OpGetTag:
		_, err = c.GetTags(ctx, []string{"u1"})
	default:
		panic("unknown operation " + op)
	}
	return err
}

// errOp returns the kind and Op of an error of a call.
func errOp(err error) (kind, op string) {
	var (
		apiErr   *APIError
		httpErr  *httpError
		redirErr *redirectError
		decodErr *decodeError
		tErr     *transportError
		reqErr   *requestError
	)
	switch {
	case errors.As(err, &apiErr):
		return "api", apiErr.Op
	case errors.As(err, &httpErr):
		return "http", httpErr.Op
	case errors.As(err, &redirErr):
		return "redirect", redirErr.Op
	case errors.As(err, &decodErr):
		return "decode", decodErr.Op
	case errors.As(err, &tErr):
		return "transport", tErr.Op
	case errors.As(err, &reqErr):
		return "request", reqErr.Op
	}
	return "", ""
}
