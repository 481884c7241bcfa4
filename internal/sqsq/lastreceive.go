// The end of the retry schedule. SQS's redrive moves a message to the
// dead-letter queue when a receive would exceed the source queue's
// maxReceiveCount, with nothing to say why. So the adapter tells the core
// which records are on their last receive (eraser.Lineage.LastReceive),
// and the core dead-letters such a message itself, with its last class and
// reason, if it fails again. The limit is the source queue's, read once per
// queue from its RedrivePolicy (sqs:GetQueueAttributes on that queue).
// Where it cannot be read, nothing is marked: SQS's redrive remains the
// safety net, as before.

package sqsq

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// OpGetQueueAttributes names the read of a source queue's RedrivePolicy
// in Error.Op.
const OpGetQueueAttributes = "GetQueueAttributes"

const (
	// redriveReadTimeout bounds the read of a queue's RedrivePolicy (SDK
	// retries included): it comes before processing, whose time it takes.
	redriveReadTimeout = 3 * time.Second
	// redriveRetryAfter is how long a failed read stands before the next
	// invocation tries again: a throttled read at a cold start should not
	// leave the container without the limit for its life, nor should a
	// missing grant cost a call on every batch.
	redriveRetryAfter = 5 * time.Minute
)

// redriveLimits holds the maxReceiveCount of each source queue, by ARN.
type redriveLimits struct {
	mu     sync.Mutex
	byARN  map[string]redriveLimit
	warned map[string]bool // a failed read is logged once per queue
}

type redriveLimit struct {
	// maxReceives is the policy's maxReceiveCount, 0 for a queue without
	// a redrive policy (nothing is ever its last receive).
	maxReceives int
	// retryAt is set when the read failed: until then, no limit is known.
	retryAt time.Time
}

// lastReceiveMarker is implemented by a HandOffer that can tell the source
// queue's redrive limit (*Queue).
type lastReceiveMarker interface {
	MaxReceiveCount(ctx context.Context, queueARN string) (int, bool)
}

// markLastReceives sets LastReceive on the messages of batch whose receive
// count has reached their queue's maxReceiveCount. It needs h.Queue: only
// a queue that can dead-letter can end the schedule itself.
func (h *Handler) markLastReceives(ctx context.Context, records []events.SQSMessage, batch eraser.Batch) {
	marker, ok := h.Queue.(lastReceiveMarker)
	if !ok {
		return
	}
	limits := map[string]int{} // an event comes from one queue: one lookup
	for i, rec := range records {
		limit, seen := limits[rec.EventSourceARN]
		if !seen {
			limit, _ = marker.MaxReceiveCount(ctx, rec.EventSourceARN)
			limits[rec.EventSourceARN] = limit
		}
		// ">=": the count is approximate, and a message past it is on its
		// last receive all the more.
		if limit > 0 && batch.Messages[i].Lineage.ReceiveCount >= limit {
			batch.Messages[i].Lineage.LastReceive = true
		}
	}
}

// MaxReceiveCount returns the maxReceiveCount of the redrive policy of the
// queue queueARN names, and whether it is known. A queue without a policy
// answers 0, true. The answer is read once per queue and kept; a failed
// read is logged once, answers 0, false, and is tried again after a while.
func (q *Queue) MaxReceiveCount(ctx context.Context, queueARN string) (int, bool) {
	l := &q.redrive
	l.mu.Lock()
	cached, ok := l.byARN[queueARN]
	l.mu.Unlock()
	if ok && (cached.retryAt.IsZero() || time.Now().Before(cached.retryAt)) {
		return cached.maxReceives, cached.retryAt.IsZero()
	}
	limit, err := q.readMaxReceiveCount(ctx, queueARN)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byARN == nil {
		l.byARN, l.warned = make(map[string]redriveLimit), make(map[string]bool)
	}
	if err != nil {
		l.byARN[queueARN] = redriveLimit{retryAt: time.Now().Add(redriveRetryAfter)}
		if !l.warned[queueARN] {
			l.warned[queueARN] = true
			q.logger().WarnContext(ctx, "cannot read the source queue's RedrivePolicy: a message failing through the retry schedule is moved to the DLQ by SQS, without its class and reason",
				slog.String("queueArn", queueARN), slog.Any("error", err))
		}
		return 0, false
	}
	l.byARN[queueARN] = redriveLimit{maxReceives: limit}
	return limit, true
}

// readMaxReceiveCount asks SQS for the queue's RedrivePolicy.
func (q *Queue) readMaxReceiveCount(ctx context.Context, queueARN string) (limit int, err error) {
	defer func() {
		if v := recover(); v != nil {
			limit, err = 0, &Error{Op: OpGetQueueAttributes, QueueARN: queueARN, Err: erasure.Panicked("reading a queue's redrive policy", v)}
		}
	}()
	if q.API == nil {
		return 0, &Error{Op: OpGetQueueAttributes, QueueARN: queueARN, Err: ErrNotConfigured}
	}
	ctx, cancel := context.WithTimeout(ctx, redriveReadTimeout)
	defer cancel()
	url, err := q.sourceURL(ctx, queueARN)
	if err != nil {
		return 0, err
	}
	out, err := q.API.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		return 0, &Error{Op: OpGetQueueAttributes, QueueARN: queueARN, Code: awsbatch.ErrorCode(err), Err: err}
	}
	policy, ok := out.Attributes[string(types.QueueAttributeNameRedrivePolicy)]
	if !ok || policy == "" {
		return 0, nil
	}
	limit, err = parseMaxReceiveCount(policy)
	if err != nil {
		return 0, &Error{Op: OpGetQueueAttributes, QueueARN: queueARN, Err: err}
	}
	return limit, nil
}

// parseMaxReceiveCount reads maxReceiveCount from a RedrivePolicy, a JSON
// object whose count SQS gives as a number and some emulators as a string.
func parseMaxReceiveCount(policy string) (int, error) {
	var p struct {
		MaxReceiveCount json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return 0, err
	}
	raw := string(p.MaxReceiveCount)
	if unquoted, err := strconv.Unquote(raw); err == nil {
		raw = unquoted
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("RedrivePolicy maxReceiveCount %s is not a positive integer", p.MaxReceiveCount)
	}
	return n, nil
}
