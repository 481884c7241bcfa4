package sqsq_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
)

// ownAttributes are a record's own message attributes, one of each type,
// plus stale lineage attributes the copy must not carry.
var ownAttributes = map[string]sqstest.Attribute{
	"trace":              {DataType: "String", StringValue: "abc"},
	"count":              {DataType: "Number", StringValue: "7"},
	"blob":               {DataType: "Binary", BinaryValue: []byte{1, 2, 3}},
	sqsq.AttrRequeues:    {DataType: "String", StringValue: "stale"},
	sqsq.AttrReason:      {DataType: "String", StringValue: "stale"},
	"custom.with-period": {DataType: "String.custom", StringValue: "x"},
}

var firstReceived = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))

func TestRequeueCarriesBodyAndAttributes(t *testing.T) {
	tests := []struct {
		name    string
		lineage eraser.Lineage
		want    map[string]sqstest.Attribute // beyond the record's own
	}{
		{
			name:    "full lineage",
			lineage: eraser.Lineage{OriginalMessageID: "orig-1", FirstReceived: firstReceived, Requeues: 2},
			want: map[string]sqstest.Attribute{
				sqsq.AttrOriginalMessageID: {DataType: "String", StringValue: "orig-1"},
				sqsq.AttrFirstReceived:     {DataType: "String", StringValue: "2026-01-02T02:04:05.123456789Z"},
				sqsq.AttrRequeues:          {DataType: "Number", StringValue: "2"},
			},
		},
		{
			name:    "no first receive",
			lineage: eraser.Lineage{OriginalMessageID: "orig-2", Requeues: 1},
			want: map[string]sqstest.Attribute{
				sqsq.AttrOriginalMessageID: {DataType: "String", StringValue: "orig-2"},
				sqsq.AttrRequeues:          {DataType: "Number", StringValue: "1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			const body = `{"accounts":["alice","bob"]}`
			f.srv.Put(f.url, body, ownAttributes)
			rec := f.srv.Receive(f.url, 1)[0]
			errs := handOff(t, f.q, []order{{Record: rec, Action: eraser.Requeue, Lineage: tt.lineage}})
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			msgs := f.srv.Messages(f.url)
			if len(msgs) != 2 {
				t.Fatalf("source queue holds %d messages, want the original and its copy", len(msgs))
			}
			cp := msgs[1]
			if cp.Body != body {
				t.Errorf("Body = %q, want %q", cp.Body, body)
			}
			want := map[string]sqstest.Attribute{}
			for k, v := range ownAttributes {
				if !strings.HasPrefix(k, "attr-eraser.") {
					want[k] = v
				}
			}
			for k, v := range tt.want {
				want[k] = v
			}
			if tt.lineage.FirstReceived.IsZero() {
				delete(want, sqsq.AttrFirstReceived)
			}
			checkAttributes(t, cp.Attributes, want)

			// eraser reads back the lineage it handed over.
			again := f.srv.Receive(f.url, 0)
			if len(again) != 1 {
				t.Fatalf("received %d copies", len(again))
			}
			got, err := sqsq.LineageOf(again[0], sqsq.LineageKey(testAuditKey))
			if err != nil {
				t.Errorf("the copy's lineage does not verify: %v", err)
			}
			if got.OriginalMessageID != tt.lineage.OriginalMessageID || got.Requeues != tt.lineage.Requeues ||
				(!tt.lineage.FirstReceived.IsZero() && !got.FirstReceived.Equal(tt.lineage.FirstReceived)) {
				t.Errorf("LineageOf(copy) = %+v, want %+v", got, tt.lineage)
			}
		})
	}
}

// checkAttributes compares a copy's attributes with want; a lineage MAC
// want leaves out must be there, and verify under testAuditKey.
func checkAttributes(t *testing.T, got, want map[string]sqstest.Attribute) {
	t.Helper()
	if _, ok := want[sqsq.AttrLineageMAC]; !ok {
		want = maps.Clone(want)
		value := func(name string) string { return got[name].StringValue }
		want[sqsq.AttrLineageMAC] = sqstest.Attribute{DataType: "String", StringValue: sqsq.LineageMAC(sqsq.LineageKey(testAuditKey),
			value(sqsq.AttrOriginalMessageID), value(sqsq.AttrFirstReceived), value(sqsq.AttrRequeues))}
	}
	if len(got) != len(want) {
		t.Errorf("%d attributes, want %d: %+v", len(got), len(want), got)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok || g.DataType != w.DataType || g.StringValue != w.StringValue || !bytes.Equal(g.BinaryValue, w.BinaryValue) {
			t.Errorf("attribute %s = %+v (present %v), want %+v", name, g, ok, w)
		}
	}
}

func TestDeadLetterCarriesWhy(t *testing.T) {
	tests := []struct {
		name     string
		class    erasure.Class
		reason   string
		requeues int
		want     map[string]sqstest.Attribute
	}{
		{
			name: "invalid, first receive", class: erasure.Invalid, reason: "body is not JSON",
			want: map[string]sqstest.Attribute{
				sqsq.AttrClass:  {DataType: "String", StringValue: "invalid"},
				sqsq.AttrReason: {DataType: "String", StringValue: "body is not JSON"},
			},
		},
		{
			name: "content after requeues", class: erasure.Content, reason: "90001", requeues: 3,
			want: map[string]sqstest.Attribute{
				sqsq.AttrClass:    {DataType: "String", StringValue: "content"},
				sqsq.AttrReason:   {DataType: "String", StringValue: "90001"},
				sqsq.AttrRequeues: {DataType: "Number", StringValue: "3"},
			},
		},
		{
			name: "no reason", class: erasure.Invalid,
			want: map[string]sqstest.Attribute{
				sqsq.AttrClass:  {DataType: "String", StringValue: "invalid"},
				sqsq.AttrReason: {DataType: "String", StringValue: "unknown"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.receive(t, `{"accounts":"not-a-list"}`)[0]
			l := lineageOf(rec)
			l.FirstReceived = firstReceived
			l.Requeues = tt.requeues
			errs := handOff(t, f.q, []order{{Record: rec, Action: eraser.DeadLetter, Lineage: l, Class: tt.class, Reason: tt.reason}})
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			msgs := f.srv.Messages(f.dlqURL)
			if len(msgs) != 1 || msgs[0].Body != rec.Body {
				t.Fatalf("DLQ holds %+v", msgs)
			}
			want := map[string]sqstest.Attribute{
				sqsq.AttrOriginalMessageID: {DataType: "String", StringValue: rec.MessageId},
				sqsq.AttrFirstReceived:     {DataType: "String", StringValue: "2026-01-02T02:04:05.123456789Z"},
			}
			for k, v := range tt.want {
				want[k] = v
			}
			checkAttributes(t, msgs[0].Attributes, want)
			if n := len(f.srv.Messages(f.url)); n != 1 {
				t.Errorf("source queue holds %d messages, want only the original", n)
			}
		})
	}
}

func TestDeadLetterToFIFOQueue(t *testing.T) {
	f := newFixture(t)
	f.q.DeadLetterURL, _ = f.srv.AddQueue("erasures-dlq.fifo")
	rec := f.receive(t, "bad")[0]
	deadLetter := order{Record: rec, Action: eraser.DeadLetter, Lineage: lineageOf(rec), Class: erasure.Invalid}
	for range 2 { // the second hand-off of the same receive is a duplicate
		if errs := handOff(t, f.q, []order{deadLetter}); errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
	msgs := f.srv.Messages(f.q.DeadLetterURL)
	if len(msgs) != 1 || msgs[0].GroupID == "" || msgs[0].DeduplicationID != rec.MessageId {
		t.Errorf("FIFO DLQ holds %+v, want one message with a group and the record's id as deduplication id", msgs)
	}
}

func TestDelayRoundsUpAndClamps(t *testing.T) {
	tests := []struct {
		delay time.Duration
		want  int
	}{
		{0, 0},
		{-time.Minute, 0},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{30 * time.Second, 30},
		{time.Hour, 3600},
		{12 * time.Hour, 43200},
		{12*time.Hour + time.Nanosecond, 43200},
		{1000 * time.Hour, 43200},
		{time.Duration(1<<63 - 1), 43200},
	}
	f := newFixture(t)
	recs := f.receive(t, bodies(len(tests))...)
	orders := make([]order, len(tests))
	for i, tt := range tests {
		orders[i] = order{Record: recs[i], Action: eraser.Delay, Delay: tt.delay}
	}
	for i, err := range handOff(t, f.q, orders) {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	for i, tt := range tests {
		if got, ok := f.srv.Visibility(recs[i].ReceiptHandle); !ok || got != tt.want {
			t.Errorf("Delay %v: visibility %d (set %v), want %d", tt.delay, got, ok, tt.want)
		}
	}
	if got := f.srv.Calls("ChangeMessageVisibilityBatch"); got != 2 {
		t.Errorf("ChangeMessageVisibilityBatch calls = %d, want 2", got)
	}
}

func TestBatches(t *testing.T) {
	// 256 KiB bodies, 4 to a MiB, but for the lineage each copy adds.
	big := strings.Repeat("x", 256<<10)
	tests := []struct {
		name      string
		bodies    []string
		action    eraser.Action
		op        string
		wantCalls int
	}{
		{"25 requeues", bodies(25), eraser.Requeue, "SendMessageBatch", 3},
		{"25 dead letters", bodies(25), eraser.DeadLetter, "SendMessageBatch", 3},
		{"25 delays", bodies(25), eraser.Delay, "ChangeMessageVisibilityBatch", 3},
		{"10 requeues", bodies(10), eraser.Requeue, "SendMessageBatch", 1},
		{"7 x 256 KiB: 3 to a call", []string{big + "1", big + "2", big + "3", big + "4", big + "5", big + "6", big + "7"}, eraser.Requeue, "SendMessageBatch", 3},
		{"7 x 256 KiB dead letters", []string{big + "1", big + "2", big + "3", big + "4", big + "5", big + "6", big + "7"}, eraser.DeadLetter, "SendMessageBatch", 3},
		{"10 x 100 KiB: one call", slices.Repeat([]string{big[:100<<10]}, 10), eraser.Requeue, "SendMessageBatch", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			recs := f.receive(t, tt.bodies...)
			orders := requeues(recs)
			for i := range orders {
				orders[i].Action, orders[i].Delay = tt.action, time.Minute
			}
			for i, err := range handOff(t, f.q, orders) {
				if err != nil {
					t.Fatalf("order %d: %v", i, err)
				}
			}
			if got := f.srv.Calls(tt.op); got != tt.wantCalls {
				t.Errorf("%s calls = %d, want %d", tt.op, got, tt.wantCalls)
			}
			switch tt.action {
			case eraser.Requeue:
				if got := len(f.srv.Messages(f.url)); got != 2*len(recs) {
					t.Errorf("source queue holds %d, want %d", got, 2*len(recs))
				}
			case eraser.DeadLetter:
				if got := len(f.srv.Messages(f.dlqURL)); got != len(recs) {
					t.Errorf("DLQ holds %d, want %d", got, len(recs))
				}
			case eraser.Delay:
				for _, r := range recs {
					if s, ok := f.srv.Visibility(r.ReceiptHandle); !ok || s != 60 {
						t.Fatalf("visibility %d, %v", s, ok)
					}
				}
			}
		})
	}
}

func TestMixedActionsGroupByQueue(t *testing.T) {
	f := newFixture(t)
	otherURL, otherARN := f.srv.AddQueue("other")
	recs := f.receive(t, bodies(6)...)
	f.srv.Put(otherURL, "elsewhere", nil)
	other := f.srv.Receive(otherURL, 0)[0]
	if other.EventSourceARN != otherARN {
		t.Fatal(other.EventSourceARN)
	}
	orders := []order{
		{Record: recs[0], Action: eraser.Requeue},
		{Record: recs[1], Action: eraser.DeadLetter, Class: erasure.Invalid},
		{Record: recs[2], Action: eraser.Delay, Delay: time.Second},
		{Record: other, Action: eraser.Requeue},
		{Record: recs[3], Action: eraser.Requeue},
		{Record: recs[4], Action: eraser.Delay, Delay: time.Second},
		{Record: recs[5], Action: eraser.DeadLetter, Class: erasure.Invalid},
	}
	for i, err := range handOff(t, f.q, orders) {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	for op, want := range map[string]int{"SendMessageBatch": 3, "ChangeMessageVisibilityBatch": 1, "GetQueueUrl": 2} {
		if got := f.srv.Calls(op); got != want {
			t.Errorf("%s calls = %d, want %d", op, got, want)
		}
	}
	if got := f.srv.Messages(otherURL); len(got) != 2 || got[1].Body != "elsewhere" {
		t.Errorf("other queue holds %+v, want the original and its copy", got)
	}
}

func TestPartialBatchFailure(t *testing.T) {
	tests := []struct {
		name   string
		action eraser.Action
		code   string
		match  func(recs []events.SQSMessage) func(sqstest.Entry) bool
	}{
		{"requeue", eraser.Requeue, "InternalError", func([]events.SQSMessage) func(sqstest.Entry) bool {
			return func(e sqstest.Entry) bool { return strings.HasSuffix(e.Body, `3"]}`) } // bodies 3, 13, 23
		}},
		{"delay", eraser.Delay, "ReceiptHandleIsInvalid", func(recs []events.SQSMessage) func(sqstest.Entry) bool {
			bad := map[string]bool{recs[3].ReceiptHandle: true, recs[13].ReceiptHandle: true, recs[23].ReceiptHandle: true}
			return func(e sqstest.Entry) bool { return bad[e.ReceiptHandle] }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			recs := f.receive(t, bodies(25)...)
			orders := requeues(recs)
			for i := range orders {
				orders[i].Action, orders[i].Delay = tt.action, time.Minute
			}
			f.srv.FailEntries(tt.code, tt.match(recs))
			errs := handOff(t, f.q, orders)
			for i, err := range errs {
				failed := i%10 == 3
				if (err != nil) != failed {
					t.Errorf("order %d: err = %v, want failed %v", i, err, failed)
					continue
				}
				if failed {
					e := asError(t, err)
					if e.Code != tt.code || e.SenderFault != (tt.code != "InternalError") || e.QueueURL != f.url {
						t.Errorf("order %d: %+v", i, e)
					}
				}
			}
			if tt.action == eraser.Requeue {
				if got := len(f.srv.Messages(f.url)); got != 25+22 {
					t.Errorf("source queue holds %d, want 47", got)
				}
			}
		})
	}
}

func TestWholeCallFailure(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fixture)
		wantFail  func(a eraser.Action) bool
		wantCode  string
		wantCalls map[string]int
	}{
		{
			name:     "visibility call refused",
			setup:    func(f *fixture) { f.srv.SetFailure("ChangeMessageVisibilityBatch", "AccessDenied") },
			wantFail: func(a eraser.Action) bool { return a == eraser.Delay },
			wantCode: "AccessDenied",
		},
		{
			name:     "dead-letter queue gone",
			setup:    func(f *fixture) { f.q.DeadLetterURL = f.srv.URL() + "/" + sqstest.AccountID + "/gone" },
			wantFail: func(a eraser.Action) bool { return a == eraser.DeadLetter },
			wantCode: "AWS.SimpleQueueService.NonExistentQueue",
		},
		{
			name:      "SQS failing, retried",
			setup:     func(f *fixture) { f.srv.SetFailure("SendMessageBatch", "InternalError") },
			wantFail:  func(a eraser.Action) bool { return a != eraser.Delay },
			wantCode:  "InternalError",
			wantCalls: map[string]int{"SendMessageBatch": 2 * 3, "ChangeMessageVisibilityBatch": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(&f)
			recs := f.receive(t, bodies(12)...)
			var orders []order
			for i, r := range recs {
				o := order{Record: r, Action: []eraser.Action{eraser.Requeue, eraser.DeadLetter, eraser.Delay}[i%3], Class: erasure.Invalid, Delay: time.Second}
				orders = append(orders, o)
			}
			for i, err := range handOff(t, f.q, orders) {
				if want := tt.wantFail(orders[i].Action); (err != nil) != want {
					t.Errorf("order %d (%v): err = %v, want failed %v", i, orders[i].Action, err, want)
					continue
				}
				if err != nil {
					if e := asError(t, err); e.Code != tt.wantCode {
						t.Errorf("order %d: Code = %q, want %q (%v)", i, e.Code, tt.wantCode, e)
					}
				}
			}
			for op, want := range tt.wantCalls {
				if got := f.srv.Calls(op); got != want {
					t.Errorf("%s calls = %d, want %d", op, got, want)
				}
			}
		})
	}
}

func TestUnknownQueueFailsOnlyItsOrders(t *testing.T) {
	f := newFixture(t)
	recs := f.receive(t, bodies(4)...)
	gone := events.SQSMessage{MessageId: "m-gone", ReceiptHandle: "AQEBgone", Body: `{"accounts":["carol"]}`,
		EventSourceARN: "arn:aws:sqs:us-east-1:" + sqstest.AccountID + ":later"}
	orders := append(delays(recs, time.Second), order{Record: gone, Action: eraser.Delay, Delay: time.Second},
		order{Record: gone, Action: eraser.Requeue})
	errs := handOff(t, f.q, orders)
	for i, err := range errs[:4] {
		if err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	for _, err := range errs[4:] {
		e := asError(t, err)
		var typed *types.QueueDoesNotExist
		if e.Op != sqsq.OpGetQueueURL || e.Code != "AWS.SimpleQueueService.NonExistentQueue" || !errors.As(err, &typed) ||
			!strings.Contains(err.Error(), gone.EventSourceARN) {
			t.Errorf("err = %v, want GetQueueUrl NonExistentQueue naming the ARN", err)
		}
	}
	if got := f.srv.Calls("GetQueueUrl"); got != 2 {
		t.Errorf("GetQueueUrl calls = %d, want 2 (one per ARN)", got)
	}

	// A failed lookup is not kept: once the queue exists, it is found.
	laterURL, _ := f.srv.AddQueue("later")
	errs = handOff(t, f.q, []order{{Record: gone, Action: eraser.Requeue}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	if got := f.srv.Calls("GetQueueUrl"); got != 3 {
		t.Errorf("GetQueueUrl calls = %d, want 3", got)
	}
	if got := f.srv.Messages(laterURL); len(got) != 1 || got[0].Body != gone.Body {
		t.Errorf("queue later holds %+v", got)
	}
}

func TestGetQueueURLOncePerARN(t *testing.T) {
	f := newFixture(t)
	const n = 20
	recs := f.receive(t, bodies(n)...)
	var start, done sync.WaitGroup
	start.Add(1)
	errs := make([]error, n)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = runHandOff(context.Background(), f.q, delays(recs[i:i+1], time.Minute))[0]
		})
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("HandOff %d: %v", i, err)
		}
	}
	if got := f.srv.Calls("GetQueueUrl"); got != 1 {
		t.Errorf("GetQueueUrl calls = %d, want 1", got)
	}
	handOff(t, f.q, delays(recs[:1], time.Minute))
	if got := f.srv.Calls("GetQueueUrl"); got != 1 {
		t.Errorf("GetQueueUrl calls after a later HandOff = %d, want 1", got)
	}
}

func TestMalformedARN(t *testing.T) {
	for _, arn := range []string{
		"",
		"not-an-arn",
		"arn:aws:sns:us-east-1:123456789012:topic",
		"arn:aws:sqs:us-east-1:123456789012",
		"arn:aws:sqs:us-east-1::erasures",
		"arn:aws:sqs:us-east-1:123456789012:erasures:extra",
	} {
		t.Run(arn, func(t *testing.T) {
			f := newFixture(t)
			rec := events.SQSMessage{MessageId: "m", ReceiptHandle: "AQEBhandle", Body: "b", EventSourceARN: arn}
			errs := handOff(t, f.q, []order{
				{Record: rec, Action: eraser.Requeue},
				{Record: rec, Action: eraser.Delay, Delay: time.Second},
				{Record: rec, Action: eraser.DeadLetter, Class: erasure.Invalid}, // needs no source queue
			})
			for _, err := range errs[:2] {
				if !errors.Is(err, sqsq.ErrMalformedARN) {
					t.Errorf("err = %v, want ErrMalformedARN", err)
				}
			}
			if errs[2] != nil {
				t.Errorf("dead letter: %v", errs[2])
			}
			for _, op := range []string{"GetQueueUrl", "ChangeMessageVisibilityBatch"} {
				if got := f.srv.Calls(op); got != 0 {
					t.Errorf("%s calls = %d, want 0", op, got)
				}
			}
		})
	}
}

func TestCopiesSQSWouldRefuse(t *testing.T) {
	lineage := eraser.Lineage{OriginalMessageID: "orig", FirstReceived: firstReceived, Requeues: 1}
	// The lineage adds 4 attributes of 29 + 6 + 4, 25 + 6 + 30,
	// 20 + 6 + 1 and (the MAC) 22 + 6 + 43 bytes: 198 in all.
	const lineageBytes = 198
	const limit = 1 << 20
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"350 KB", strings.Repeat("x", 350_000), nil},
		{"exactly 1 MiB", strings.Repeat("x", limit-lineageBytes), nil},
		{"exactly 1 MiB of UTF-8", strings.Repeat("é", (limit-lineageBytes-1)/2) + "x", nil},
		{"one byte more", strings.Repeat("x", limit-lineageBytes+1), sqsq.ErrTooLarge},
		{"a 1 MiB body leaves no room for the lineage", strings.Repeat("x", limit), sqsq.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rec := events.SQSMessage{MessageId: "m", Body: tt.body, EventSourceARN: f.arn}
			ok := f.receive(t, "fine")[0]
			errs := handOff(t, f.q, []order{
				{Record: rec, Action: eraser.Requeue, Lineage: lineage},
				{Record: ok, Action: eraser.Requeue, Lineage: lineage},
			})
			if !errors.Is(errs[0], tt.wantErr) || (tt.wantErr == nil) != (errs[0] == nil) {
				t.Errorf("err = %v, want %v", errs[0], tt.wantErr)
			}
			if errs[1] != nil {
				t.Errorf("the other order: %v", errs[1])
			}
			wantCalls := 1 // the other order's
			bigCopy, otherCopy := len(tt.body)+lineageBytes, len("fine")+lineageBytes
			if tt.wantErr == nil && bigCopy+otherCopy > limit {
				wantCalls = 2 // SendMessageBatch takes 1 MiB in all
			}
			if got := f.srv.Calls("SendMessageBatch"); got != wantCalls {
				t.Errorf("SendMessageBatch calls = %d, want %d", got, wantCalls)
			}
			intact := func(m sqstest.Message) bool { return m.Body == tt.body }
			if tt.wantErr == nil && !slices.ContainsFunc(f.srv.Messages(f.url), intact) {
				t.Error("the source queue does not hold the copy intact")
			}
		})
	}
}

