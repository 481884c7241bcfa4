package sqsq

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// lookupTimeout bounds one shared GetQueueUrl call (SDK retries included).
// The call is detached from the caller's context so that one caller giving
// up does not fail the others sharing it; this keeps it from running on.
const lookupTimeout = 10 * time.Second

// queueARN is the part of an SQS queue ARN that GetQueueUrl needs.
type queueARN struct {
	account, name string
}

// parseQueueARN reads arn:PARTITION:sqs:REGION:ACCOUNT:NAME.
func parseQueueARN(arn string) (queueARN, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sqs" ||
		parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return queueARN{}, false
	}
	return queueARN{account: parts[4], name: parts[5]}, true
}

// sourceURL returns the URL of the queue arn names. A URL never changes
// for the life of a queue, so it is asked for once per ARN: concurrent
// callers share one call, and only a success is kept.
func (q *Queue) sourceURL(ctx context.Context, arn string) (string, error) {
	if url, ok := q.cachedURL(arn); ok {
		return url, nil
	}
	parsed, ok := parseQueueARN(arn)
	if !ok {
		return "", &Error{Op: OpGetQueueURL, QueueARN: arn, Err: ErrMalformedARN}
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Op: OpGetQueueURL, QueueARN: arn, Err: err}
	}
	ch := q.lookups.DoChan(arn, func() (url any, err error) {
		// A panic in DoChan's function would end the process, not just
		// this hand-off.
		defer func() {
			if v := recover(); v != nil {
				url, err = "", &Error{Op: OpGetQueueURL, QueueARN: arn, Err: erasure.Panicked("looking up a queue URL", v)}
			}
		}()
		if url, ok := q.cachedURL(arn); ok {
			return url, nil // a flight ended between our miss and DoChan
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
		defer cancel()
		out, err := q.API.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{
			QueueName:              aws.String(parsed.name),
			QueueOwnerAWSAccountId: aws.String(parsed.account),
		})
		if err != nil {
			return "", &Error{Op: OpGetQueueURL, QueueARN: arn, Code: awsbatch.ErrorCode(err), Err: err}
		}
		found := aws.ToString(out.QueueUrl)
		if found == "" {
			return "", &Error{Op: OpGetQueueURL, QueueARN: arn, Err: ErrNotAnswered}
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.urls == nil {
			q.urls = make(map[string]string)
		}
		q.urls[arn] = found
		return found, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", &Error{Op: OpGetQueueURL, QueueARN: arn, Err: ctx.Err()}
	}
}

func (q *Queue) cachedURL(arn string) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	url, ok := q.urls[arn]
	return url, ok
}
