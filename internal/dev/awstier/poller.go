package awstier

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// Invoker runs one invocation at a time (a localrun.Stack).
type Invoker interface {
	InvokeRaw(ctx context.Context, event []byte) (localrun.Response, error)
}

// Poller does what Lambda's SQS event source mapping does
// (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), with one
// worker per instance up to MaximumConcurrency:
//
//   - it gathers a batch of up to BatchSize messages, calling ReceiveMessage
//     (at most 10 a call, all system and message attributes) until the
//     batch is full, the batching window that began with its first message
//     has passed, or the next message would take the event past Lambda's
//     6 MB payload limit (that message opens the next batch);
//   - it invokes the function synchronously with the records Lambda builds
//     (Record), on the worker's own instance;
//   - it deletes what Judge says Lambda deletes, and nothing else: failed
//     messages come back when their visibility timeout (the queue's, or the
//     one the function set) ends.
//
// Where it differs from Lambda: it runs exactly MaximumConcurrency workers
// from the start, where Lambda scales its pollers up with the backlog and
// down after function errors; an idle worker long-polls for 1 s, not 20 s,
// so that Stop is quick; and a batching window under a second (a scaled
// one) is honoured to the millisecond, by short polls once less than a
// second is left.
type Poller struct {
	SQS                *sqs.Client
	QueueURL, QueueARN string
	BatchSize          int
	Window             time.Duration
	// Instances are the function's concurrent instances, one per worker.
	Instances []Invoker
	// Timeout bounds an invocation's HTTP exchange (the function timeout
	// plus the emulator's slack).
	Timeout time.Duration
	// Logf receives errors the poller rides out (a failed receive).
	Logf func(format string, args ...any)

	mu          sync.Mutex
	invocations []Invocation
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

// Invocation is one invocation as the poller saw it.
type Invocation struct {
	Instance   int
	Start, End time.Time
	Records    []events.SQSMessage
	// Received is when each record's ReceiveMessage returned.
	Received []time.Time
	Response localrun.Response
	Verdict  Verdict
	// Deleted are the messages deleted after it; DeleteErrors the
	// deletions SQS refused (such a message comes back).
	Deleted      []string
	DeleteErrors []string
}

// Start starts the workers; Stop ends them.
func (p *Poller) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for i := range p.Instances {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(ctx, i)
		}()
	}
}

// Stop stops gathering and waits for the invocations in flight to finish
// and be acknowledged. A batch being gathered is dropped: its messages
// come back after their visibility timeout, as when Lambda disables a
// mapping.
func (p *Poller) Stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
}

// Invocations returns every invocation so far, in the order they ended.
func (p *Poller) Invocations() []Invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.invocations)
}

// received is a message and when it arrived.
type received struct {
	rec  events.SQSMessage
	at   time.Time
	size int
}

func (p *Poller) work(ctx context.Context, instance int) {
	var carry []received
	for ctx.Err() == nil {
		var batch []received
		batch, carry = p.gather(ctx, carry)
		if len(batch) == 0 || ctx.Err() != nil {
			continue
		}
		p.invoke(instance, batch)
	}
}

// gather collects one batch, starting with the messages carried over from
// the last one.
func (p *Poller) gather(ctx context.Context, carry []received) (batch, next []received) {
	const eventOverhead = len(`{"Records":[]}`)
	batch, size := carry, eventOverhead
	var windowEnd time.Time
	for _, r := range batch {
		size += r.size + 1
	}
	if len(batch) > 0 {
		windowEnd = time.Now().Add(p.Window)
	}
	for len(batch) < p.BatchSize && ctx.Err() == nil {
		wait := time.Second // idle: long poll
		if !windowEnd.IsZero() {
			wait = time.Until(windowEnd)
			if wait <= 0 || p.Window == 0 {
				break
			}
		}
		msgs, at, err := p.receive(ctx, min(10, p.BatchSize-len(batch)), wait)
		if err != nil {
			if ctx.Err() == nil {
				p.logf("poller: receive: %v", err)
				pause(ctx, 100*time.Millisecond)
			}
			continue
		}
		if len(msgs) == 0 && wait < time.Second {
			// A short poll found nothing: look again in a moment, until
			// the window ends.
			pause(ctx, min(wait, 20*time.Millisecond))
			continue
		}
		for _, m := range msgs {
			r := received{rec: Record(m, p.QueueARN, Region), at: at}
			b, _ := json.Marshal(r.rec)
			r.size = len(b)
			if len(batch) > 0 && size+r.size+1 > MaxPayload || len(next) > 0 {
				next = append(next, r)
				continue
			}
			batch, size = append(batch, r), size+r.size+1
		}
		if len(batch) > 0 && windowEnd.IsZero() {
			windowEnd = at.Add(p.Window)
		}
		if len(next) > 0 {
			break
		}
	}
	return batch, next
}

// receive makes one ReceiveMessage call: a long poll of the whole seconds
// in wait, or a short poll when that is under a second.
func (p *Poller) receive(ctx context.Context, n int, wait time.Duration) ([]sqstypes.Message, time.Time, error) {
	out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(p.QueueURL),
		MaxNumberOfMessages: int32(n),
		WaitTimeSeconds:     int32(wait / time.Second),
		// The successor of AttributeNames: All (Lambda asks for every
		// system attribute and every message attribute).
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return out.Messages, time.Now(), nil
}

// invoke runs one batch on the worker's instance and acknowledges it.
func (p *Poller) invoke(instance int, batch []received) {
	inv := Invocation{Instance: instance}
	for _, r := range batch {
		inv.Records = append(inv.Records, r.rec)
		inv.Received = append(inv.Received, r.at)
	}
	event, err := json.Marshal(events.SQSEvent{Records: inv.Records})
	if err != nil {
		panic(err) // strings and maps of strings only
	}
	// Not the poller's context: an invocation started is finished and
	// acknowledged even while the poller stops, as Lambda does.
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	defer cancel()
	inv.Start = time.Now()
	res, err := p.Instances[instance].InvokeRaw(ctx, event)
	inv.End = time.Now()
	inv.Response = res
	inv.Verdict = Judge(res, err, inv.Records)

	failed := map[string]bool{}
	for _, id := range inv.Verdict.Failed {
		failed[id] = true
	}
	var done []events.SQSMessage
	for _, r := range inv.Records {
		if !failed[r.MessageId] {
			done = append(done, r)
		}
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dcancel()
	inv.Deleted, inv.DeleteErrors = p.delete(dctx, done)

	p.mu.Lock()
	p.invocations = append(p.invocations, inv)
	p.mu.Unlock()
}

// delete removes records with DeleteMessageBatch, 10 at a time.
func (p *Poller) delete(ctx context.Context, records []events.SQSMessage) (deleted, refused []string) {
	for chunk := range slices.Chunk(records, 10) {
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(chunk))
		for i, r := range chunk {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)}
		}
		out, err := p.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: entries})
		if err != nil {
			for _, r := range chunk {
				refused = append(refused, fmt.Sprintf("%s: %v", r.MessageId, err))
			}
			continue
		}
		for _, ok := range out.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			deleted = append(deleted, chunk[i].MessageId)
		}
		for _, bad := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(bad.Id))
			refused = append(refused, fmt.Sprintf("%s: %s", chunk[i].MessageId, aws.ToString(bad.Message)))
		}
	}
	return deleted, refused
}

func (p *Poller) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
