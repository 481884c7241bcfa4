package sqsq_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

const sourceARN = "arn:aws:sqs:us-east-1:123456789012:erasure"

// scriptedProcessor remembers the batch it was given and answers with
// results, one per message (erased when there are none), each carrying the
// lineage of its message as the real processor does.
type scriptedProcessor struct {
	results  []eraser.MessageResult
	systemic bool
	batch    eraser.Batch
	calls    int
}

func (p *scriptedProcessor) Process(_ context.Context, batch eraser.Batch) *eraser.Report {
	p.calls++
	p.batch = batch
	report := &eraser.Report{Messages: make([]eraser.MessageResult, len(batch.Messages)), Systemic: p.systemic}
	for i, msg := range batch.Messages {
		m := eraser.MessageResult{MessageID: msg.ID, Outcome: eraser.Erased}
		if i < len(p.results) {
			m = p.results[i]
		}
		m.Lineage = msg.Lineage
		report.Messages[i] = m
	}
	return report
}

type countingObserver struct{ seen int }

func (o *countingObserver) Observe(context.Context, *eraser.Report) { o.seen++ }

func itemIDs(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestHandle(t *testing.T) {
	cfgErr := errors.New("SECRET_ID is required")
	tests := []struct {
		name        string
		arn         string
		results     []eraser.MessageResult
		systemic    bool
		configErr   error
		wantFailed  []string
		wantErr     error
		wantOrdered bool
	}{
		{
			name:       "all erased",
			arn:        sourceARN,
			results:    []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}, {MessageID: "b", Outcome: eraser.Erased}},
			wantFailed: []string{},
		},
		{
			name: "partial failure lists exactly the failed messages",
			arn:  sourceARN,
			results: []eraser.MessageResult{
				{MessageID: "a", Outcome: eraser.Erased},
				{MessageID: "b", Outcome: eraser.Invalid, Class: erasure.Invalid},
				{MessageID: "c", Outcome: eraser.Failed, Class: erasure.Retryable},
			},
			wantFailed: []string{"b", "c"},
		},
		{
			name:       "systemic failure returns an error",
			arn:        sourceARN,
			results:    []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Failed, Class: erasure.Signature}},
			systemic:   true,
			wantFailed: []string{"a"},
			wantErr:    eraser.ErrSystemic,
		},
		{
			name:       "a failed message without id fails the batch",
			arn:        sourceARN,
			results:    []eraser.MessageResult{{MessageID: "", Outcome: eraser.Invalid}},
			wantFailed: []string{},
			wantErr:    sqsq.ErrMissingMessageID,
		},
		{
			name:        "fifo queue detected from the ARN",
			arn:         sourceARN + ".fifo",
			results:     []eraser.MessageResult{{MessageID: "a", Outcome: eraser.Erased}},
			wantFailed:  []string{},
			wantOrdered: true,
		},
		{
			name:       "unconfigured: every message is listed and the error returned",
			arn:        sourceARN,
			results:    []eraser.MessageResult{{MessageID: "a"}, {MessageID: "b"}},
			configErr:  cfgErr,
			wantFailed: []string{"a", "b"},
			wantErr:    cfgErr,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := &scriptedProcessor{results: tt.results, systemic: tt.systemic}
			obs := &countingObserver{}
			h := &sqsq.Handler{Eraser: &eraser.Handler{Processor: proc, Observers: []eraser.Observer{obs}, ConfigErr: tt.configErr}}
			var records []events.SQSMessage
			for _, r := range tt.results {
				records = append(records, events.SQSMessage{MessageId: r.MessageID, EventSourceARN: tt.arn})
			}
			resp, err := h.Handle(context.Background(), events.SQSEvent{Records: records})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := itemIDs(resp); tt.wantErr != sqsq.ErrMissingMessageID && !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failures = %v, want %v", got, tt.wantFailed)
			}
			if proc.batch.Ordered != tt.wantOrdered {
				t.Errorf("ordered = %v, want %v", proc.batch.Ordered, tt.wantOrdered)
			}
			if tt.configErr != nil && proc.calls != 0 {
				t.Errorf("the processor ran %d times although the function is not configured", proc.calls)
			}
			if obs.seen != 1 {
				t.Errorf("observer saw %d reports, want 1", obs.seen)
			}
		})
	}
}

