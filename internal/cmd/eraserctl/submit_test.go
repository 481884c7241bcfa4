package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// backfillInput is n accounts, one a line, in an order that is not sorted,
// with every tenth repeated, and the invalid lines it holds.
func backfillInput(n int) (text string, accounts []string, invalidLines []int) {
	var b strings.Builder
	line := 0
	for i := n - 1; i >= 0; i-- {
		a := fmt.Sprintf("user-%06d", i)
		accounts = append(accounts, a)
		b.WriteString(a + "\n")
		line++
		if i%10 == 0 {
			b.WriteString(a + "\r\n")
			line++
		}
		if i%5000 == 1 {
			b.WriteString(strings.Repeat("z", 33) + "\n") // too long: never sent
			line++
			invalidLines = append(invalidLines, line)
		}
	}
	slices.Sort(accounts)
	return b.String(), accounts, invalidLines
}

// received parses what reached the queue: per eventId, the message's
// request; it fails on a message the contract refuses.
func received(t *testing.T, msgs []types.Message) map[string]erasure.Request {
	t.Helper()
	got := map[string]erasure.Request{}
	for _, m := range msgs {
		req, err := erasure.Parse(aws.ToString(m.Body))
		if err != nil {
			t.Fatalf("the function would refuse a submitted message: %v", err)
		}
		if _, dup := got[req.EventID]; dup {
			t.Fatalf("eventId %s sent twice", req.EventID)
		}
		got[req.EventID] = req
	}
	return got
}

// accountsOf is every account of reqs, sorted.
func accountsOf(reqs map[string]erasure.Request) []string {
	var all []string
	for _, r := range reqs {
		all = append(all, r.Accounts...)
	}
	slices.Sort(all)
	return all
}

