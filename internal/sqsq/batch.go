package sqsq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

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
	var cur []item
	size := 0
	for _, it := range g.items {
		if len(cur) == maxEntries || (len(cur) > 0 && size+it.size > maxPayload) {
			out = append(out, batch{groupKey: g.groupKey, items: cur})
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += it.size
	}
	if len(cur) > 0 {
		out = append(out, batch{groupKey: g.groupKey, items: cur})
	}
	return out
}

// run makes the calls, maxInFlight at a time, and records each order's
// outcome in errs; each call writes only the errors of its own orders.
func (q *Queue) run(ctx context.Context, batches []batch, errs []error) {
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for _, b := range batches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			q.call(ctx, b, errs)
		})
	}
	wg.Wait()
}

// call makes one batch call. A panic fails the call's orders: SQS may not
// have taken them, and a panic in a goroutine would end the process.
func (q *Queue) call(ctx context.Context, b batch, errs []error) {
	defer func() {
		if v := recover(); v != nil {
			b.failAll(panicError(v), errs)
		}
	}()
	if b.action == eraser.Delay {
		q.changeVisibility(ctx, b, errs)
	} else {
		q.send(ctx, b, errs)
	}
}

// entryID names the i-th entry of a call; ids are unique within a call.
func entryID(i int) *string { return aws.String(strconv.Itoa(i)) }

// failAll fails every order of the call with err, the call's own failure.
func (b batch) failAll(err error, errs []error) {
	e := &Error{Op: b.op(), QueueURL: b.queueURL, Code: errorCode(err), Err: redact(err, b.secrets())}
	for _, it := range b.items {
		errs[it.order] = e
	}
}

// settle records the outcome of each entry of an answered call. An entry
// SQS listed as failed, or did not list at all, fails its order.
func (b batch) settle(successful []string, failed []types.BatchResultErrorEntry, errs []error) {
	taken := make(map[string]bool, len(successful))
	for _, id := range successful {
		taken[id] = true
	}
	rejected := make(map[string]types.BatchResultErrorEntry, len(failed))
	for _, f := range failed {
		rejected[aws.ToString(f.Id)] = f
	}
	for i, it := range b.items {
		id := aws.ToString(entryID(i))
		if f, ok := rejected[id]; ok {
			msg := redactText(aws.ToString(f.Message), it.secrets)
			if msg == "" {
				msg = "entry failed"
			}
			errs[it.order] = &Error{Op: b.op(), QueueURL: b.queueURL, Code: aws.ToString(f.Code), SenderFault: f.SenderFault, Err: errors.New(msg)}
			continue
		}
		if !taken[id] {
			errs[it.order] = &Error{Op: b.op(), QueueURL: b.queueURL, Err: ErrNotAnswered}
			continue
		}
		errs[it.order] = nil
	}
}

func (b batch) secrets() []string {
	var s []string
	for _, it := range b.items {
		s = append(s, it.secrets...)
	}
	return s
}

// errorCode is the AWS error code of err, "" when it has none.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func panicError(v any) error {
	return fmt.Errorf("panic: %v", v)
}
