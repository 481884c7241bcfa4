// The redrive subcommand: what is in the dead-letter queue, by class and
// reason, and moving back to the source queue only the classes asked for.
// SQS's own move task moves everything; a dead letter of class content
// (an account Tencent refuses) comes straight back, while one of class
// retryable, after a day-long outage, is worth another try.

package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// noClass is how a dead letter without a class is listed and chosen: one
// SQS's own redrive moved there, or one dead-lettered before classes were
// recorded.
const noClass = "none"

// emptyReceives is how many receives in a row must come back empty before
// the queue is taken as read: one empty receive can miss messages.
const emptyReceives = 2

// sqsAPI is the part of the SQS client redrive uses.
type sqsAPI interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ListDeadLetterSourceQueues(context.Context, *sqs.ListDeadLetterSourceQueuesInput, ...func(*sqs.Options)) (*sqs.ListDeadLetterSourceQueuesOutput, error)
}

func runRedrive(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("redrive", stderr,
		"eraserctl redrive -dlq-url URL                      list the dead letters by class and reason",
		"eraserctl redrive -dlq-url URL -class C[,C...] [-to-url URL]   move back those classes (none: without a class)")
	dlq := fs.String("dlq-url", "", "the dead-letter queue (the stack's DeadLetterQueueUrl)")
	to := fs.String("to-url", "", "the queue to move messages back to; default: the DLQ's one source queue (ListDeadLetterSourceQueues)")
	only := fs.String("class", "", "comma-separated classes to move back, e.g. retryable,systemic; "+noClass+" for messages without one")
	visibility := fs.Duration("visibility", 5*time.Minute, "how long the scan holds each message out of sight; raise it for a DLQ that takes longer to read")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "eraserctl redrive: "+msg)
		fs.Usage()
		return exitUsage
	}
	want := map[string]bool{}
	for _, c := range strings.Split(*only, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if c != noClass && !slices.Contains(classes, erasure.Class(c)) {
			return usage(fmt.Sprintf("-class %q: want %s or %s", c, classList(), noClass))
		}
		want[c] = true
	}
	switch {
	case *dlq == "":
		return usage("-dlq-url is required")
	case fs.NArg() > 0:
		return usage("unexpected arguments")
	case *visibility < time.Second || *visibility > 12*time.Hour:
		return usage("-visibility must be between 1s and 12h")
	case *to != "" && len(want) == 0:
		return usage("-to-url without -class: nothing would be moved")
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl redrive: %v\n", err)
		return exitFailed
	}
	r := &redriver{client: sqs.NewFromConfig(cfg), dlq: *dlq, to: *to, want: want,
		visibility: int32(visibility.Seconds()), out: stderr}
	if len(want) > 0 && r.to == "" {
		if r.to, err = r.sourceQueue(ctx); err != nil {
			fmt.Fprintf(stderr, "eraserctl redrive: %v\n", err)
			return exitFailed
		}
	}
	err = r.run(ctx)
	r.report(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "eraserctl redrive: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// classes are the classes a dead letter can carry, for checking -class.
var classes = []erasure.Class{
	erasure.Unknown, erasure.Retryable, erasure.RateLimited, erasure.SigExpired, erasure.Signature,
	erasure.Content, erasure.Configuration, erasure.Cancelled, erasure.Invalid, erasure.Deadline,
	erasure.DryRun, erasure.FIFOBlocked, erasure.Internal, erasure.Capacity, erasure.Receipt,
}

func classList() string {
	var names []string
	for _, c := range classes {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// redriver is one redrive run.
type redriver struct {
	client     sqsAPI
	dlq, to    string
	want       map[string]bool
	visibility int32
	out        io.Writer

	counts     map[[2]string]int // by class and reason
	seen       map[string]bool   // message ids received in this run
	moved      map[string]bool   // what was moved, by lineage and body
	held       []types.Message   // not selected: released at the end
	movedN     int
	duplicates int
	released   int
}

// sourceQueue is the DLQ's one source queue.
func (r *redriver) sourceQueue(ctx context.Context) (string, error) {
	out, err := r.client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(r.dlq)})
	if err != nil {
		return "", fmt.Errorf("find the DLQ's source queue (or give -to-url): %w", err)
	}
	if len(out.QueueUrls) != 1 {
		return "", fmt.Errorf("the DLQ is the dead-letter queue of %d queues; say which with -to-url", len(out.QueueUrls))
	}
	return out.QueueUrls[0], nil
}

// run reads the whole DLQ, moving back the chosen messages as it goes,
// then releases the others.
func (r *redriver) run(ctx context.Context) error {
	r.counts, r.seen, r.moved = map[[2]string]int{}, map[string]bool{}, map[string]bool{}
	total := 0
	if out, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.dlq),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}}); err == nil {
		total, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	}
	bar := newProgress(r.out, "redrive", "messages", total)
	defer bar.finish()
	var runErr error
	for empty := 0; empty < emptyReceives; {
		out, err := r.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.dlq),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             1,
			VisibilityTimeout:           r.visibility,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			runErr = fmt.Errorf("receive from the DLQ: %w", err)
			break
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		var move, again []types.Message
		chosen := map[string]bool{} // this receive's, before they are moved
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if r.seen[id] {
				// Received again: its visibility ran out during the scan,
				// or SQS delivered it twice. Counted once.
				if r.moved[lineageKey(m)] {
					again = append(again, m)
				} else {
					r.held = append(r.held, m)
				}
				continue
			}
			r.seen[id] = true
			class, reason := classOf(m)
			r.counts[[2]string{class, reason}]++
			bar.add(1)
			switch {
			case !r.want[class]:
				r.held = append(r.held, m)
			case r.moved[lineageKey(m)] || chosen[lineageKey(m)]:
				// Another copy of an erasure moved back: one is enough,
				// the erasure is idempotent.
				r.duplicates++
				again = append(again, m)
			default:
				chosen[lineageKey(m)] = true
				move = append(move, m)
			}
		}
		if err := r.move(ctx, move); err != nil {
			runErr = err
			break
		}
		// A copy is deleted only once its erasure is back in the source
		// queue; otherwise it stays in the DLQ.
		var dups []types.Message
		for _, m := range again {
			if r.moved[lineageKey(m)] {
				dups = append(dups, m)
			} else {
				r.duplicates--
				r.held = append(r.held, m)
			}
		}
		if err := r.delete(ctx, dups); err != nil {
			runErr = err
			break
		}
	}
	// Whatever the scan held and did not move is visible again now, not
	// after the scan's visibility timeout.
	if err := r.release(ctx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// classOf is a dead letter's class (noClass when it has none) and reason.
func classOf(m types.Message) (class, reason string) {
	if a, ok := m.MessageAttributes[sqsq.AttrClass]; ok {
		class = aws.ToString(a.StringValue)
	}
	if a, ok := m.MessageAttributes[sqsq.AttrReason]; ok {
		reason = aws.ToString(a.StringValue)
	}
	return cmp.Or(class, noClass), cmp.Or(erasure.Truncate(reason, 160), "-")
}

// lineageKey names the erasure a dead letter carries: its original message
// (the lineage attribute, else its own id) and its body, so that two copies
// of one erasure are moved back once.
func lineageKey(m types.Message) string {
	id := aws.ToString(m.MessageId)
	if a, ok := m.MessageAttributes[sqsq.AttrOriginalMessageID]; ok && aws.ToString(a.StringValue) != "" {
		id = aws.ToString(a.StringValue)
	}
	sum := sha256.Sum256([]byte(aws.ToString(m.Body)))
	return id + "/" + fmt.Sprintf("%x", sum[:8])
}

// move sends msgs to the source queue, then deletes from the DLQ those the
// queue took: at least once, never lost. The copy keeps the lineage and its
// MAC (which covers neither class nor reason) and the publisher's
// attributes, and drops the class and reason: they described the dead
// letter, not the erasure.
func (r *redriver) move(ctx context.Context, msgs []types.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(r.to)}
	fifo := strings.HasSuffix(r.to, ".fifo")
	for i, m := range msgs {
		attrs := maps.Clone(m.MessageAttributes)
		delete(attrs, sqsq.AttrClass)
		delete(attrs, sqsq.AttrReason)
		e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body, MessageAttributes: attrs}
		if fifo {
			e.MessageGroupId = aws.String(cmp.Or(m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)], "attr-eraser-redrive"))
			e.MessageDeduplicationId = m.MessageId
		}
		in.Entries = append(in.Entries, e)
	}
	out, err := r.client.SendMessageBatch(ctx, in)
	if err != nil {
		return fmt.Errorf("send to %s: %w", r.to, err)
	}
	var taken []types.Message
	for _, s := range out.Successful {
		if i, err := strconv.Atoi(aws.ToString(s.Id)); err == nil && i >= 0 && i < len(msgs) {
			taken = append(taken, msgs[i])
		}
	}
	for _, m := range taken {
		r.moved[lineageKey(m)] = true
		r.movedN++
	}
	// What the queue refused stays in the DLQ, visible again at the end.
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(msgs) {
			r.held = append(r.held, msgs[i])
		}
	}
	if err := r.delete(ctx, taken); err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("%d messages not moved: %s", len(out.Failed), entryError(aws.ToString(out.Failed[0].Code)))
	}
	return nil
}