// TestCopyAttributeBudget: a copy carries at most 10 message attributes
// and 1 MiB: the lineage first, then the publisher's own attributes in name
// order as room allows. What is left out is logged by name, never by value;
// a publisher's attr-eraser.* attribute never stands in for the lineage.
func TestCopyAttributeBudget(t *testing.T) {
	const limit = 1 << 20
	own := func(names ...string) map[string]sqstest.Attribute {
		m := map[string]sqstest.Attribute{}
		for _, n := range names {
			m[n] = sqstest.Attribute{DataType: "String", StringValue: "value-of-" + n}
		}
		return m
	}
	with := func(m map[string]sqstest.Attribute, more map[string]string) map[string]sqstest.Attribute {
		for n, v := range more {
			m[n] = sqstest.Attribute{DataType: "String", StringValue: v}
		}
		return m
	}
	const firstReceivedText = "2026-01-02T02:04:05.123456789Z"
	fresh := eraser.Lineage{OriginalMessageID: "orig", FirstReceived: firstReceived, ReceiveCount: 1}
	once, requeued := fresh, fresh
	once.Requeues, requeued.Requeues = 1, 2
	// A requeued copy's own lineage attributes, as the record carries them.
	copyLineage := map[string]string{sqsq.AttrOriginalMessageID: "orig", sqsq.AttrFirstReceived: firstReceivedText, sqsq.AttrRequeues: "2"}
	requeueLineage := func(requeues string) map[string]string {
		return map[string]string{sqsq.AttrOriginalMessageID: "orig", sqsq.AttrFirstReceived: firstReceivedText, sqsq.AttrRequeues: requeues}
	}
	deadLetterLineage := map[string]string{sqsq.AttrOriginalMessageID: "orig", sqsq.AttrFirstReceived: firstReceivedText,
		sqsq.AttrClass: "invalid", sqsq.AttrReason: "body is not JSON"}
	plus := func(m map[string]string, more map[string]string) map[string]string {
		out := maps.Clone(m)
		maps.Copy(out, more)
		return out
	}
	// A body leaving 10 bytes of room beside the requeue's lineage (198
	// bytes with its MAC) and "b-small".
	small := sqstest.Attribute{DataType: "String", StringValue: "value-of-b-small"}
	tightBody := strings.Repeat("x", limit-198-len("b-small")-len("String")-len(small.StringValue)-10)

	tests := []struct {
		name    string
		body    string
		attrs   map[string]sqstest.Attribute // the record's
		action  eraser.Action
		lineage eraser.Lineage
		// wantLineage is the function's attributes on the copy, by
		// value; wantKept the record's own it carries.
		wantLineage map[string]string
		wantKept    []string
		wantDropped []string
	}{
		{
			name: "requeue: 6 of the publisher's beside 4 of lineage with its MAC", action: eraser.Requeue, lineage: requeued,
			attrs:       own("a1", "a2", "a3", "a4", "a5", "a6"),
			wantLineage: requeueLineage("2"), wantKept: []string{"a1", "a2", "a3", "a4", "a5", "a6"},
		},
		{
			name: "requeue: the 7th by name is dropped, the MAC counts", action: eraser.Requeue, lineage: once,
			attrs:       own("g", "f", "e", "d", "c", "b", "a"),
			wantLineage: requeueLineage("1"), wantKept: []string{"a", "b", "c", "d", "e", "f"}, wantDropped: []string{"g"},
		},
		{
			name: "requeue: 10 of the publisher's", action: eraser.Requeue, lineage: once,
			attrs:       own("j", "Z", "i", "h", "g", "f", "e", "d", "c", "b"),
			wantLineage: requeueLineage("1"), wantKept: []string{"Z", "b", "c", "d", "e", "f"}, wantDropped: []string{"g", "h", "i", "j"},
		},
		{
			name: "dead letter: 7 of the publisher's beside 5 of lineage with its MAC", action: eraser.DeadLetter, lineage: fresh,
			attrs:       own("a1", "a2", "a3", "a4", "a5", "a6", "a7"),
			wantLineage: deadLetterLineage, wantKept: []string{"a1", "a2", "a3", "a4", "a5"}, wantDropped: []string{"a6", "a7"},
		},
		{
			name: "dead letter of a requeued copy: 6 of the publisher's beside 6 of lineage with its MAC", action: eraser.DeadLetter, lineage: requeued,
			attrs:       with(own("a1", "a2", "a3", "a4", "a5", "a6"), copyLineage),
			wantLineage: plus(deadLetterLineage, map[string]string{sqsq.AttrRequeues: "2"}),
			wantKept:    []string{"a1", "a2", "a3", "a4"}, wantDropped: []string{"a5", "a6"},
		},
		{
			name: "requeue of a redriven dead letter carries no stale class or reason", action: eraser.Requeue, lineage: requeued,
			attrs:       with(own("trace"), plus(copyLineage, map[string]string{sqsq.AttrClass: "invalid", sqsq.AttrReason: "stale"})),
			wantLineage: requeueLineage("2"), wantKept: []string{"trace"},
		},
		{
			name: "a publisher's attr-eraser.* attributes never replace the lineage", action: eraser.Requeue, lineage: once,
			attrs: with(own("trace"), map[string]string{sqsq.AttrOriginalMessageID: "forged", sqsq.AttrFirstReceived: "forged",
				sqsq.AttrRequeues: "forged", "attr-eraser.other": "forged"}),
			wantLineage: requeueLineage("1"), wantKept: []string{"trace"},
		},
		{
			name: "a dead letter's class and reason are the function's", action: eraser.DeadLetter, lineage: fresh,
			attrs:       with(own("trace"), map[string]string{sqsq.AttrClass: "forged", sqsq.AttrReason: "forged"}),
			wantLineage: deadLetterLineage, wantKept: []string{"trace"},
		},
		{
			name: "1 MiB: an attribute too large for the room left is dropped, a smaller one after it kept", action: eraser.Requeue, lineage: once,
			body:        tightBody,
			attrs:       map[string]sqstest.Attribute{"a-large": {DataType: "String", StringValue: "value-of-a-large" + strings.Repeat("v", 100)}, "b-small": small},
			wantLineage: requeueLineage("1"), wantKept: []string{"b-small"}, wantDropped: []string{"a-large"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var logs bytes.Buffer
			f.q.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			body := cmp.Or(tt.body, `{"accounts":["alice"]}`)
			f.srv.Put(f.url, body, tt.attrs)
			rec := f.srv.Receive(f.url, 1)[0]
			o := order{Record: rec, Action: tt.action, Lineage: tt.lineage, Class: erasure.Invalid, Reason: "body is not JSON"}
			if errs := handOff(t, f.q, []order{o}); errs[0] != nil {
				t.Fatal(errs[0])
			}
			to := f.url
			if tt.action == eraser.DeadLetter {
				to = f.dlqURL
			}
			msgs := f.srv.Messages(to)
			cp := msgs[len(msgs)-1]
			if cp.Body != body {
				t.Errorf("the copy's body differs (%d bytes, want %d)", len(cp.Body), len(body))
			}
			want := map[string]sqstest.Attribute{}
			for n, v := range tt.wantLineage {
				want[n] = sqstest.Attribute{DataType: "String", StringValue: v}
				if n == sqsq.AttrRequeues {
					want[n] = sqstest.Attribute{DataType: "Number", StringValue: v}
				}
			}
			for _, n := range tt.wantKept {
				want[n] = tt.attrs[n]
			}
			checkAttributes(t, cp.Attributes, want)

			lines := logLines(t, &logs)
			if len(tt.wantDropped) == 0 {
				if len(lines) != 0 {
					t.Errorf("logged %v, want nothing", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want one: %v", len(lines), lines)
			}
			line := lines[0]
			if line["level"] != "WARN" || line["messageId"] != rec.MessageId || line["originalMessageId"] != "orig" {
				t.Errorf("log line %v, want WARN naming message %s and original orig", line, rec.MessageId)
			}
			if got := fmt.Sprint(line["droppedAttributes"]); got != fmt.Sprint(tt.wantDropped) {
				t.Errorf("droppedAttributes = %s, want %v", got, tt.wantDropped)
			}
			for n, a := range tt.attrs {
				if strings.HasPrefix(a.StringValue, "value-of-") && strings.Contains(logs.String(), a.StringValue) {
					t.Errorf("the log holds the value of %s", n)
				}
			}
		})
	}
}

// logLines decodes the JSON lines written to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestNoSecretsInErrors provokes every kind of failure and checks that no
// error text holds a receipt handle or a body, even where SQS echoes one.
func TestNoSecretsInErrors(t *testing.T) {
	f := newFixture(t)
	recs := f.receive(t, bodies(6)...)
	forged := events.SQSMessage{MessageId: "m", ReceiptHandle: "AQEBforged-receipt-handle-0123456789", Body: `{"accounts":["dave"]}`, EventSourceARN: f.arn}
	malformed := events.SQSMessage{MessageId: "m2", ReceiptHandle: "AQEBother-handle-9876543210", Body: `{"accounts":["erin"]}`, EventSourceARN: "arn:bad"}
	f.srv.FailEntries("InternalError", func(e sqstest.Entry) bool { return e.Body == recs[0].Body })
	f.srv.SetFailure("SendMessageBatch", "")
	huge := recs[1]
	huge.Body = `{"accounts":["frank"],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	f.q.DeadLetterURL = f.srv.URL() + "/" + sqstest.AccountID + "/gone"
	orders := []order{
		{Record: recs[0], Action: eraser.Requeue},                            // entry failure
		{Record: huge, Action: eraser.Requeue, Lineage: lineageOf(huge)},     // too large
		{Record: forged, Action: eraser.Delay, Delay: time.Second},           // SQS quotes the handle
		{Record: malformed, Action: eraser.Delay},                            // malformed ARN
		{Record: recs[2], Action: eraser.DeadLetter, Class: erasure.Invalid}, // no such queue
		{Record: recs[3], Action: eraser.Delay, Delay: 2 * time.Second},      // fine
		{Record: recs[4], Action: eraser.DeadLetter, Class: erasure.Content}, // no such queue
	}
	errs := handOff(t, f.q, orders)
	secrets := []string{forged.ReceiptHandle, forged.Body, malformed.ReceiptHandle, malformed.Body, huge.Body}
	for _, r := range recs {
		secrets = append(secrets, r.ReceiptHandle, r.Body)
	}
	failures := 0
	for i, err := range errs {
		if err == nil {
			continue
		}
		failures++
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("order %d: error %q contains %q", i, err, s)
			}
		}
	}
	if failures != 6 {
		t.Errorf("%d orders failed, want 6: %v", failures, errs)
	}
	if e := asError(t, errs[2]); e.Code != "ReceiptHandleIsInvalid" || !strings.Contains(e.Error(), "[redacted]") {
		t.Errorf("forged handle: %v", e)
	}

	// A whole call whose error quotes a body is redacted too.
	echo := &echoAPI{}
	q := &sqsq.Queue{API: echo, DeadLetterURL: f.dlqURL}
	errs = handOff(t, q, []order{{Record: recs[5], Action: eraser.DeadLetter}})
	if errs[0] == nil || strings.Contains(errs[0].Error(), recs[5].Body) || strings.Contains(errs[0].Error(), recs[5].ReceiptHandle) {
		t.Errorf("echoed error = %v", errs[0])
	}
}

// echoAPI fails every call with an error quoting what it was sent.
type echoAPI struct{ sqsq.API }

func (echoAPI) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return nil, errors.New("cannot send " + *in.Entries[0].MessageBody)
}

func TestOneErrorPerOrder(t *testing.T) {
	f := newFixture(t)
	recs := f.receive(t, bodies(3)...)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		q      *sqsq.Queue
		ctx    context.Context
		orders []order
		want   error // of every order
	}{
		{"no orders", f.q, context.Background(), nil, nil},
		{"no client", &sqsq.Queue{}, context.Background(), delays(recs, time.Second), sqsq.ErrNotConfigured},
		{"no dead-letter queue", &sqsq.Queue{API: f.q.API}, context.Background(),
			[]order{{Record: recs[0], Action: eraser.DeadLetter}}, sqsq.ErrNoDeadLetterQueue},
		{"unknown action", f.q, context.Background(), []order{{Record: recs[0]}, {Record: recs[1], Action: 99}}, sqsq.ErrUnknownAction},
		{"cancelled", f.q, cancelled, append(delays(recs, time.Second), requeues(recs)...), context.Canceled},
		{"panicking client", &sqsq.Queue{API: panicAPI{}, DeadLetterURL: f.dlqURL}, context.Background(),
			append(delays(recs, time.Second), order{Record: recs[0], Action: eraser.DeadLetter}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := runHandOff(tt.ctx, tt.q, tt.orders)
			if len(errs) != len(tt.orders) {
				t.Fatalf("HandOff answered %d of %d orders", len(errs), len(tt.orders))
			}
			for i, err := range errs {
				asError(t, err)
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("order %d: err = %v, want %v", i, err, tt.want)
				}
			}
		})
	}
}

// panicAPI panics in every call.
type panicAPI struct{ sqsq.API }

func (panicAPI) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	panic("GetQueueUrl")
}

func (panicAPI) SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	panic("SendMessageBatch")
}

// TestUnansweredEntryFails checks that an entry SQS lists neither as
// successful nor as failed is not taken for done.
func TestUnansweredEntryFails(t *testing.T) {
	f := newFixture(t)
	recs := f.receive(t, bodies(3)...)
	q := &sqsq.Queue{API: forgetfulAPI{f.q.API}, DeadLetterURL: f.dlqURL}
	errs := handOff(t, q, requeues(recs))
	for i, err := range errs {
		if (i == 0) != errors.Is(err, sqsq.ErrNotAnswered) {
			t.Errorf("order %d: %v", i, err)
		}
	}
}

// forgetfulAPI drops the first entry from SendMessageBatch's answer.
type forgetfulAPI struct{ sqsq.API }

func (a forgetfulAPI) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out, err := a.API.SendMessageBatch(ctx, in, opts...)
	if err == nil && len(out.Successful) > 0 {
		out.Successful = out.Successful[1:]
	}
	return out, err
}

func TestManyOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 orders")
	}
	f := newFixture(t)
	const n = 10000
	orders := make([]order, n)
	for i := range orders {
		rec := events.SQSMessage{MessageId: "m" + strconv.Itoa(i), Body: `{"accounts":["u` + strconv.Itoa(i) + `"]}`, EventSourceARN: f.arn}
		orders[i] = order{Record: rec, Action: eraser.Requeue, Lineage: lineageOf(rec)}
	}
	begin := time.Now()
	for i, err := range handOff(t, f.q, orders) {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	t.Logf("%d orders in %v", n, time.Since(begin))
	if got := f.srv.Calls("SendMessageBatch"); got != n/10 {
		t.Errorf("SendMessageBatch calls = %d, want %d", got, n/10)
	}
	if got := len(f.srv.Messages(f.url)); got != n {
		t.Errorf("source queue holds %d, want %d", got, n)
	}
}
