// Lineage: where an erasure began, carried across requeued copies in SQS
// message attributes, so the audit trail, receipts and age metrics follow
// the erasure and not the copy.

package eraser

import (
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// Lineage is the history of one erasure across the copies of its message.
type Lineage struct {
	// OriginalMessageID is the id of the message as first published.
	OriginalMessageID string
	// FirstReceived is when the original message was first received; zero
	// when SQS did not say (hand-built events).
	FirstReceived time.Time
	// Requeues counts the copies made because the function did not reach
	// the message in time.
	Requeues int
	// ReceiveCount is this copy's ApproximateReceiveCount, at least 1.
	ReceiveCount int
}

// LineageOf reads rec's lineage: from the attributes a requeued copy
// carries, else from the record itself.
func LineageOf(rec events.SQSMessage) Lineage {
	l := Lineage{OriginalMessageID: rec.MessageId, ReceiveCount: 1}
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
