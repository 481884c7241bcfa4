package localrun_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// TestUnverifiedUnderTheEmulator: Tencent answers OK to removing one
// account's attributes but never applies it. With verification on (the
// default), that message fails with class unverified, the others are
// acknowledged as read back clean, and no attribute value appears in
// anything the function printed.
func TestUnverifiedUnderTheEmulator(t *testing.T) {
	stack := start(t, localrun.Options{})
	accounts := map[string][]string{
		"verify-ok-1": {"vfy-1001"},
		"verify-bad":  {"vfy-2001", "vfy-2002"},
		"verify-ok-2": {"vfy-3001", "vfy-3002", "vfy-3003"},
	}
	var values []string
	for _, list := range accounts {
		for _, a := range list {
			v := "VALUE-of-" + a + "-Female"
			values = append(values, v)
			stack.Tencent.SetAttrs(a, map[string]string{"sex": v, "city": "CITY-of-" + a})
			values = append(values, "CITY-of-"+a)
		}
	}
	stack.Tencent.IgnoreRemovals(-1, "vfy-2002")

	var ev events.SQSEvent
	for _, id := range []string{"verify-ok-1", "verify-bad", "verify-ok-2"} {
		body, _ := json.Marshal(map[string]any{"type": "gdpr.erasure", "accounts": accounts[id], "attrs": []string{"sex", "city"}, "eventId": "evt-" + id})
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: id, ReceiptHandle: "rh-" + id, Body: string(body), EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1764237600000", "ApproximateFirstReceiveTimestamp": "1764237600250"},
		})
	}
	raw, _ := json.Marshal(ev)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(invoke(t, stack, raw), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "verify-bad" {
		t.Fatalf("batchItemFailures = %+v, want verify-bad only\noutput:\n%s", resp.BatchItemFailures, stack.Output())
	}
	st := stack.Tencent.Stats()
	if st.GetAttrCalls < 2 || st.RemoveCalls < 2 {
		t.Errorf("stand-in answered %d removals and %d read-backs: want a second removal and a second read-back", st.RemoveCalls, st.GetAttrCalls)
	}
	if got := stack.Tencent.Attrs("vfy-2002"); got["sex"] == "" {
		t.Fatalf("the unapplied account lost its data: the test proves nothing")
	}

	audit := func(id string) map[string]any {
		for line := range strings.SplitSeq(stack.Output(), "\n") {
			if !strings.Contains(line, `"msg":"audit"`) || !strings.Contains(line, `"messageId":"`+id+`"`) {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &m); err == nil {
				return m
			}
		}
		return nil
	}
	settle(func() bool {
		return audit("verify-ok-2") != nil && strings.Contains(stack.Output(), `"msg":"batch processed"`)
	})
	for id, want := range map[string]struct {
		outcome, class string
		verified       float64
	}{
		"verify-ok-1": {"erased", "", 1},
		"verify-bad":  {"failed", "unverified", 1},
		"verify-ok-2": {"erased", "", 3},
	} {
		m := audit(id)
		if m == nil {
			t.Fatalf("no audit line for %s:\n%s", id, stack.Output())
		}
		class, _ := m["class"].(string)
		if m["outcome"] != want.outcome || class != want.class || m["verified"] != want.verified || m["verification"] != "read-back" {
			t.Errorf("%s: audit line %v, want outcome %s class %q verified %v verification read-back", id, m, want.outcome, want.class, want.verified)
		}
	}

	out := stack.Output()
	for _, v := range values {
		if strings.Contains(out, v) {
			t.Errorf("output contains the attribute value %q", v)
		}
	}
	for _, list := range accounts {
		for _, a := range list {
			if strings.Contains(out, `"`+a+`"`) {
				t.Errorf("output contains the account %q", a)
			}
		}
	}
	checkNoLeaks(t, stack)
}
