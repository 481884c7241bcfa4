package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// odd is every kind of character slog escapes, or replaces, in a string.
const odd = "q\"uote b\\ack / <html> & nl\n cr\r tab\t bs\b ff\f nul\x00 us\x1f del\x7f é ✓ 😀 ls\u2028 ps\u2029 bad\xff\xc3 end"

// auditReports is a table of reports whose lines cover every member of
// the audit and summary lines, and strings needing escapes.
var auditReports = []struct {
	name    string
	keys    keys
	perLine int
	report  *eraser.Report
}{
	{name: "empty batch", keys: keys{key: testKey}, report: &eraser.Report{}},
	{name: "every outcome", keys: keys{key: testKey}, perLine: 2, report: &eraser.Report{
		Messages: []eraser.MessageResult{
			{MessageID: "m-1", Request: request(accounts("one", 1)), Outcome: eraser.Erased, Done: []string{"attrs", "tags"},
				Lineage: eraser.Lineage{OriginalMessageID: "m-0", ReceiveCount: 3, Requeues: 2}, Absent: 1},
			{MessageID: "m-2", Request: request(accounts("five", 5)), Outcome: eraser.Failed, Class: erasure.Retryable,
				Err: errors.New("tim: HTTP status 502"), Done: []string{"attrs"}, HandOff: eraser.Requeued, Unreached: true},
			{MessageID: "m-3", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New(`invalid message: type: "bogus"`)},
			{MessageID: "m-4", Request: request(accounts("four", 4)), Outcome: eraser.Failed, Class: erasure.Content,
				HandOff: eraser.DeadLettered, RetryAfter: 90 * time.Second, HandOffErr: errors.New("sqs: SendMessage: throttled")},
			{MessageID: "m-5", Request: request(accounts("two", 2)), Outcome: eraser.Failed, Class: erasure.Retryable, HandOff: eraser.Delayed,
				RetryAfter: 1500 * time.Millisecond, ReceiptErr: errors.New("events: PutEvents failed")},
			{MessageID: "", Request: request(nil), Outcome: eraser.Erased},
		},
		Parts: []string{"attrs", "tags"}, Accounts: 12, AccountsErased: 2, AccountsAbsent: 1, PlannedCalls: 3, Calls: 7, Retries: 4,
		RateLimited: 2, Splits: 1, Duration: 1234567 * time.Microsecond, DryRun: true, Systemic: true,
	}},
	{name: "odd strings", keys: keys{key: testKey}, report: &eraser.Report{
		Messages: []eraser.MessageResult{
			{MessageID: odd, Request: erasure.Request{Type: erasure.Type(odd), Accounts: []string{odd, "", "x"}, EventID: odd, OccurredAt: odd},
				Outcome: eraser.Outcome(odd), Class: erasure.Class(odd), Err: errors.New(odd), Done: []string{odd, ""},
				Lineage: eraser.Lineage{OriginalMessageID: odd}, HandOff: eraser.HandOff(odd), HandOffErr: errors.New(odd)},
		},
		Parts: []string{odd},
	}},
	{name: "audit key unavailable", keys: keys{err: errors.New("AccessDenied")}, report: &eraser.Report{
		Messages: []eraser.MessageResult{
			{MessageID: "m-1", Request: request(accounts("k", 3)), Outcome: eraser.Erased},
			{MessageID: "m-2", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("no accounts")},
		},
	}},
}

