package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// fakeClock is the queue's clock in tests: visibility without waiting.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock                   { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }
func testQueue(c *fakeClock, maxReceive int) *memQueue {
	q := newMemQueue(30*time.Second, maxReceive, c.now)
	q.lineageKey = testLineageKey
	return q
}

var testLineageKey = sqsq.LineageKey([]byte("bench audit key"))

// lineageOf reads rec's lineage as the function does with testLineageKey.
func lineageOf(rec events.SQSMessage) eraser.Lineage {
	l, _ := sqsq.LineageOf(rec, testLineageKey)
	return l
}

// take is one fill of at most n messages, without a byte cap.
func take(q *memQueue, n int) *eventBatch {
	b := newEventBatch()
	q.fill(b, n, MaxEventBytes)
	return b
}

func TestMemQueueVisibility(t *testing.T) {
	c := newClock()
	q := testQueue(c, 0)
	for _, body := range []string{"a", "b", "c"} {
		q.send(body, nil, true)
	}
	b := take(q, 2)
	if len(b.recs) != 2 || !b.full || b.recs[0].Body != "a" || b.recs[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first batch: %d records, full %v, %+v", len(b.recs), b.full, b.recs)
	}
	q.deleteBatch([]string{b.recs[0].ReceiptHandle, "stale"})
	if err := q.changeVisibility(b.recs[1].ReceiptHandle, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if b := take(q, 10); len(b.recs) != 1 || b.recs[0].Body != "c" || b.full {
		t.Fatalf("second batch: want only c, not full; got %+v", b)
	}
	c.advance(10 * time.Second)
	b = take(q, 10)
	if len(b.recs) != 1 || b.recs[0].Body != "b" || b.recs[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after its delay, b comes back received twice; got %+v", b.recs)
	}
	c.advance(30 * time.Second) // the queue's visibility timeout: c, never deleted, comes back
	if b := take(q, 10); len(b.recs) != 2 {
		t.Fatalf("after the visibility timeout: %d records, want b and c", len(b.recs))
	}
	if _, left, _, _, emptied := q.snapshot(); left != 2 || !emptied.IsZero() {
		t.Fatalf("left %d, emptied %v", left, emptied)
	}
}

// TestMemQueueDeleteAfterVisibility checks SQS's rule: the latest receipt
// handle deletes a message even once it is visible again, until it is
// received again.
func TestMemQueueDeleteAfterVisibility(t *testing.T) {
	c := newClock()
	q := testQueue(c, 0)
	q.send("a", nil, true)
	q.send("b", nil, true)
	first := take(q, 2).recs
	c.advance(30 * time.Second) // both visible again
	q.deleteBatch([]string{first[0].ReceiptHandle})
	again := take(q, 2).recs
	if len(again) != 1 || again[0].Body != "b" {
		t.Fatalf("want only b back; got %+v", again)
	}
	q.deleteBatch([]string{first[1].ReceiptHandle}) // stale: b was received again
	if _, left, _, _, _ := q.snapshot(); left != 1 {
		t.Fatalf("left %d, want b still queued", left)
	}
	if err := q.changeVisibility(first[1].ReceiptHandle, time.Minute); err == nil {
		t.Fatal("a stale receipt handle must not change the visibility")
	}
}

func TestMemQueueHandOff(t *testing.T) {
	c := newClock()
	q := testQueue(c, 0)
	for _, body := range []string{"requeue", "dead", "delay"} {
		q.send(body, nil, true)
	}
	recs := take(q, 3).recs
	lineage := lineageOf(recs[0])
	lineage.Requeues++
	errs := q.HandOff(context.Background(), recs, []eraser.Order{
		{Message: 0, Action: eraser.Requeue, Lineage: lineage},
		{Message: 1, Action: eraser.DeadLetter, Lineage: lineageOf(recs[1]), Class: "invalid", Reason: "bad"},
		{Message: 2, Action: eraser.Delay, Delay: time.Minute},
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	// The function acknowledged the requeued and dead-lettered originals.
	q.deleteBatch([]string{recs[0].ReceiptHandle, recs[1].ReceiptHandle})

	b := take(q, 10)
	if len(b.recs) != 1 || b.recs[0].Body != "requeue" || b.timed {
		t.Fatalf("want only the requeued copy, untimed; got %+v", b)
	}
	q.deleteBatch([]string{b.recs[0].ReceiptHandle})
	l := lineageOf(b.recs[0])
	if l.OriginalMessageID != recs[0].MessageId || l.Requeues != 1 || l.FirstReceived.IsZero() || b.recs[0].MessageId == recs[0].MessageId {
		t.Fatalf("copy's lineage %+v, id %s", l, b.recs[0].MessageId)
	}
	s, _, dlq, _, _ := q.snapshot()
	if dlq != 1 || s.Requeued != 1 || s.DeadLettered != 1 || s.Delayed != 1 {
		t.Fatalf("stats %+v, dlq %d", s, dlq)
	}
	c.advance(time.Minute)
	if b := take(q, 10); len(b.recs) != 1 || b.recs[0].Body != "delay" {
		t.Fatalf("the delayed message comes back after its delay; got %+v", b.recs)
	}
}

// TestMemQueueClock checks that the clock runs from the backlog's first
// receive to the end of the last batch holding first receives of it.
func TestMemQueueClock(t *testing.T) {
	c := newClock()
	q := testQueue(c, 0)
	q.send("primer", nil, false)
	q.send("a", nil, true)
	q.send("b", nil, true)
	q.send("trailer", nil, false)
	primer := take(q, 1)
	c.advance(time.Second)
	first := take(q, 1)
	c.advance(time.Second)
	q.finish(primer)
	second := take(q, 2) // b and the trailer
	c.advance(time.Second)
	q.finish(second)
	if _, _, _, _, end := q.snapshot(); !end.IsZero() {
		t.Fatal("the clock stopped while a batch of the backlog was still running")
	}
	c.advance(time.Second)
	q.finish(first)
	_, _, _, start, end := q.snapshot()
	if got := end.Sub(start); got != 3*time.Second || !first.timed || !second.timed || primer.timed {
		t.Fatalf("clock ran %v, want 3s; timed batches %v %v %v", got, primer.timed, first.timed, second.timed)
	}
}

func TestMemQueueRedrive(t *testing.T) {
	c := newClock()
	q := testQueue(c, 2)
	q.send("x", nil, true)
	for range 2 {
		if b := take(q, 1); len(b.recs) != 1 {
			t.Fatal("message not received")
		}
		c.advance(30 * time.Second)
	}
	b := newEventBatch()
	if _, _, empty := q.fill(b, 1, MaxEventBytes); !empty || len(b.recs) != 0 {
		t.Fatalf("third receive: want the message in the DLQ and the queue empty; got %d records", len(b.recs))
	}
	if s, _, dlq, _, _ := q.snapshot(); s.Redriven != 1 || dlq != 1 {
		t.Fatalf("redriven %d, dlq %d", s.Redriven, dlq)
	}
}

// TestMemQueueEventBytes checks the batch's byte count against the JSON of
// the event Lambda would send, and that the cap holds.
func TestMemQueueEventBytes(t *testing.T) {
	q := testQueue(newClock(), 0)
	for m := range 50 {
		q.send(DrainHundred.body(m), nil, true)
	}
	limit := 20_000
	b := newEventBatch()
	q.fill(b, 100, limit)
	js, err := json.Marshal(events.SQSEvent{Records: b.recs})
	if err != nil {
		t.Fatal(err)
	}
	if b.bytes != len(js) || b.bytes > limit || !b.full || len(b.recs) == 0 {
		t.Fatalf("counted %d bytes, event is %d, limit %d, full %v, %d records", b.bytes, len(js), limit, b.full, len(b.recs))
	}
	if next := firstRecordBytes(DrainHundred.body(len(b.recs))); b.bytes+1+next <= limit {
		t.Fatalf("the next record (%d bytes) would have fitted", next)
	}
}

// TestBacklogWholeRounds checks that the backlog is whole rounds of full
// batches, one per instance, cut as the queue cuts them, under BatchSize
// and under the 6 MB cap.
func TestBacklogWholeRounds(t *testing.T) {
	p := DrainParams{BatchSize: 100, MaxConcurrency: 2}
	for _, tc := range []struct {
		shape DrainShape
		min   int
	}{{DrainSingle, 1_050}, {DrainLargest, 0}} {
		bodies, perBatch := backlog(tc.shape, p, tc.min)
		q := testQueue(newClock(), 0)
		for _, body := range bodies {
			q.send(body, nil, true)
		}
		q.send(tc.shape.untimed("t").body(0), nil, false) // closes the last batch, as the trailer does
		batches := 0
		for {
			b := newEventBatch()
			q.fill(b, p.BatchSize, MaxEventBytes)
			if !b.timed {
				break
			}
			if !b.full || len(b.recs) < perBatch-1 {
				t.Fatalf("%s: batch %d holds %d records, full %v; a full one %d", tc.shape.Name, batches, len(b.recs), b.full, perBatch)
			}
			batches++
		}
		if batches%p.MaxConcurrency != 0 || len(bodies)*tc.shape.AccountsPerMessage < tc.min {
			t.Fatalf("%s: %d messages in %d batches", tc.shape.Name, len(bodies), batches)
		}
		if tc.shape.OneRound && (batches != p.MaxConcurrency || perBatch >= p.BatchSize) {
			t.Fatalf("%s: %d batches of %d messages; want one per instance, capped by 6 MB", tc.shape.Name, batches, perBatch)
		}
	}
}

func TestReceiveWaitsForTheWindow(t *testing.T) {
	q := newMemQueue(30*time.Second, 0, time.Now)
	q.send("one", nil, true)
	start := time.Now()
	b, ok := q.receive(context.Background(), 10, 100*time.Millisecond)
	if !ok || len(b.recs) != 1 || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("want one record after the window; got %v after %v", ok, time.Since(start))
	}
	q.deleteBatch([]string{b.recs[0].ReceiptHandle})
	if _, ok := q.receive(context.Background(), 10, time.Second); ok {
		t.Fatal("an empty queue must end the poller")
	}
}

const testTemplate = `
Parameters:
  MaxConcurrency: {Type: Number, Default: 2}
  BatchSize: {Type: Number, Default: 500}
Mappings:
  Rate:
    "2": {PerSecond: "50"}
    "4": {PerSecond: "25"}
  Retry:
    Default: {Base: "10", Max: "600", Receives: "30"}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 120
      MemorySize: 512
      Environment:
        Variables:
          RATE_LIMIT_PER_SECOND: !FindInMap [Rate, !Ref MaxConcurrency, PerSecond]
          RETRY_BASE_SECONDS: !FindInMap [Retry, Default, Base]
          RETRY_MAX_SECONDS: !FindInMap [Retry, Default, Max]
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Q.Arn
      FunctionName: !Ref Fn
      BatchSize: !Ref BatchSize
      MaximumBatchingWindowInSeconds: 2
      ScalingConfig: {MaximumConcurrency: !Ref MaxConcurrency}
  Q:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 725
      RedrivePolicy: {maxReceiveCount: !FindInMap [Retry, Default, Receives]}
`

func TestReadDrainParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(testTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadDrainParams(path, DrainOverrides{MaxConcurrency: 4, Window: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := DrainParams{BatchSize: 500, Window: 2 * time.Second, Timeout: 120 * time.Second, MemorySize: 512, MaxConcurrency: 4,
		RatePerInstance: 25, Visibility: 725 * time.Second, MaxReceiveCount: 30,
		Backoff: erasure.Schedule{Base: 10 * time.Second, Max: 600 * time.Second}}
	if p.Notes != nil || p.BatchSize != want.BatchSize || p.Window != want.Window || p.Timeout != want.Timeout ||
		p.MemorySize != want.MemorySize || p.MaxConcurrency != want.MaxConcurrency || p.RatePerInstance != want.RatePerInstance || p.Visibility != want.Visibility ||
		p.MaxReceiveCount != want.MaxReceiveCount || p.Backoff != want.Backoff {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	// MaxConcurrency 5 is not in the mapping: the template's rule.
	if p, err = ReadDrainParams(path, DrainOverrides{MaxConcurrency: 5, Window: -1}); err != nil || p.RatePerInstance != 20 || len(p.Notes) != 1 {
		t.Fatalf("MaxConcurrency 5: rate %d, notes %q, %v", p.RatePerInstance, p.Notes, err)
	}
	if _, err = ReadDrainParams(path, DrainOverrides{Window: 0}); err == nil {
		t.Fatal("BatchSize 500 without a batching window must be refused")
	}
}

// TestReadDrainParamsTemplate reads the repository's template: row 7 of
// `make bench` depends on it.
func TestReadDrainParamsTemplate(t *testing.T) {
	if _, err := ReadDrainParams("../../../template.yaml", DrainOverrides{Window: -1}); err != nil {
		t.Fatal(err)
	}
}
