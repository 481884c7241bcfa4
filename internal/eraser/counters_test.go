package eraser_test

import (
	"context"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestCountersCountOneThing: each summary counter counts one thing across
// every Tencent API. Calls is every request sent (removals and
// attribute-name reads), Retries those of them that repeated an earlier
// one, so Retries never exceeds Calls and Calls is what Tencent received;
// Accounts is the distinct accounts of the valid messages, however far
// each got (here the default set cannot be resolved, so one message fails
// before planning).
func TestCountersCountOneThing(t *testing.T) {
	// The sample event of make run: 6 distinct accounts, the third message
	// relies on the app's attribute names.
	bodies := []string{
		`{"type":"gdpr.erasure","accounts":["user-1001","user-1002","user-1003"],"attrs":["sex","city"],"eventId":"e1"}`,
		`{"type":"gdpr.erasure","accounts":["user-1002","user-1004"],"attrs":["interest"],"eventId":"e2"}`,
		`{"type":"gdpr.erasure","accounts":["user-1005","user-1006","user-1002"],"eventId":"e3"}`,
		`{"type":"nope","accounts":["user-1007"]}`,
	}
	tests := []struct {
		name  string
		setup func(f *fixture)
	}{
		{"outage: every request answered 502", func(f *fixture) {
			if err := f.stub.SetFaults(timtest.Faults{HTTP502: 1}); err != nil {
				t.Fatal(err)
			}
		}},
		{"signature: the key does not verify", func(f *fixture) { f.stub.SetKey([]byte("a-different-key")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{AttrNames: []string{"sex", "city", "interest"}})
			tt.setup(f)
			msgs := make([]eraser.Message, len(bodies))
			for i, b := range bodies {
				msgs[i] = message(string(rune('a'+i)), b)
			}
			r := f.p.Process(context.Background(), eraser.Batch{Messages: msgs})
			sent := f.stub.Stats().Requests
			if r.Calls != sent || r.Retries > r.Calls {
				t.Errorf("calls %d, retries %d; Tencent received %d requests: want calls = requests >= retries", r.Calls, r.Retries, sent)
			}
			if r.Accounts != 6 {
				t.Errorf("accounts %d, want the 6 distinct accounts of the valid messages", r.Accounts)
			}
		})
	}
}
