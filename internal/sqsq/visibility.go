package sqsq

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// maxVisibilitySeconds is SQS's longest visibility timeout.
const maxVisibilitySeconds = int32(erasure.MaxRetryDelay / time.Second)

// visibilityItem builds the ChangeMessageVisibilityBatch entry of a Delay
// order.
func visibilityItem(i int, o eraser.Order, rec events.SQSMessage) item {
	return item{
		order:   i,
		secrets: secretsOf(rec),
		visibility: types.ChangeMessageVisibilityBatchRequestEntry{
			ReceiptHandle:     aws.String(rec.ReceiptHandle),
			VisibilityTimeout: visibilitySeconds(o.Delay),
		},
	}
}

// visibilitySeconds is d in whole seconds, rounded up so a message never
// comes back before its delay, and within what SQS accepts.
func visibilitySeconds(d time.Duration) int32 {
	switch {
	case d <= 0:
		return 0
	case d >= erasure.MaxRetryDelay:
		return maxVisibilitySeconds
	}
	return int32((d + time.Second - 1) / time.Second)
}

// changeVisibility makes one ChangeMessageVisibilityBatch call; call settles its entries
// from the ids SQS took and the entries it failed.
func (q *Queue) changeVisibility(ctx context.Context, b batch) (successful []string, failed []types.BatchResultErrorEntry, err error) {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(b.items))
	for i, it := range b.items {
		entries[i] = it.visibility
		entries[i].Id = entryID(i)
	}
	out, err := q.API.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(b.queueURL), Entries: entries})
	if err != nil {
		return nil, nil, err
	}
	successful = make([]string, len(out.Successful))
	for i, s := range out.Successful {
		successful[i] = aws.ToString(s.Id)
	}
	return successful, out.Failed, nil
}
