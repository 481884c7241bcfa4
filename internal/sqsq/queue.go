package sqsq

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/sync/singleflight"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// API is the part of the SQS client a Queue uses; *sqs.Client satisfies it.
type API interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Queue carries out eraser's hand-off orders on SQS. Create one per process
// (it keeps the queue URLs it has looked up) and share it: it is safe for
// concurrent use and must not be copied after first use. Set the exported
// fields before first use.
type Queue struct {
	// API is the SQS client. Required.
	API API
	// DeadLetterURL is the queue dead letters are sent to; when empty,
	// DeadLetter orders fail.
	DeadLetterURL string
	// Logger receives a warning naming the attributes a copy had to leave
	// out (never their values); nil discards it.
	Logger *slog.Logger
	// Lineage signs the lineage of the copies. When it is nil or the audit
	// key cannot be read, copies go unsigned: the next receive then uses
	// the copy's own lineage (resetting its requeue count and age), which
	// is still better than no copy.
	Lineage *Lineage

	lookups singleflight.Group
	mu      sync.Mutex
	urls    map[string]string // queue URL by queue ARN
	redrive redriveLimits     // see lastreceive.go
}

// New returns a Queue on an SQS client built from cfg, so the SDK's default
// chain decides the endpoint (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL) as it
// does the credentials and the region. Its calls come at the end of an
// invocation, within a share of its time: the client retries briefly and
// never past the caller's deadline (awsbatch.Retryer).
func New(cfg aws.Config, deadLetterURL string) *Queue {
	return &Queue{API: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.Retryer = awsbatch.Retryer() }), DeadLetterURL: deadLetterURL}
}

// HandOff carries out orders about records and returns one error per
// order, in order: nil when SQS took it, else an *Error. An order fails
// alone whenever it can: a malformed ARN, an unknown queue, a copy SQS
// would refuse or an entry SQS rejected fails only its own orders, and only
// a failed call fails the (at most 10) orders it carried.
func (q *Queue) HandOff(ctx context.Context, records []events.SQSMessage, orders []eraser.Order) []error {
	errs := make([]error, len(orders))
	if q.API == nil {
		for i := range errs {
			errs[i] = &Error{Op: OpHandOff, Err: ErrNotConfigured}
		}
		return errs
	}
	urls := q.sourceURLs(ctx, records, orders)
	lineageKey := q.lineageKey(ctx, orders)
	var groups []*group
	byKey := make(map[groupKey]*group)
	for i, o := range orders {
		if o.Message < 0 || o.Message >= len(records) {
			errs[i] = &Error{Op: OpHandOff, Err: ErrNoSuchMessage}
			continue
		}
		key, it, err := q.prepare(i, o, records[o.Message], urls, lineageKey)
		if err != nil {
			errs[i] = err
			continue
		}
		g := byKey[key]
		if g == nil {
			g = &group{groupKey: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, it)
	}
	var batches []batch
	for _, g := range groups {
		batches = append(batches, g.split()...)
	}
	q.run(ctx, batches, errs)
	q.warnDropped(ctx, records, orders, batches, errs)
	return errs
}

// warnDropped logs, for each copy SQS took, the record's attributes it left
// out: by name only, since the values are the publisher's and may be
// personal.
func (q *Queue) warnDropped(ctx context.Context, records []events.SQSMessage, orders []eraser.Order, batches []batch, errs []error) {
	for _, b := range batches {
		for _, it := range b.items {
			if len(it.dropped) == 0 || errs[it.order] != nil {
				continue
			}
			o := orders[it.order]
			handOff := eraser.Requeued
			if o.Action == eraser.DeadLetter {
				handOff = eraser.DeadLettered
			}
			q.logger().WarnContext(ctx, "copy sent without some of the message's attributes: SQS allows 10 and 1 MiB, and the lineage comes first",
				slog.String("messageId", records[o.Message].MessageId),
				slog.String("originalMessageId", o.Lineage.OriginalMessageID),
				slog.String("handOff", string(handOff)),
				slog.Any("droppedAttributes", it.dropped))
		}
	}
}

// lineageKey is the key that signs the copies orders ask for; nil, with a
// warning, when none can be had (the copies then go unsigned).
func (q *Queue) lineageKey(ctx context.Context, orders []eraser.Order) []byte {
	if !slices.ContainsFunc(orders, func(o eraser.Order) bool { return o.Action == eraser.Requeue || o.Action == eraser.DeadLetter }) {
		return nil
	}
	key, err := q.Lineage.Key(ctx)
	if err != nil {
		q.logger().WarnContext(ctx, "copies sent with an unsigned lineage: their next receive starts a new one", "error", err)
		return nil
	}
	return key
}

var discard = slog.New(slog.DiscardHandler)

func (q *Queue) logger() *slog.Logger { return cmp.Or(q.Logger, discard) }

// prepare checks o and builds its batch entry, or says why it cannot be
// sent.
func (q *Queue) prepare(i int, o eraser.Order, rec events.SQSMessage, urls map[string]urlResult, lineageKey []byte) (groupKey, item, error) {
	switch o.Action {
	case eraser.Requeue, eraser.Delay:
		u := urls[rec.EventSourceARN]
		if u.err != nil {
			return groupKey{}, item{}, u.err
		}
		key := groupKey{action: o.Action, queueURL: u.url}
		if o.Action == eraser.Delay {
			return key, visibilityItem(i, o, rec), nil
		}
		it, err := copyItem(i, o, rec, u.url, lineageKey)
		return key, it, err
	case eraser.DeadLetter:
		if q.DeadLetterURL == "" {
			return groupKey{}, item{}, &Error{Op: OpSendMessageBatch, Err: ErrNoDeadLetterQueue}
		}
		it, err := copyItem(i, o, rec, q.DeadLetterURL, lineageKey)
		return groupKey{action: o.Action, queueURL: q.DeadLetterURL}, it, err
	}
	return groupKey{}, item{}, &Error{Op: OpHandOff, QueueARN: rec.EventSourceARN, Err: ErrUnknownAction}
}

type urlResult struct {
	url string
	err error
}

// sourceURLs looks up, concurrently, the queue URL of every source queue
// the orders need (a batch normally has one).
func (q *Queue) sourceURLs(ctx context.Context, records []events.SQSMessage, orders []eraser.Order) map[string]urlResult {
	var arns []string
	seen := make(map[string]bool)
	for _, o := range orders {
		if o.Message < 0 || o.Message >= len(records) {
			continue
		}
		arn := records[o.Message].EventSourceARN
		if (o.Action == eraser.Requeue || o.Action == eraser.Delay) && !seen[arn] {
			seen[arn] = true
			arns = append(arns, arn)
		}
	}
	results := make([]urlResult, len(arns))
	var wg sync.WaitGroup
	for i, arn := range arns {
		wg.Go(func() {
			url, err := q.sourceURL(ctx, arn)
			results[i] = urlResult{url: url, err: err}
		})
	}
	wg.Wait()
	urls := make(map[string]urlResult, len(arns))
	for i, arn := range arns {
		urls[arn] = results[i]
	}
	return urls
}
