package sqsq

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

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

// SQS limits that decide what can be sent.
const (
	// maxAttributes is the most message attributes one message may carry.
	maxAttributes = 10
	// maxPayload is the largest message, and the largest SendMessageBatch
	// (the sum of its messages), counting bodies and attribute names,
	// types and values.
	maxPayload = 256 << 10
)

// unknownReason stands in for an empty reason: SQS refuses an empty
// attribute value, and a dead letter should say something.
const unknownReason = "unknown"

// copyAttributes is the message attributes of the copy o sends: the
// record's own, then the lineage (and for a dead letter, why), which
// replace same-named ones of the record.
func copyAttributes(o eraser.Order, rec events.SQSMessage) (map[string]types.MessageAttributeValue, error) {
	attrs := make(map[string]types.MessageAttributeValue, len(rec.MessageAttributes)+5)
	for name, a := range rec.MessageAttributes {
		attrs[name] = fromEvent(a)
	}
	l := o.Lineage
	// SQS refuses empty values; only hand-built events lack these.
	if l.OriginalMessageID != "" {
		attrs[AttrOriginalMessageID] = stringValue(l.OriginalMessageID)
	}
	if !l.FirstReceived.IsZero() {
		attrs[AttrFirstReceived] = stringValue(l.FirstReceived.UTC().Format(time.RFC3339Nano))
	}
	switch o.Action {
	case eraser.Requeue:
		attrs[AttrRequeues] = numberValue(l.Requeues)
	case eraser.DeadLetter:
		if l.Requeues > 0 {
			attrs[AttrRequeues] = numberValue(l.Requeues)
		}
		if o.Class != "" {
			attrs[AttrClass] = stringValue(string(o.Class))
		}
		reason := o.Reason
		if reason == "" {
			reason = unknownReason
		}
		attrs[AttrReason] = stringValue(reason)
	}
	if len(attrs) > maxAttributes {
		return nil, fmt.Errorf("%w: the copy would carry %d, SQS allows %d", ErrTooManyAttributes, len(attrs), maxAttributes)
	}
	return attrs, nil
}

// fromEvent converts an attribute of a Lambda record. The list values are
// left out: SQS reserves them and refuses them when set.
func fromEvent(a events.SQSMessageAttribute) types.MessageAttributeValue {
	return types.MessageAttributeValue{
		DataType:    aws.String(a.DataType),
		StringValue: a.StringValue,
		BinaryValue: a.BinaryValue,
	}
}

func stringValue(s string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

func numberValue(n int) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(n))}
}

// payloadSize is the size SQS charges a message against its limits.
func payloadSize(body string, attrs map[string]types.MessageAttributeValue) int {
	n := len(body)
	for name, a := range attrs {
		n += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
	}
	return n
}