// TestAuditLinesEncodeAsSlog: the hand-made encoder writes, byte for
// byte, what slog's JSON handler (NewLogger's, with the request ID) writes
// for the same lines.
func TestAuditLinesEncodeAsSlog(t *testing.T) {
	clocks := map[string]time.Time{
		"UTC":   time.Date(2026, 12, 7, 1, 2, 3, 456789012, time.UTC),
		"zone":  time.Date(2026, 12, 7, 1, 2, 3, 0, time.FixedZone("x", -90*60)),
		"whole": time.Date(2026, 12, 7, 1, 2, 3, 100_000_000, time.UTC),
	}
	ctxs := map[string]context.Context{
		"no request ID": context.Background(),
		"request ID":    lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1 " + odd}),
	}
	for _, tt := range auditReports {
		for clockName, clock := range clocks {
			for ctxName, ctx := range ctxs {
				t.Run(tt.name+"/"+clockName+"/"+ctxName, func(t *testing.T) {
					var fast, slow bytes.Buffer
					a := &telemetry.Audit{Out: &fast, Keys: tt.keys, HashesPerLine: tt.perLine}
					telemetry.SetClock(a, func() time.Time { return clock })
					a.Observe(ctx, tt.report)
					b := &telemetry.Audit{Logger: telemetry.NewLogger(&slow, slog.LevelError), Keys: tt.keys, HashesPerLine: tt.perLine}
					telemetry.SetClock(b, func() time.Time { return clock })
					b.Observe(ctx, tt.report)
					if fast.String() != slow.String() {
						t.Errorf("encoded by hand:\n%s\nby slog:\n%s", fast.String(), slow.String())
					}
					if len(decode(t, fast.String())) < len(tt.report.Messages)+1 {
						t.Errorf("%d lines for %d messages", len(decode(t, fast.String())), len(tt.report.Messages))
					}
				})
			}
		}
	}
}

// writes records each Write.
type writes struct{ each []string }

func (w *writes) Write(p []byte) (int, error) {
	w.each = append(w.each, string(p))
	return len(p), nil
}

// TestAuditWritesInLargePieces: a batch's lines leave in a few writes of
// whole lines, none of them left behind when Observe returns.
func TestAuditWritesInLargePieces(t *testing.T) {
	report := &eraser.Report{}
	for i := range 2000 {
		report.Messages = append(report.Messages, eraser.MessageResult{MessageID: fmt.Sprintf("m-%d", i), Request: request(accounts(fmt.Sprint(i), 1)), Outcome: eraser.Erased})
	}
	var w writes
	(&telemetry.Audit{Out: &w, Keys: keys{key: testKey}}).Observe(context.Background(), report)
	all := strings.Join(w.each, "")
	if n := len(decode(t, all)); n != 2001 {
		t.Fatalf("%d lines written, want 2001", n)
	}
	if max := len(all)/telemetry.FlushSize + 1; len(w.each) > max {
		t.Errorf("%d writes of %d bytes, want at most %d", len(w.each), len(all), max)
	}
	for i, p := range w.each {
		if !strings.HasSuffix(p, "}\n") || len(p) > telemetry.FlushSize+1024 {
			t.Errorf("write %d (%d bytes) does not end a line or is too large", i, len(p))
		}
	}
}

// BenchmarkAuditObserve compares the lines encoded by hand with slog's, on
// row 9's two shapes (to /dev/null-like io.Discard):
//
//	go test -run '^$' -bench AuditObserve -benchmem ./internal/telemetry
func BenchmarkAuditObserve(b *testing.B) {
	for _, shape := range []struct {
		name        string
		messages, n int
	}{{"1000x1", 1000, 1}, {"10x10000", 10, 10_000}} {
		report := &eraser.Report{Parts: []string{"attrs"}}
		for m := range shape.messages {
			report.Messages = append(report.Messages, eraser.MessageResult{MessageID: fmt.Sprintf("m-%d", m),
				Request: request(accounts(fmt.Sprint(m), shape.n)), Outcome: eraser.Erased, Done: []string{"attrs"}})
		}
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "c0a8f2c4-3b1e-4f7a-9d2e-5a6b7c8d9e0f"})
		for _, a := range []struct {
			name  string
			audit *telemetry.Audit
		}{
			{"by hand", &telemetry.Audit{Out: io.Discard, Keys: keys{key: testKey}}},
			{"slog", &telemetry.Audit{Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo), Keys: keys{key: testKey}}},
		} {
			b.Run(shape.name+"/"+a.name, func(b *testing.B) {
				for b.Loop() {
					a.audit.Observe(ctx, report)
				}
			})
		}
	}
}