// TestHandleReadsLineage: the core gets each record's id, body and
// lineage, read from SQS's attributes and from those a copy the function
// made carries, which win. Lineage attributes whose MAC does not verify
// (a publisher's) are ignored, with one warning per message that names no
// value.
func TestHandleReadsLineage(t *testing.T) {
	const firstMillis = 1767225600123 // 2026-01-01T00:00:00.123Z
	firstReceived := time.UnixMilli(firstMillis).UTC()
	attr := func(dataType, value string) events.SQSMessageAttribute {
		return events.SQSMessageAttribute{DataType: dataType, StringValue: aws.String(value)}
	}
	tests := []struct {
		name       string
		attributes map[string]string
		message    map[string]events.SQSMessageAttribute
		// signed adds the MAC a copy of the function's carries; macKey,
		// when set, makes it with another audit key.
		signed   bool
		macKey   []byte
		keyErr   error // the audit key cannot be read
		want     eraser.Lineage
		wantWarn string // why the lineage was ignored
	}{
		{
			name: "hand-built record: its own id, first receive",
			want: eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1},
		},
		{
			name:       "SQS's receive count and first receive",
			attributes: map[string]string{"ApproximateReceiveCount": "3", "ApproximateFirstReceiveTimestamp": "1767225600123"},
			want:       eraser.Lineage{OriginalMessageID: "m-1", FirstReceived: firstReceived, ReceiveCount: 3},
		},
		{
			name:       "a requeued copy's attributes win over the copy's own",
			attributes: map[string]string{"ApproximateReceiveCount": "2", "ApproximateFirstReceiveTimestamp": "1767225900000"},
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "orig"),
				sqsq.AttrFirstReceived:     attr("String", "2026-01-01T00:00:00.123Z"),
				sqsq.AttrRequeues:          attr("Number", "4"),
			},
			signed: true,
			want:   eraser.Lineage{OriginalMessageID: "orig", FirstReceived: firstReceived, Requeues: 4, ReceiveCount: 2},
		},
		{
			name: "a publisher's requeues=20 without a MAC is ignored",
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrRequeues: attr("Number", "20"),
			},
			want: eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1}, wantWarn: sqsq.ErrLineageUnsigned.Error(),
		},
		{
			name:       "a publisher's original id and first receive without a MAC are ignored",
			attributes: map[string]string{"ApproximateFirstReceiveTimestamp": "1767225600123"},
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "someone-else"),
				sqsq.AttrFirstReceived:     attr("String", "2020-01-01T00:00:00Z"),
			},
			want: eraser.Lineage{OriginalMessageID: "m-1", FirstReceived: firstReceived, ReceiveCount: 1}, wantWarn: sqsq.ErrLineageUnsigned.Error(),
		},
		{
			name: "a MAC made with another audit key is ignored",
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "orig"),
				sqsq.AttrRequeues:          attr("Number", "20"),
			},
			signed: true, macKey: []byte("another audit key"),
			want: eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1}, wantWarn: sqsq.ErrLineageForged.Error(),
		},
		{
			name: "a publisher's MAC-less requeues beside a genuine MAC is ignored",
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "orig"),
				sqsq.AttrLineageMAC:        attr("String", sqsq.LineageMAC(sqsq.LineageKey(testAuditKey), "orig", "", "")),
				sqsq.AttrRequeues:          attr("Number", "20"),
			},
			want: eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1}, wantWarn: sqsq.ErrLineageForged.Error(),
		},
		{
			name: "class and reason are outside the MAC",
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "orig"),
				sqsq.AttrClass:             attr("String", "invalid"),
				sqsq.AttrReason:            attr("String", "anything"),
			},
			signed: true,
			want:   eraser.Lineage{OriginalMessageID: "orig", ReceiveCount: 1},
		},
		{
			name: "no audit key: a signed lineage cannot be verified, and the message is still processed",
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", "orig"),
				sqsq.AttrRequeues:          attr("Number", "3"),
			},
			signed: true, keyErr: errors.New("secret unreadable"),
			want: eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1}, wantWarn: sqsq.ErrLineageUnverifiable.Error(),
		},
		{
			name:    "first receive in another zone is read as UTC, to the nanosecond",
			message: map[string]events.SQSMessageAttribute{sqsq.AttrFirstReceived: attr("String", "2026-01-01T02:00:00.000000001+02:00")},
			signed:  true,
			want:    eraser.Lineage{OriginalMessageID: "m-1", FirstReceived: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC), ReceiveCount: 1},
		},
		{
			name:       "unreadable values fall back",
			attributes: map[string]string{"ApproximateReceiveCount": "0", "ApproximateFirstReceiveTimestamp": "1767225600123"},
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: attr("String", ""),
				sqsq.AttrFirstReceived:     attr("String", "yesterday"),
				sqsq.AttrRequeues:          attr("Number", "-1"),
			},
			signed: true,
			want:   eraser.Lineage{OriginalMessageID: "m-1", FirstReceived: firstReceived, ReceiveCount: 1},
		},
		{
			name:       "garbage counts and a binary attribute are ignored",
			attributes: map[string]string{"ApproximateReceiveCount": "many", "ApproximateFirstReceiveTimestamp": "soon"},
			message: map[string]events.SQSMessageAttribute{
				sqsq.AttrOriginalMessageID: {DataType: "Binary", BinaryValue: []byte("orig")},
				sqsq.AttrRequeues:          attr("Number", "two"),
			},
			signed: true,
			want:   eraser.Lineage{OriginalMessageID: "m-1", ReceiveCount: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := &scriptedProcessor{}
			var logs bytes.Buffer
			h := &sqsq.Handler{
				Eraser:  &eraser.Handler{Processor: proc, Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
				Lineage: &sqsq.Lineage{Keys: failingKeys{auditKeys(testAuditKey), tt.keyErr}},
			}
			message := maps.Clone(tt.message)
			if tt.signed {
				value := func(name string) string { return aws.ToString(message[name].StringValue) }
				macKey := testAuditKey
				if tt.macKey != nil {
					macKey = tt.macKey
				}
				mac := sqsq.LineageMAC(sqsq.LineageKey(macKey),
					value(sqsq.AttrOriginalMessageID), value(sqsq.AttrFirstReceived), value(sqsq.AttrRequeues))
				message[sqsq.AttrLineageMAC] = attr("String", mac)
			}
			rec := events.SQSMessage{MessageId: "m-1", Body: `{"type":"gdpr.erasure"}`, EventSourceARN: sourceARN,
				Attributes: tt.attributes, MessageAttributes: message}
			if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{rec}}); err != nil {
				t.Fatal(err)
			}
			if len(proc.batch.Messages) != 1 {
				t.Fatalf("the core got %d messages, want 1", len(proc.batch.Messages))
			}
			msg := proc.batch.Messages[0]
			if msg.ID != rec.MessageId || msg.Body != rec.Body {
				t.Errorf("message %q body %q, want %q %q", msg.ID, msg.Body, rec.MessageId, rec.Body)
			}
			got := msg.Lineage
			if got.OriginalMessageID != tt.want.OriginalMessageID || got.Requeues != tt.want.Requeues || got.ReceiveCount != tt.want.ReceiveCount {
				t.Errorf("lineage %+v, want %+v", got, tt.want)
			}
			if !got.FirstReceived.Equal(tt.want.FirstReceived) || (!got.FirstReceived.IsZero() && got.FirstReceived.Location() != time.UTC) {
				t.Errorf("first received %v, want %v (UTC)", got.FirstReceived, tt.want.FirstReceived)
			}
			lines := logLines(t, &logs)
			if tt.wantWarn == "" {
				if len(lines) != 0 {
					t.Errorf("logged %v, want nothing", lines)
				}
				return
			}
			if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["messageId"] != "m-1" || lines[0]["why"] != tt.wantWarn {
				t.Errorf("logged %v, want one WARN for m-1 saying %q", lines, tt.wantWarn)
			}
			for _, a := range tt.message {
				// Short values (a count) would match the log's timestamp.
				if v := aws.ToString(a.StringValue); len(v) > 3 && strings.Contains(logs.String(), v) {
					t.Errorf("the log holds the attribute value %q", v)
				}
			}
		})
	}
}

