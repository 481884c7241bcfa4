package sqsq

import (
	"context"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// deleteAPI is the call Delete needs beside API; *sqs.Client has it.
type deleteAPI interface {
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// deleteInFlight is how many DeleteMessageBatch calls run at once: a
// batch of 1000 is 100 calls.
const deleteInFlight = 8

// Delete deletes records from their source queues, as the event source
// mapping would have for the messages a partial batch response leaves
// out. It returns how many SQS deleted; the rest come back.
func (q *Queue) Delete(ctx context.Context, records []events.SQSMessage) (deleted int, err error) {
	api, ok := q.API.(deleteAPI)
	if !ok {
		return 0, &Error{Op: OpDeleteMessageBatch, Err: ErrNotConfigured}
	}
	type call struct {
		url     string
		entries []types.DeleteMessageBatchRequestEntry
	}
	var calls []call
	byQueue := map[string][]events.SQSMessage{}
	var arns []string
	for _, r := range records {
		if _, seen := byQueue[r.EventSourceARN]; !seen {
			arns = append(arns, r.EventSourceARN)
		}
		byQueue[r.EventSourceARN] = append(byQueue[r.EventSourceARN], r)
	}
	for _, arn := range arns {
		url, uerr := q.sourceURL(ctx, arn)
		if uerr != nil {
			err = uerr
			continue
		}
		recs := byQueue[arn]
		for start := 0; start < len(recs); start += 10 {
			c := call{url: url}
			for i, r := range recs[start:min(start+10, len(recs))] {
				c.entries = append(c.entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)})
			}
			calls = append(calls, c)
		}
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, deleteInFlight)
	)
	for _, c := range calls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out, cerr := api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.url), Entries: c.entries})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case cerr != nil:
				// Never the receipt handles: they let their holder delete.
				handles := make([]string, len(c.entries))
				for i, e := range c.entries {
					handles[i] = aws.ToString(e.ReceiptHandle)
				}
				err = &Error{Op: OpDeleteMessageBatch, QueueURL: c.url, Code: awsbatch.ErrorCode(cerr), Err: redact(cerr, handles)}
			case len(out.Failed) > 0:
				deleted += len(out.Successful)
				err = &Error{Op: OpDeleteMessageBatch, QueueURL: c.url, Code: aws.ToString(out.Failed[0].Code), Err: ErrNotDeleted}
			default:
				deleted += len(out.Successful)
			}
		})
	}
	wg.Wait()
	return deleted, err
}
