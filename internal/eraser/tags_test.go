package eraser_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestProcessErasesTags: with EraseTags every account loses its tags as well
// as its attributes, in calls of at most 100 accounts, and a message counts
// as erased only when both are done.
func TestProcessErasesTags(t *testing.T) {
	tests := []struct {
		name   string
		family tim.Family
	}{
		{"all_member_push", tim.AllMemberPush},
		{"timpush", tim.TimPush},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			f.p.API.(*tim.Client).Family = tt.family
			f.p.EraseTags = true
			var msgs []eraser.Message
			var accounts []string
			for m := range 3 {
				var mine []string
				for a := range 70 {
					account := fmt.Sprintf("t%d-%d", m, a)
					f.stub.SetTags(account, "vip", "beta")
					mine = append(mine, account)
				}
				accounts = append(accounts, mine...)
				msgs = append(msgs, message(fmt.Sprintf("m%d", m), erasureBody(mine...)))
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			if failed := r.FailedMessages(); len(failed) != 0 {
				t.Fatalf("failed %v: %+v", failed, r.Messages)
			}
			for _, a := range accounts {
				if len(f.stub.Tags(a)) != 0 || f.stub.Removed(a) == nil {
					t.Fatalf("%s: tags %v, attributes removed %v", a, f.stub.Tags(a), f.stub.Removed(a))
				}
			}
			if !slices.Equal(r.Parts, []string{eraser.PartAttrs, eraser.PartTags}) {
				t.Errorf("Parts = %v", r.Parts)
			}
			for _, m := range r.Messages {
				if !slices.Equal(m.Done, r.Parts) {
					t.Errorf("%s: Done = %v, want both parts", m.MessageID, m.Done)
				}
			}
			// 210 accounts: 3 attribute calls and 3 tag calls, on the
			// family's paths.
			byPath := map[string]int{}
			for _, c := range f.stub.AllCalls() {
				byPath[c.Path]++
			}
			want := map[string]int{tt.family.Path(tim.OpRemoveAttr): 3, tt.family.Path(tim.OpRemoveAllTags): 3}
			for path, n := range want {
				if byPath[path] != n {
					t.Errorf("calls by path %v, want %v", byPath, want)
				}
			}
			if r.PlannedCalls != 6 {
				t.Errorf("PlannedCalls = %d, want 6", r.PlannedCalls)
			}
		})
	}
}

// TestProcessTagsFailAlone: when only the tag removal fails for an account,
// its message fails with the tag call's class and says the attributes are
// done; the other messages are erased.
func TestProcessTagsFailAlone(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.EraseTags = true
	f.p.API = tagsFailFor{Client: f.p.API.(*tim.Client), account: "bad-tags", code: timtest.CodeInvalidAttr}
	r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{
		message("ok", erasureBody("fine-1", "fine-2")),
		message("half", erasureBody("fine-3", "bad-tags")),
	}})
	got := outcomes(r)
	if got["ok"] != eraser.Erased || got["half"] != eraser.Failed {
		t.Fatalf("outcomes %v", got)
	}
	half := r.Messages[1]
	if half.Class != erasure.Content || !slices.Equal(half.Done, []string{eraser.PartAttrs}) {
		t.Errorf("half: class %s, done %v; want content, [attrs]", half.Class, half.Done)
	}
	if f.stub.Removed("bad-tags") == nil {
		t.Error("the attributes of the account whose tags failed were not removed")
	}
}

// tagsFailFor answers for account, in every tag removal, code in the
// ErrorList, as Tencent would for an account it cannot clear.
type tagsFailFor struct {
	*tim.Client
	account string
	code    int
}

func (a tagsFailFor) RemoveAllTags(ctx context.Context, accounts []string) (tim.RemoveResult, error) {
	res, err := a.Client.RemoveAllTags(ctx, accounts)
	if err == nil && slices.Contains(accounts, a.account) {
		res.Failed = append(res.Failed, tim.AccountError{Account: a.account, Code: a.code})
	}
	return res, err
}
