package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// deadLetter puts a dead letter in the DLQ as the function sends one: the
// lineage signed with the audit key's lineage MAC, the class (none when
// ""), the reason, and a publisher's attribute.
func deadLetter(t *testing.T, c *awstier.Clients, dlq, original, class, reason string) {
	t.Helper()
	key := sqsq.LineageKey([]byte("redrive test audit key"))
	first := "2026-12-01T10:00:00Z"
	attrs := map[string]types.MessageAttributeValue{
		sqsq.AttrOriginalMessageID: str(original),
		sqsq.AttrFirstReceived:     str(first),
		sqsq.AttrLineageMAC:        str(sqsq.LineageMAC(key, original, first, "")),
		sqsq.AttrReason:            str(reason),
		"publisher":                str("crm"),
	}
	if class != "" {
		attrs[sqsq.AttrClass] = str(class)
	}
	body := `{"type":"user.deleted","accounts":["u-` + original + `"],"eventId":"e-` + original + `"}`
	if _, err := c.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(dlq),
		MessageBody: aws.String(body), MessageAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
}

func str(s string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

// visible is the DLQ's visible message count.
func visible(t *testing.T, c *awstier.Clients, url string) int {
	t.Helper()
	v, _, _, err := awstier.QueueDepth(context.Background(), c, url)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRedriveByClass: the listing counts a mixed DLQ by class and reason
// (no class: none) and leaves every message visible at once; a redrive of
// two classes moves back exactly their messages, once per erasure, with
// their lineage and MAC and without the stale class and reason, and leaves
// the others in the DLQ, visible at once.
func TestRedriveByClass(t *testing.T) {
	c := needMoto(t)
	dlq, dlqARN := newQueue(t, c, "redrive-dlq", nil)
	source, _ := newQueue(t, c, "redrive-source", map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"12"}`, dlqARN)})
	for i := range 3 {
		deadLetter(t, c, dlq, fmt.Sprint("r", i), "retryable", "Tencent answered HTTP 503")
	}
	deadLetter(t, c, dlq, "r0", "retryable", "Tencent answered HTTP 503") // a second copy of r0
	deadLetter(t, c, dlq, "c0", "content", "90001: the account is refused")
	deadLetter(t, c, dlq, "c1", "content", "90001: the account is refused")
	deadLetter(t, c, dlq, "n0", "", "unknown")
	deadLetter(t, c, dlq, "n1", "", "unknown")

	r := eraserctl(t, "", "redrive", "-dlq-url", dlq)
	if r.code != exitOK {
		t.Fatal(r)
	}
	for _, line := range []string{
		"content          2  90001: the account is refused",
		"none             2  unknown",
		"retryable        4  Tencent answered HTTP 503",
		"8 messages in the DLQ",
		"nothing moved (no -class); visible again: 8",
	} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("listing lacks %q:\n%s", line, r.stdout)
		}
	}
	t.Logf("redrive (listing):\n%s%s", r.stdout, r.stderr)
	if !strings.Contains(r.stderr, "redrive: 8/8 messages") {
		t.Errorf("no progress line:\n%s", r.stderr)
	}
	// Visible again at once, not after the scan's 5-minute visibility.
	if n := visible(t, c, dlq); n != 8 {
		t.Errorf("%d messages visible after the listing, want 8", n)
	}

	start := time.Now()
	r = eraserctl(t, "", "redrive", "-dlq-url", dlq, "-class", "retryable,none")
	if r.code != exitOK || !strings.Contains(r.stdout, "moved back to "+source+": 5 (classes none,retryable); duplicate copies deleted: 1; left in the DLQ, visible again: 2") {
		t.Fatal(r)
	}
	t.Logf("redrive -class retryable,none:\n%s%s", r.stdout, r.stderr)
	moved := drain(t, c, source)
	var originals []string
	for _, m := range moved {
		a := m.MessageAttributes
		originals = append(originals, aws.ToString(a[sqsq.AttrOriginalMessageID].StringValue))
		if _, ok := a[sqsq.AttrClass]; ok {
			t.Error("a moved message kept its class")
		}
		if _, ok := a[sqsq.AttrReason]; ok {
			t.Error("a moved message kept its reason")
		}
		orig := aws.ToString(a[sqsq.AttrOriginalMessageID].StringValue)
		key := sqsq.LineageKey([]byte("redrive test audit key"))
		if aws.ToString(a[sqsq.AttrLineageMAC].StringValue) != sqsq.LineageMAC(key, orig, "2026-12-01T10:00:00Z", "") ||
			aws.ToString(a["publisher"].StringValue) != "crm" {
			t.Errorf("moved message %s lost its lineage or attributes: %v", orig, a)
		}
	}
	slices.Sort(originals)
	if want := []string{"n0", "n1", "r0", "r1", "r2"}; !slices.Equal(originals, want) {
		t.Errorf("moved %v, want %v", originals, want)
	}
	if n := visible(t, c, dlq); n != 2 {
		t.Errorf("%d messages visible in the DLQ, want the 2 of class content", n)
	}
	left := drain(t, c, dlq)
	for _, m := range left {
		if aws.ToString(m.MessageAttributes[sqsq.AttrClass].StringValue) != "content" {
			t.Errorf("left in the DLQ: %v", m.MessageAttributes)
		}
	}
	t.Logf("redrive took %v", time.Since(start))

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"redrive"}, "-dlq-url is required"},
		{[]string{"redrive", "-dlq-url", dlq, "-class", "retryabel"}, `-class "retryabel": want unknown, retryable`},
		{[]string{"redrive", "-dlq-url", dlq, "-to-url", source}, "nothing would be moved"},
	} {
		if r := eraserctl(t, "", tt.args...); r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: %v\nwant exit 2 and %q", tt.args, r, tt.want)
		}
	}
}
