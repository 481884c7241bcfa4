// Where submit sends: a queue, an SNS topic or an EventBridge bus, each
// with its own batch call and limits.

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
)

// message is one message submit sends.
type message struct {
	eventID string
	body    string
}

// target is a destination of a backfill.
type target interface {
	// String names the target for progress and checkpoint lines.
	String() string
	// maxBody is the largest body the target takes.
	maxBody() int
	// limits bound one batch call.
	limits() awsbatch.Limits
	// size is what a message counts against the limits.
	size(m message) int
	// send sends one batch; the error of each message, nil when taken.
	send(ctx context.Context, batch []message) []error
}

// The services' limits. SQS takes 1 MiB a message and a batch since 2025;
// SNS and EventBridge 256 KB (of 1024 bytes) for a message, an entry and a
// whole batch call.
const (
	sqsMaxBytes     = 1 << 20
	snsMaxBytes     = 256 << 10
	eventsMaxBytes  = 256 << 10
	maxBatchEntries = 10
)

// sqsTarget sends with SendMessageBatch.
type sqsTarget struct {
	client *sqs.Client
	url    string
}

func (t *sqsTarget) String() string { return "queue " + t.url }
func (t *sqsTarget) maxBody() int   { return sqsMaxBytes }
func (t *sqsTarget) limits() awsbatch.Limits {
	return awsbatch.Limits{Entries: maxBatchEntries, Bytes: sqsMaxBytes}
}
func (t *sqsTarget) size(m message) int { return len(m.body) }

func (t *sqsTarget) send(ctx context.Context, batch []message) []error {
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(t.url)}
	fifo := strings.HasSuffix(t.url, ".fifo")
	for i, m := range batch {
		e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.body)}
		if fifo {
			// The eventId deduplicates a re-send within FIFO's 5 minutes.
			e.MessageGroupId, e.MessageDeduplicationId = aws.String("attr-eraser-backfill"), aws.String(m.eventID)
		}
		in.Entries = append(in.Entries, e)
	}
	out, err := t.client.SendMessageBatch(ctx, in)
	if err != nil {
		return perEntry(len(batch), err, nil)
	}
	return perEntry(len(batch), nil, batchOutcomes(out.Successful, out.Failed,
		func(s sqstypes.SendMessageBatchResultEntry) *string { return s.Id },
		func(f sqstypes.BatchResultErrorEntry) (id, code *string) { return f.Id, f.Code }))
}

// snsTarget sends with PublishBatch.
type snsTarget struct {
	client *sns.Client
	arn    string
}

func (t *snsTarget) String() string { return "topic " + t.arn }
func (t *snsTarget) maxBody() int   { return snsMaxBytes }
func (t *snsTarget) limits() awsbatch.Limits {
	return awsbatch.Limits{Entries: maxBatchEntries, Bytes: snsMaxBytes}
}
func (t *snsTarget) size(m message) int { return len(m.body) }

func (t *snsTarget) send(ctx context.Context, batch []message) []error {
	in := &sns.PublishBatchInput{TopicArn: aws.String(t.arn)}
	fifo := strings.HasSuffix(t.arn, ".fifo")
	for i, m := range batch {
		e := snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(m.body)}
		if fifo {
			e.MessageGroupId, e.MessageDeduplicationId = aws.String("attr-eraser-backfill"), aws.String(m.eventID)
		}
		in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, e)
	}
	out, err := t.client.PublishBatch(ctx, in)
	if err != nil {
		return perEntry(len(batch), err, nil)
	}
	return perEntry(len(batch), nil, batchOutcomes(out.Successful, out.Failed,
		func(s snstypes.PublishBatchResultEntry) *string { return s.Id },
		func(f snstypes.BatchResultErrorEntry) (id, code *string) { return f.Id, f.Code }))
}

// eventsTarget sends with PutEvents; the message is the event's detail,
// which is why the backfill mark is a body field: EventBridge has no
// message attributes to carry one.
type eventsTarget struct {
	client             *eventbridge.Client
	bus                string
	source, detailType string
}

func (t *eventsTarget) String() string { return "event bus " + t.bus }

// maxBody leaves room for what EventBridge counts beside the detail.
func (t *eventsTarget) maxBody() int { return eventsMaxBytes - len(t.source) - len(t.detailType) }
func (t *eventsTarget) limits() awsbatch.Limits {
	return awsbatch.Limits{Entries: maxBatchEntries, Bytes: eventsMaxBytes}
}
func (t *eventsTarget) size(m message) int { return len(m.body) + len(t.source) + len(t.detailType) }

func (t *eventsTarget) send(ctx context.Context, batch []message) []error {
	in := &eventbridge.PutEventsInput{}
	for _, m := range batch {
		in.Entries = append(in.Entries, ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(t.bus),
			Source:       aws.String(t.source),
			DetailType:   aws.String(t.detailType),
			Detail:       aws.String(m.body),
		})
	}
	out, err := t.client.PutEvents(ctx, in)
	outcomes := make(map[string]awsbatch.Outcome, len(batch))
	if err == nil {
		// Results come in the order of the entries.
		for i, r := range out.Entries {
			id := strconv.Itoa(i)
			if r.ErrorCode != nil {
				outcomes[id] = awsbatch.Outcome{Failed: true, Code: aws.ToString(r.ErrorCode), Message: entryError(aws.ToString(r.ErrorCode))}
			} else if r.EventId != nil {
				outcomes[id] = awsbatch.Outcome{Taken: true}
			}
		}
	}
	return perEntry(len(batch), err, outcomes)
}

// errNotAnswered is an entry the answer did not list.
var errNotAnswered = errors.New("the answer did not list the message: not known to be sent")

// perEntry is each entry's error: the call's own when it failed, else the
// answer's word on it.
func perEntry(n int, callErr error, outcomes map[string]awsbatch.Outcome) []error {
	errs := make([]error, n)
	for i := range errs {
		if callErr != nil {
			errs[i] = callErr
			continue
		}
		errs[i] = outcomes[strconv.Itoa(i)].Cause(errNotAnswered)
	}
	return errs
}

// pickTarget says which target the flags name, "" for none, or what is
// wrong with them.
func pickTarget(queueURL, topicARN, bus string) (kind string, err error) {
	n := 0
	for _, s := range []string{queueURL, topicARN, bus} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return "", fmt.Errorf("give at most one of -queue-url, -topic-arn and -event-bus")
	case queueURL != "":
		return "sqs", nil
	case topicARN != "":
		return "sns", nil
	case bus != "":
		return "eventbridge", nil
	}
	return "", nil
}

// entryError is what is said of an entry the service failed: its code
// only, as the service's message may quote the entry, and so accounts.
func entryError(code string) string {
	if code == "" {
		code = "unknown"
	}
	return "refused by the service (" + code + ")"
}

// batchOutcomes maps a batch call's answer, its successful and failed
// entries by Id, to each entry's outcome.
func batchOutcomes[S, F any](ok []S, failed []F, okID func(S) *string, failure func(F) (id, code *string)) map[string]awsbatch.Outcome {
	outcomes := make(map[string]awsbatch.Outcome, len(ok)+len(failed))
	for _, s := range ok {
		outcomes[aws.ToString(okID(s))] = awsbatch.Outcome{Taken: true}
	}
	for _, f := range failed {
		id, code := failure(f)
		outcomes[aws.ToString(id)] = awsbatch.Outcome{Failed: true, Code: aws.ToString(code), Message: entryError(aws.ToString(code))}
	}
	return outcomes
}