// TestSubmitToQueue: a backfill reaches the queue as messages the contract
// accepts, each account once, marked as a backfill with its real
// occurredAt kept; invalid lines are reported by number and never sent; a
// second run sends the same eventIds.
func TestSubmitToQueue(t *testing.T) {
	c := needMoto(t)
	url, _ := newQueue(t, c, "submit-queue", nil)
	input, accounts, invalid := backfillInput(25000)
	before := time.Now().UTC().Truncate(time.Second)
	r := eraserctl(t, input, "submit", "-key-file", auditKeyFile(t), "-queue-url", url, "-occurred-at", "2024-03-01T00:00:00Z", "-attrs", "sex,city")
	if r.code != exitInvalid {
		t.Fatalf("want exit %d for invalid lines; %v", exitInvalid, r)
	}
	for _, line := range invalid {
		if !strings.Contains(r.stderr, fmt.Sprintf("line %d: not sent: 33 bytes, at most 32\n", line)) {
			t.Errorf("line %d not reported:\n%s", line, r.stderr)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "zzzz") || strings.Contains(r.stdout+r.stderr, "user-0") {
		t.Errorf("output quotes an account:\n%v", r)
	}
	if !regexp.MustCompile(`(?m)^submit: 25000/25000 accounts \(100.0%\), [0-9]+ accounts/s, elapsed .*, ETA done$`).MatchString(r.stderr) {
		t.Errorf("no plain progress line:\n%s", r.stderr)
	}
	got := received(t, drain(t, c, url))
	if all := accountsOf(got); !slices.Equal(all, accounts) {
		t.Fatalf("the queue got %d accounts, want the %d valid ones once each", len(all), len(accounts))
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("sent %d messages (25000 accounts)", len(got))) {
		t.Errorf("summary:\n%s", r.stdout)
	}
	for _, req := range got {
		at, err := time.Parse(time.RFC3339, req.BackfilledAt)
		if err != nil || at.Before(before) || at.After(time.Now()) {
			t.Errorf("backfilledAt %q, want the submission time", req.BackfilledAt)
		}
		if req.OccurredAt != "2024-03-01T00:00:00Z" || !slices.Equal(req.Attrs, []string{"sex", "city"}) || req.Type != erasure.UserDeleted {
			t.Errorf("message %v", req)
		}
		if !slices.IsSorted(req.Accounts) {
			t.Error("a message's accounts are not sorted")
		}
	}
	// The same input, shuffled differently: the same events.
	lines := strings.Split(strings.TrimSpace(input), "\n")
	slices.Reverse(lines)
	if r := eraserctl(t, strings.Join(lines, "\n"), "submit", "-key-file", auditKeyFile(t), "-queue-url", url); r.code != exitInvalid {
		t.Fatal(r)
	}
	again := received(t, drain(t, c, url))
	if ids, want := slices.Sorted(maps.Keys(again)), slices.Sorted(maps.Keys(got)); !slices.Equal(ids, want) {
		t.Errorf("a re-run sent eventIds %v, want %v", ids, want)
	}
}

// TestSubmitThroughSNSAndEventBridge: the other targets' batch calls, and
// their deliveries (in SNS's and EventBridge's envelopes) parse under the
// contract with the backfill mark in the body.
func TestSubmitThroughSNSAndEventBridge(t *testing.T) {
	c := needMoto(t)
	url, arn := newQueue(t, c, "submit-envelopes", nil)
	topic, bus := subscribe(t, c, "submit-envelopes", arn)
	input, accounts, _ := backfillInput(12000)
	for _, args := range [][]string{{"-topic-arn", topic}, {"-event-bus", bus}} {
		t.Run(args[0], func(t *testing.T) {
			r := eraserctl(t, input, append([]string{"submit", "-key-file", auditKeyFile(t), "-type", "gdpr.erasure"}, args...)...)
			if r.code != exitInvalid {
				t.Fatal(r)
			}
			msgs := drain(t, c, url)
			wrapped := args[0] == "-topic-arn" && strings.Contains(aws.ToString(msgs[0].Body), `"Type"`) ||
				args[0] == "-event-bus" && strings.Contains(aws.ToString(msgs[0].Body), `"detail-type"`)
			if !wrapped {
				t.Errorf("delivery not in its service's envelope: %.200s", aws.ToString(msgs[0].Body))
			}
			got := received(t, msgs)
			if all := accountsOf(got); !slices.Equal(all, accounts) {
				t.Fatalf("the queue got %d accounts, want %d", len(all), len(accounts))
			}
			for _, req := range got {
				if req.BackfilledAt == "" || req.Type != erasure.GDPRErasure {
					t.Errorf("message %v", req)
				}
			}
		})
	}
}

// TestSubmitCheckpointResume: a run cut short resumes from its checkpoint
// and sends only what the checkpoint does not list (a line cut by the
// crash included); after the input gains an account, only the message it
// falls in is sent; a checkpoint of another target is refused.
func TestSubmitCheckpointResume(t *testing.T) {
	c := needMoto(t)
	url, _ := newQueue(t, c, "submit-resume", nil)
	input, _, _ := backfillInput(60000)
	cp := filepath.Join(t.TempDir(), "backfill.checkpoint")
	if r := eraserctl(t, input, "submit", "-key-file", auditKeyFile(t), "-queue-url", url, "-checkpoint", cp); r.code != exitInvalid {
		t.Fatal(r)
	}
	first := received(t, drain(t, c, url))
	data, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(first)+1 || !strings.HasPrefix(lines[0], checkpointHeader) {
		t.Fatalf("checkpoint of %d lines for %d messages:\n%s", len(lines), len(first), data)
	}
	// The crash: three messages recorded, the fourth's line cut short.
	kept := lines[1:4]
	cutShort := lines[4][:10]
	if err := os.WriteFile(cp, []byte(strings.Join(lines[:4], "\n")+"\n"+cutShort), 0o600); err != nil {
		t.Fatal(err)
	}
	r := eraserctl(t, input, "submit", "-key-file", auditKeyFile(t), "-queue-url", url, "-checkpoint", cp)
	if r.code != exitInvalid || !strings.Contains(r.stdout, "3 were already in the checkpoint") {
		t.Fatal(r)
	}
	resumed := received(t, drain(t, c, url))
	if len(resumed) != len(first)-3 {
		t.Errorf("resumed run sent %d messages, want %d", len(resumed), len(first)-3)
	}
	for _, id := range kept {
		if _, sent := resumed[id]; sent {
			t.Errorf("%s was in the checkpoint and sent again", id)
		}
	}
	// One account more: one message.
	if r := eraserctl(t, input+"user-new\n", "submit", "-key-file", auditKeyFile(t), "-queue-url", url, "-checkpoint", cp); r.code != exitInvalid {
		t.Fatal(r)
	}
	if extra := received(t, drain(t, c, url)); len(extra) != 1 {
		t.Errorf("after one account was added, %d messages were sent, want 1", len(extra))
	}
	// Another target.
	other, _ := newQueue(t, c, "submit-resume-other", nil)
	if r := eraserctl(t, input, "submit", "-key-file", auditKeyFile(t), "-queue-url", other, "-checkpoint", cp); r.code != exitFailed || !strings.Contains(r.stderr, "is not one of this command for queue "+other) {
		t.Fatal(r)
	}
}

// TestSubmitDryRun: a dry run validates and counts, makes no AWS call and
// sends nothing; usage errors name the flag.
func TestSubmitDryRun(t *testing.T) {
	input, accounts, invalid := backfillInput(30000)
	// No AWS: an endpoint that refuses every connection.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	r := eraserctl(t, input, "submit", "-dry-run", "-queue-url", "http://127.0.0.1:1/000000000000/q")
	if r.code != exitInvalid || !strings.Contains(r.stdout, "dry run: nothing sent") ||
		!strings.Contains(r.stdout, fmt.Sprintf("%d accounts, 3000 repeats, %d invalid lines", len(accounts), len(invalid))) {
		t.Fatal(r)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"submit"}, "give one of -queue-url"},
		{[]string{"submit", "-queue-url", "q", "-topic-arn", "t"}, "at most one of"},
		{[]string{"submit", "-queue-url", "q"}, "give exactly one of -secret-id and -key-file (the audit key names the messages)"},
		{[]string{"submit", "-dry-run", "-type", "x"}, `-type "x"`},
		{[]string{"submit", "-dry-run", "-occurred-at", "yesterday"}, "not an RFC 3339 time"},
		{[]string{"submit", "-dry-run", "-attrs", "a,,b"}, `-attrs ""`},
		{[]string{"submit", "-dry-run", "user-1"}, "not from arguments"},
		{[]string{"submit", "-dry-run", "-checkpoint", "x"}, "exclude each other"},
	} {
		if r := eraserctl(t, "", tt.args...); r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: %v\nwant exit 2 and %q", tt.args, r, tt.want)
		}
	}
}
