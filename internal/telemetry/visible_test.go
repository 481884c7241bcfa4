package telemetry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// TestUnfinishedIsVisible: a message that comes back, whatever
// failed (a part, a receipt, a hand-off), is audited at WARN as not
// erased with what failed, counted in MessagesFailed with a class, and
// reports its PendingAge.
func TestUnfinishedIsVisible(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	lineage := eraser.Lineage{OriginalMessageID: "m", ReceiveCount: 1, FirstReceived: now.Add(-time.Minute)}
	putFailed := errors.New("PutEvents: ThrottlingException")
	sqsRefused := errors.New("sqsq: SendMessageBatch: AccessDenied")
	tests := []struct {
		name string
		m    eraser.MessageResult
		// what the line must say failed
		want string
	}{
		{"a part failed", eraser.MessageResult{Outcome: eraser.Failed, Class: erasure.Retryable, Err: errors.New("HTTP 502"), HandOff: eraser.Delayed, RetryAfter: 30 * time.Second}, "HTTP 502"},
		{"the Completed receipt was not put", eraser.MessageResult{Outcome: eraser.Erased, Receipt: eraser.ReceiptCompleted, ReceiptErr: putFailed, HandOff: eraser.Delayed, RetryAfter: 30 * time.Second}, putFailed.Error()},
		{"the dead letter was refused", eraser.MessageResult{Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid message"), HandOffErr: sqsRefused, HandOff: eraser.Delayed, RetryAfter: 30 * time.Second}, sqsRefused.Error()},
		{"the requeue and the delay were refused", eraser.MessageResult{Outcome: eraser.Failed, Class: erasure.Deadline, Err: errors.New("not sent"), Unreached: true, HandOffErr: sqsRefused}, sqsRefused.Error()},
		{"dead-lettered, the rejection not put", eraser.MessageResult{Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid message"), Receipt: eraser.ReceiptRejected, ReceiptErr: putFailed, HandOff: eraser.DeadLettered, RetryAfter: 30 * time.Second}, putFailed.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			m.MessageID, m.Lineage = "m", lineage
			m.Request = request(accounts("v", 1))
			report := &eraser.Report{Messages: []eraser.MessageResult{m}}
			out := observe(t, keys{key: testKey}, 0, report)
			l := decode(t, out)[0]
			if l.Level != "WARN" || l.Outcome == string(eraser.Erased) || l.Class == "" || !strings.Contains(out, tt.want) {
				t.Errorf("audit line %s/%s/%s, want WARN, not erased, a class, saying %q: %s", l.Level, l.Outcome, l.Class, tt.want, out)
			}
			w := &telemetry.Metrics{Namespace: "AttrEraser", Now: func() time.Time { return now }}
			failedMetric, ages := false, 0
			for _, d := range observeMetrics(t, w, report) {
				if v, ok := d.raw[telemetry.MessagesFailed]; ok && v.(float64) > 0 {
					failedMetric = true
				}
				if raw, ok := d.raw[telemetry.PendingAge].([]any); ok {
					ages += len(raw)
				}
			}
			if !failedMetric || ages != 1 {
				t.Errorf("MessagesFailed written %v, %d PendingAge values; want counted and one age", failedMetric, ages)
			}
		})
	}
}

// TestPendingAgeCountsFromTheEarlierStart: PendingAge counts from the
// earlier of occurredAt and the first receive, so a publisher whose clock
// runs fast cannot hide a stuck erasure.
func TestPendingAgeCountsFromTheEarlierStart(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		occurredAt string
		firstRecv  time.Time
		want       []float64
	}{
		{"occurredAt earlier", "2026-11-25T09:00:00Z", now.Add(-90 * time.Second), []float64{3600}},
		{"publisher's clock a day fast", "2026-11-26T09:59:00Z", now.Add(-2 * time.Hour), []float64{7200}},
		{"publisher's clock a little fast", "2026-11-25T09:59:30Z", now.Add(-time.Minute), []float64{60}},
		{"occurredAt only", "2026-11-25T09:00:00Z", time.Time{}, []float64{3600}},
		{"first receive only", "", now.Add(-time.Minute), []float64{60}},
		{"occurredAt in the future only", "2026-11-26T10:00:00Z", time.Time{}, []float64{0}},
		{"neither", "not a time", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := failed(erasure.Retryable)
			m.Request.OccurredAt, m.Lineage.FirstReceived = tt.occurredAt, tt.firstRecv
			w := &telemetry.Metrics{Namespace: "AttrEraser", Now: func() time.Time { return now }}
			var ages []float64
			for _, d := range observeMetrics(t, w, &eraser.Report{Messages: []eraser.MessageResult{m}}) {
				if raw, ok := d.raw[telemetry.PendingAge].([]any); ok {
					for _, v := range raw {
						ages = append(ages, v.(float64))
					}
				}
			}
			if len(ages) != len(tt.want) || (len(ages) == 1 && ages[0] != tt.want[0]) {
				t.Errorf("ages %v, want %v", ages, tt.want)
			}
		})
	}
}
