package sqsq

import (
	"maps"
	"slices"
	"strconv"
	"strings"
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
	maxPayload = 1 << 20
)

// lineagePrefix starts the names of the function's own attributes. A
// record's attributes under it are never copied: the copy's lineage is
// the order's, and a requeued copy must not carry a stale class or reason
// (a message redriven from the dead-letter queue has both).
const lineagePrefix = "attr-eraser."

// unknownReason stands in for an empty reason: SQS refuses an empty
// attribute value, and a dead letter should say something.
const unknownReason = "unknown"

// copyAttributes is the message attributes of the copy o sends of rec,
// within SQS's limits: the lineage (and for a dead letter, why) first,
// then the record's own attributes in name order as long as the copy
// stays within maxAttributes and maxPayload. dropped names, in that order,
// the record's attributes left out for lack of room. key signs the
// lineage; nil sends it unsigned.
func copyAttributes(o eraser.Order, rec events.SQSMessage, key []byte) (attrs map[string]types.MessageAttributeValue, dropped []string) {
	attrs = lineageAttributes(o, key)
	room := maxPayload - payloadSize(rec.Body, attrs)
	for _, name := range slices.Sorted(maps.Keys(rec.MessageAttributes)) {
		if strings.HasPrefix(name, lineagePrefix) {
			continue
		}
		a := fromEvent(rec.MessageAttributes[name])
		size := attributeSize(name, a)
		if len(attrs) == maxAttributes || size > room {
			dropped = append(dropped, name)
			continue
		}
		attrs[name], room = a, room-size
	}
	return attrs, dropped
}

// lineageAttributes is the function's own attributes of the copy o sends:
// at most 6 with the MAC, so they always leave room for some of the
// record's.
func lineageAttributes(o eraser.Order, key []byte) map[string]types.MessageAttributeValue {
	attrs := make(map[string]types.MessageAttributeValue, maxAttributes)
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
	if key != nil {
		str := func(name string) string {
			if a, ok := attrs[name]; ok {
				return aws.ToString(a.StringValue)
			}
			return ""
		}
		attrs[AttrLineageMAC] = stringValue(LineageMAC(key, str(AttrOriginalMessageID), str(AttrFirstReceived), str(AttrRequeues)))
	}
	return attrs
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
		n += attributeSize(name, a)
	}
	return n
}

// attributeSize is what one attribute adds to a message's size: its name,
// data type and value, in bytes (binary values raw, not base64).
func attributeSize(name string, a types.MessageAttributeValue) int {
	return len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
}