// failingKeys is an AuditKeySource that fails with err when it is set.
type failingKeys struct {
	sqsq.AuditKeySource
	err error
}

func (k failingKeys) AuditKey(ctx context.Context) ([]byte, error) {
	if k.err != nil {
		return nil, k.err
	}
	return k.AuditKeySource.AuditKey(ctx)
}

// recordingHandOffer takes every order and remembers the records and
// orders it was given.
type recordingHandOffer struct {
	records []events.SQSMessage
	orders  []eraser.Order
}

func (q *recordingHandOffer) HandOff(_ context.Context, records []events.SQSMessage, orders []eraser.Order) []error {
	q.records = records
	q.orders = append(q.orders, orders...)
	return make([]error, len(orders))
}

// TestHandleHandsOffTheEventsRecords: the Queue gets the event's records as
// they came (receipt handles, bodies), and each order's Message indexes the
// record it is about; the delay follows SQS's receive count.
func TestHandleHandsOffTheEventsRecords(t *testing.T) {
	records := []events.SQSMessage{
		{MessageId: "ok", ReceiptHandle: "rh-ok", Body: "ok-body", EventSourceARN: sourceARN},
		{MessageId: "bad", ReceiptHandle: "rh-bad", Body: "{", EventSourceARN: sourceARN},
		{MessageId: "later", ReceiptHandle: "rh-later", Body: "later-body", EventSourceARN: sourceARN,
			Attributes: map[string]string{"ApproximateReceiveCount": "3"}},
	}
	results := []eraser.MessageResult{
		{MessageID: "ok", Outcome: eraser.Erased},
		{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, Err: errors.New("invalid message")},
		{MessageID: "later", Outcome: eraser.Failed, Class: erasure.Retryable, Err: errors.New("502")},
	}
	tests := []struct {
		name       string
		queue      bool
		wantOrders []string
		wantFailed []string
	}{
		{name: "without a queue SQS redelivers every failure", wantFailed: []string{"bad", "later"}},
		{
			name: "with a queue", queue: true,
			wantOrders: []string{"rh-bad:{:dead-letter", "rh-later:later-body:delay:2m0s"},
			wantFailed: []string{"later"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recordingHandOffer{}
			h := &sqsq.Handler{Eraser: &eraser.Handler{Processor: &scriptedProcessor{results: slices.Clone(results)}}}
			if tt.queue {
				h.Queue = q
			}
			event := events.SQSEvent{Records: slices.Clone(records)}
			resp, err := h.Handle(context.Background(), event)
			if err != nil {
				t.Fatal(err)
			}
			if got := itemIDs(resp); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failures = %v, want %v", got, tt.wantFailed)
			}
			if tt.queue && !slices.EqualFunc(q.records, records, func(a, b events.SQSMessage) bool {
				return a.MessageId == b.MessageId && a.ReceiptHandle == b.ReceiptHandle && a.Body == b.Body
			}) {
				t.Errorf("the queue got records %+v, want the event's", q.records)
			}
			var got []string
			for _, o := range q.orders {
				if o.Message < 0 || o.Message >= len(q.records) {
					t.Fatalf("order %+v indexes no record of %d", o, len(q.records))
				}
				rec := q.records[o.Message]
				switch o.Action {
				case eraser.DeadLetter:
					got = append(got, rec.ReceiptHandle+":"+rec.Body+":dead-letter")
				case eraser.Delay:
					got = append(got, rec.ReceiptHandle+":"+rec.Body+":delay:"+o.Delay.String())
				default:
					got = append(got, rec.ReceiptHandle+":"+rec.Body+":other")
				}
			}
			if !slices.Equal(got, tt.wantOrders) {
				t.Errorf("orders %q, want %q", got, tt.wantOrders)
			}
		})
	}
}
