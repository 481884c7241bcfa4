// Package sqsq is the function's SQS adapter, the one package that knows
// SQS: the Lambda handler of the event source mapping (Handler: records in,
// partial batch response out), what a record tells the core (its lineage,
// whether the queue is FIFO), and the hand-off orders of package eraser
// carried out on Amazon SQS (*Queue).
//
// Why the function talks to SQS at all: SQS counts every receive, and its
// redrive policy dead-letters a message after maxReceiveCount of them, so a
// receive must mean a real failure.
//
//   - A message the invocation did not reach in time is requeued as a new
//     copy (Requeue) carrying its lineage in message attributes; the copy
//     starts with a fresh receive count.
//   - A message that can never succeed (invalid, or content Tencent
//     rejects) is dead-lettered on its first receive (DeadLetter), with its
//     lineage, failure class and reason, instead of failing four more times.
//   - Every other failure comes back after a growing visibility timeout
//     (Delay) rather than the queue's fixed one.
//
// Requeues and dead letters are sent with SendMessageBatch, delays with
// ChangeMessageVisibilityBatch, in batches of at most 10 entries and 1 MiB
// with a few calls in flight. A copy may be as large as SQS allows: 1 MiB
// of body and message attributes, at most 10 attributes. The lineage comes
// first, then the record's own attributes in name order as room allows;
// those left out are logged by name. A record's attr-eraser.* attributes
// are never copied: the lineage is the function's own, and it is
// authenticated (Lineage): an HMAC, keyed from the audit key, over the
// original message id, the first receive and the requeue count, in
// attr-eraser.lineageMac, which counts among the 10 attributes. A lineage
// that does not verify is ignored, with a warning: the record's own id,
// first receive and no requeues stand. The source queue's URL is found once per
// queue ARN with GetQueueUrl. The function's role therefore needs:
//
//   - on the source queue: sqs:GetQueueUrl, sqs:SendMessage and
//     sqs:ChangeMessageVisibility;
//   - on the dead-letter queue: sqs:SendMessage;
//   - lambda:ListEventSourceMappings on "*" (no resource-level permission
//     exists): Wiring checks that the mapping has ReportBatchItemFailures,
//     and where it cannot see it the Handler deletes what it acknowledged
//     (sqs:DeleteMessage on the source queue) and fails the invocation.
//     An invocation that fails for a systemic reason deletes the same way
//     the messages it dead-lettered on their last receive, which Lambda
//     would otherwise keep for SQS's redrive to copy again.
//
// Every call after processing runs within its step of the invocation's
// budget (eraser.Budget), on a client whose retries stop short of the
// caller's deadline (awsbatch.Retryer), so that the response is always
// returned.
//
// Errors are *Error. Neither errors nor anything else this package produces
// contain a receipt handle or a message body: bodies hold personal account
// IDs, and a receipt handle lets its holder delete the message.
package sqsq