// delete removes msgs from the DLQ.
func (r *redriver) delete(ctx context.Context, msgs []types.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.dlq)}
	for i, m := range msgs {
		in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	out, err := r.client.DeleteMessageBatch(ctx, in)
	if err == nil && len(out.Failed) > 0 {
		err = errors.New(entryError(aws.ToString(out.Failed[0].Code)))
	}
	if err != nil {
		// Sent and not deleted: it will be moved again by a later run,
		// which is harmless (at least once).
		return fmt.Errorf("delete moved messages from the DLQ: %w", err)
	}
	return nil
}

// release makes every held message visible again at once.
func (r *redriver) release(ctx context.Context) error {
	var errs []error
	for batch := range slices.Chunk(r.held, 10) {
		in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(r.dlq)}
		for i, m := range batch {
			in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		out, err := r.client.ChangeMessageVisibilityBatch(ctx, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("make messages visible again: %w", err))
			continue
		}
		r.released += len(out.Successful)
	}
	return errors.Join(errs...)
}

// report prints the counts by class and reason and what was done.
func (r *redriver) report(w io.Writer) {
	keys := slices.SortedFunc(maps.Keys(r.counts), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	total := 0
	fmt.Fprintf(w, "%-10s %7s  %s\n", "CLASS", "COUNT", "REASON")
	for _, k := range keys {
		fmt.Fprintf(w, "%-10s %7d  %s\n", k[0], r.counts[k], k[1])
		total += r.counts[k]
	}
	fmt.Fprintf(w, "%d messages in the DLQ\n", total)
	if len(r.want) > 0 {
		fmt.Fprintf(w, "moved back to %s: %d (classes %s); duplicate copies deleted: %d; left in the DLQ, visible again: %d\n",
			r.to, r.movedN, strings.Join(slices.Sorted(maps.Keys(r.want)), ","), r.duplicates, r.released)
	} else {
		fmt.Fprintf(w, "nothing moved (no -class); visible again: %d\n", r.released)
	}
}
