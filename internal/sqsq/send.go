package sqsq

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// fifoGroup is the message group of a copy sent to a FIFO queue when the
// record has none (it came from a standard queue).
const fifoGroup = "attr-eraser"

// copyItem builds the SendMessageBatch entry of a Requeue or DeadLetter
// order to queueURL: the record's body unchanged, with the lineage and as
// many of its attributes as SQS allows beside it.
func copyItem(i int, o eraser.Order, rec events.SQSMessage, queueURL string, lineageKey []byte) (item, error) {
	attrs, dropped := copyAttributes(o, rec, lineageKey)
	size := payloadSize(rec.Body, attrs)
	if size > maxPayload {
		return item{}, &Error{Op: OpSendMessageBatch, QueueURL: queueURL,
			Err: fmt.Errorf("%w: the copy is %d bytes, SQS allows %d", ErrTooLarge, size, maxPayload)}
	}
	entry := types.SendMessageBatchRequestEntry{
		MessageBody:       aws.String(rec.Body),
		MessageAttributes: attrs,
	}
	if strings.HasSuffix(queueURL, ".fifo") {
		// A FIFO queue requires a group and, without content-based
		// deduplication, an id; the record's id makes a repeated hand-off
		// of the same receive a duplicate SQS drops.
		entry.MessageGroupId = aws.String(fifoGroup)
		if g := rec.Attributes["MessageGroupId"]; g != "" {
			entry.MessageGroupId = aws.String(g)
		}
		if rec.MessageId != "" {
			entry.MessageDeduplicationId = aws.String(rec.MessageId)
		}
	}
	return item{order: i, size: size, secrets: secretsOf(rec), copy: entry, dropped: dropped}, nil
}

// send makes one SendMessageBatch call; call settles its entries
// from the ids SQS took and the entries it failed.
func (q *Queue) send(ctx context.Context, b batch) (successful []string, failed []types.BatchResultErrorEntry, err error) {
	entries := make([]types.SendMessageBatchRequestEntry, len(b.items))
	for i, it := range b.items {
		entries[i] = it.copy
		entries[i].Id = entryID(i)
	}
	out, err := q.API.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(b.queueURL), Entries: entries})
	if err != nil {
		return nil, nil, err
	}
	successful = make([]string, len(out.Successful))
	for i, s := range out.Successful {
		successful[i] = aws.ToString(s.Id)
	}
	return successful, out.Failed, nil
}

func secretsOf(rec events.SQSMessage) []string {
	return []string{rec.ReceiptHandle, rec.Body}
}
