package eraser_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// panicky panics when a call holds the account trigger, with a value that
// names the account, as careless code might.
type panicky struct {
	eraser.API
	trigger string
}

func (p panicky) RemoveAttrs(ctx context.Context, users []tim.UserAttrs) (tim.RemoveResult, error) {
	for _, u := range users {
		if u.Account == p.trigger {
			panic("cannot handle account " + u.Account)
		}
	}
	return p.API.RemoveAttrs(ctx, users)
}

// TestProcessPanicFailsOnlyWhatItTouched injects a panic into parsing and
// into one call: only the messages involved fail, class internal, each
// panic is logged once with a stack, and nothing logged names an account.
func TestProcessPanicFailsOnlyWhatItTouched(t *testing.T) {
	tests := []struct {
		name       string
		inject     func(f *fixture)
		wantFailed []string
	}{
		{
			name: "parser",
			inject: func(f *fixture) {
				eraser.SetParse(f.p, func(body string) (erasure.Request, error) {
					if strings.Contains(body, "acct-007") {
						panic("cannot parse acct-007")
					}
					return erasure.Parse(body)
				})
			},
			wantFailed: []string{"m-007"},
		},
		{
			// 120 single-account messages make two calls: 0-99 and 100-119.
			name:       "worker",
			inject:     func(f *fixture) { f.p.API = panicky{API: f.p.API, trigger: "acct-110"} },
			wantFailed: ids(100, 120),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			var logs capture.Buffer
			f.p.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			tt.inject(f)
			var msgs []eraser.Message
			for i := range 120 {
				msgs = append(msgs, message(fmt.Sprintf("m-%03d", i), erasureBody(fmt.Sprintf("acct-%03d", i))))
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			if got := r.FailedMessages(); !slices.Equal(got, tt.wantFailed) {
				t.Fatalf("failed = %v, want %v", got, tt.wantFailed)
			}
			for _, m := range r.Messages {
				if m.Outcome != eraser.Erased && m.Class != erasure.Internal {
					t.Errorf("%s: class %q, want internal", m.MessageID, m.Class)
				}
			}
			out := logs.String()
			if n := strings.Count(out, "recovered from a panic"); n != 1 {
				t.Errorf("panic logged %d times, want once:\n%s", n, out)
			}
			if !strings.Contains(out, `"stack":"goroutine`) {
				t.Errorf("no stack in the log:\n%s", out)
			}
			if strings.Contains(out, "acct-") {
				t.Errorf("an account id reached the log:\n%s", out)
			}
			checkPromise(t, f.stub, r)
			// The processor keeps serving.
			again := f.p.Process(context.Background(), eraser.Batch{Messages: msgs[:1]})
			if len(again.FailedMessages()) != 0 {
				t.Errorf("next batch failed: %+v", again.Messages)
			}
		})
	}
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("m-%03d", i))
	}
	return out
}
