package sqsq

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

const (
	// maxEntries is the most entries SQS takes in one batch call.
	maxEntries = 10
	// maxInFlight bounds the concurrent batch calls of one HandOff: enough
	// to hand off thousands of orders in a few round trips each, few
	// enough not to be throttled.
	maxInFlight = 8
)

// item is one order's entry in a batch call.
type item struct {
	order int // index of the order, and of its error
	size  int // payload bytes of a copy (SendMessageBatch)
	// secrets never appear in an error: the record's receipt handle and
	// body.
	secrets    []string
	copy       types.SendMessageBatchRequestEntry
	visibility types.ChangeMessageVisibilityBatchRequestEntry
	// dropped names the record's attributes the copy leaves out.
	dropped []string
}

// groupKey is what the entries of one batch call share.
type groupKey struct {
	action   eraser.Action
	queueURL string
}

// op is the SQS operation that carries out the action.
func (k groupKey) op() string {
	if k.action == eraser.Delay {
		return OpChangeMessageVisibilityBatch
	}
	return OpSendMessageBatch
}

// group is the items of one key, in order.
type group struct {
	groupKey
	items []item
}

// batch is the items of one call, at most maxEntries and maxPayload.
type batch struct {
	groupKey
	items []item
}

// split cuts the group into calls, keeping the order of its items.
func (g *group) split() []batch {
	var out []batch
	for _, items := range awsbatch.Split(g.items, awsbatch.Limits{Entries: maxEntries, Bytes: maxPayload}, itemSize) {
		out = append(out, batch{groupKey: g.groupKey, items: items})
	}
	return out
}

func itemSize(it item) int { return it.size }

// run makes the calls, maxInFlight at a time, and records each order's
// outcome in errs; each call writes only the errors of its own orders.
func (q *Queue) run(ctx context.Context, batches []batch, errs []error) {
	failures := awsbatch.Run(batches, maxInFlight, func(b batch) error { return q.call(ctx, b, errs) })
	for i, err := range failures {
		if err != nil {
			batches[i].failAll(err, errs)
		}
	}
}

// call makes one batch call and settles its entries. Its error, the
// call's own failure or a panic, fails them all: SQS may not have taken
// them.
func (q *Queue) call(ctx context.Context, b batch, errs []error) error {
	var (
		successful []string
		failed     []types.BatchResultErrorEntry
		err        error
	)
	if b.action == eraser.Delay {
		successful, failed, err = q.changeVisibility(ctx, b)
	} else {
		successful, failed, err = q.send(ctx, b)
	}
	if err != nil {
		return err
	}
	b.settle(b.outcomes(successful, failed), errs)
	return nil
}

// entryID names the i-th entry of a call; ids are unique within a call.
func entryID(i int) *string { return aws.String(strconv.Itoa(i)) }

// failAll fails every order of the call with err, the call's own failure.
func (b batch) failAll(err error, errs []error) {
	e := &Error{Op: b.op(), QueueURL: b.queueURL, Code: awsbatch.ErrorCode(err), Err: redact(err, b.secrets())}
	for _, it := range b.items {
		errs[it.order] = e
	}
}

// outcomes reads SQS's answer to the call, which names entries by id,
// into one outcome per item. A failure's message is redacted: SQS may
// echo the entry.
func (b batch) outcomes(successful []string, failed []types.BatchResultErrorEntry) []awsbatch.Outcome {
	index := make(map[string]int, len(b.items))
	for i := range b.items {
		index[aws.ToString(entryID(i))] = i
	}
	out := make([]awsbatch.Outcome, len(b.items))
	for _, id := range successful {
		if i, ok := index[id]; ok {
			out[i].Taken = true
		}
	}
	for _, f := range failed {
		if i, ok := index[aws.ToString(f.Id)]; ok {
			out[i].Failed, out[i].Code, out[i].SenderFault = true, aws.ToString(f.Code), f.SenderFault
			out[i].Message = redactText(aws.ToString(f.Message), b.items[i].secrets)
		}
	}
	return out
}

// settle records the outcome of each entry of an answered call.
func (b batch) settle(outcomes []awsbatch.Outcome, errs []error) {
	for i, it := range b.items {
		o := outcomes[i]
		var err error
		if cause := o.Cause(ErrNotAnswered); cause != nil {
			err = &Error{Op: b.op(), QueueURL: b.queueURL, Code: o.Code, SenderFault: o.SenderFault, Err: cause}
		}
		errs[it.order] = err
	}
}

func (b batch) secrets() []string {
	var s []string
	for _, it := range b.items {
		s = append(s, it.secrets...)
	}
	return s
}
