// Records: what an SQS record tells the core. Its lineage travels in the
// message attributes of the copies the function sends, so the audit trail,
// receipts and age metrics follow the erasure and not the copy.

package sqsq

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// Message attributes of the copies the function sends: requeued copies
// carry the lineage, dead-lettered ones the lineage and why.
const (
	AttrOriginalMessageID = "attr-eraser.originalMessageId"
	AttrFirstReceived     = "attr-eraser.firstReceived" // RFC 3339, UTC
	AttrRequeues          = "attr-eraser.requeues"
	AttrClass             = "attr-eraser.class"
	AttrReason            = "attr-eraser.reason"
)

// batchOf is the core's view of the records of one event.
func batchOf(records []events.SQSMessage) eraser.Batch {
	batch := eraser.Batch{Messages: make([]eraser.Message, len(records)), Ordered: isFIFO(records)}
	for i, rec := range records {
		batch.Messages[i] = eraser.Message{ID: rec.MessageId, Body: rec.Body, Lineage: LineageOf(rec)}
	}
	return batch
}

// isFIFO tells whether the records come from a FIFO queue, whose ARN ends
// in ".fifo". An event comes from one queue; any record decides.
func isFIFO(records []events.SQSMessage) bool {
	for _, r := range records {
		if strings.HasSuffix(r.EventSourceARN, ".fifo") {
			return true
		}
	}
	return false
}

// LineageOf reads rec's lineage: from the attributes a requeued copy
// carries, else from the record itself.
func LineageOf(rec events.SQSMessage) eraser.Lineage {
	l := eraser.Lineage{OriginalMessageID: rec.MessageId, ReceiveCount: 1}
	if n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
		l.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(rec.Attributes["ApproximateFirstReceiveTimestamp"], 10, 64); err == nil && ms > 0 {
		l.FirstReceived = time.UnixMilli(ms).UTC()
	}
	if id := stringAttr(rec, AttrOriginalMessageID); id != "" {
		l.OriginalMessageID = id
	}
	if t, err := time.Parse(time.RFC3339Nano, stringAttr(rec, AttrFirstReceived)); err == nil {
		l.FirstReceived = t.UTC()
	}
	if n, err := strconv.Atoi(stringAttr(rec, AttrRequeues)); err == nil && n > 0 {
		l.Requeues = n
	}
	return l
}

func stringAttr(rec events.SQSMessage, name string) string {
	if a, ok := rec.MessageAttributes[name]; ok && a.StringValue != nil {
		return *a.StringValue
	}
	return ""
}
