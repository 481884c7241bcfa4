package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// BenchmarkEndOfInvocation times the end of an invocation alone, after a
// processor that did its work at once: the receipts, the delays and the
// report (audit lines, metrics) through the real clients against the
// stand-ins, the audit lines to io.Discard. Run inside a Lambda-sized
// group, its ns/op is the end's wall time at that share of a CPU, which
// the end's reserves in eraser.Budget are derived from:
//
//	go test -c -o /tmp/app.test ./internal/app
//	go run ./internal/cmd/sized -memory-size 128 -- /tmp/app.test -test.run '^$' -test.bench EndOfInvocation -test.benchtime 20x
//
// The shapes: 1,000 erased one-account messages (a receipt each),
// 1,000 failed ones (a delay each), the report of 1,000 alone, and ten
// erased 10,000-account messages (the per-account hashing); a batch of an
// erased and a failed message (one call of each kind: the fixed cost of
// the steps).
func BenchmarkEndOfInvocation(b *testing.B) {
	sqs, err := sqstest.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sqs.Close)
	bus, err := eventstest.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bus.Close)
	sqs.SetEnv(b.Setenv)
	b.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.URL())
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	sourceURL, _ := sqs.AddQueue("erasure")
	keys := staticAuditKey([]byte("0123456789abcdef0123456789abcdef"))
	logger := telemetry.NewLogger(io.Discard, slog.LevelInfo)
	queue := sqsq.New(cfg, "")
	shapes := []struct {
		name                string
		messages, accounts  int
		outcome             eraser.Outcome
		perAccount, perCall bool
		reportOnly          bool // no receipts, no queue: the report step alone
	}{
		{name: "1 erased and 1 failed message", messages: 1, accounts: 1, perCall: true},
		{name: "1000 erased x 1 account", messages: 1000, accounts: 1, outcome: eraser.Erased},
		{name: "1000 failed x 1 account", messages: 1000, accounts: 1, outcome: eraser.Failed},
		{name: "1000 erased x 1 account, report only", messages: 1000, accounts: 1, outcome: eraser.Erased, reportOnly: true},
		{name: "10 erased x 10000 accounts", messages: 10, accounts: 10_000, outcome: eraser.Erased, perAccount: true},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			report := endReport(sh.messages, sh.accounts, sh.outcome, sh.perCall)
			h := &sqsq.Handler{
				Eraser: &eraser.Handler{
					Processor: replayProcessor{report},
					Receipts:  receipts.New(cfg, "privacy-receipts", keys),
					Observers: []eraser.Observer{&telemetry.Audit{Logger: logger, Keys: keys}, &telemetry.Metrics{Out: io.Discard}},
					Logger:    logger,
				},
				Queue: queue,
			}
			if sh.reportOnly {
				h.Eraser.Receipts, h.Queue = nil, nil
			}
			for b.Loop() {
				b.StopTimer()
				for range len(report.Messages) {
					sqs.Put(sourceURL, `{}`, nil)
				}
				records := sqs.Receive(sourceURL, 0)
				b.StartTimer()
				if _, err := h.Handle(context.Background(), events.SQSEvent{Records: records}); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(b.Elapsed().Microseconds()) / float64(b.N)
			switch {
			case sh.perAccount:
				b.ReportMetric(per/float64(sh.messages*sh.accounts), "µs/account")
			case !sh.perCall:
				b.ReportMetric(per/float64(sh.messages), "µs/message")
			}
		})
	}
}

// endReport is what a processor would report for messages of accounts
// each, all with outcome; mixed is one erased and one failed.
func endReport(messages, accounts int, outcome eraser.Outcome, mixed bool) *eraser.Report {
	r := &eraser.Report{Parts: []string{"attrs"}}
	if mixed {
		messages = 2
	}
	for i := range messages {
		m := eraser.MessageResult{MessageID: fmt.Sprint("m", i), Outcome: outcome,
			Lineage: eraser.Lineage{OriginalMessageID: fmt.Sprint("m", i), ReceiveCount: 1, FirstReceived: time.Now()}}
		if mixed {
			m.Outcome = []eraser.Outcome{eraser.Erased, eraser.Failed}[i]
		}
		m.Request = erasure.Request{Type: "user.deleted", EventID: fmt.Sprint("e", i)}
		for j := range accounts {
			m.Request.Accounts = append(m.Request.Accounts, fmt.Sprintf("a%d-%d", i, j))
		}
		if m.Outcome == eraser.Erased {
			m.Done = r.Parts
		} else {
			m.Class, m.Err = erasure.Retryable, fmt.Errorf("tim: ErrorCode 91000")
		}
		r.Messages = append(r.Messages, m)
		r.Accounts += accounts
	}
	return r
}

// replayProcessor answers every batch with a copy of its report, the
// batch's records' ids in it.
type replayProcessor struct{ report *eraser.Report }

func (p replayProcessor) Process(_ context.Context, batch eraser.Batch) *eraser.Report {
	r := *p.report
	r.Messages = append([]eraser.MessageResult(nil), p.report.Messages...)
	for i := range r.Messages {
		if i < len(batch.Messages) {
			r.Messages[i].MessageID = batch.Messages[i].ID
			r.Messages[i].Lineage.ReceiveCount = batch.Messages[i].Lineage.ReceiveCount
		}
	}
	return &r
}

// staticAuditKey is an audit key source with a fixed key.
type staticAuditKey []byte

func (k staticAuditKey) AuditKey(context.Context) ([]byte, error) { return k, nil }
