package awstier

import (
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxPayload is Lambda's limit on a synchronous invocation's request; the
// event source mapping stops gathering a batch at it.
const MaxPayload = 6 << 20

// Record turns a received SQS message into the record Lambda's event
// source mapping passes to the function: the system attributes SQS
// returned (ApproximateReceiveCount, SentTimestamp, SenderId,
// ApproximateFirstReceiveTimestamp, and AWSTraceHeader or the FIFO ones
// when present), the message attributes with Lambda's field names and its
// empty list fields, the MD5s, and the source queue's ARN and region.
func Record(m sqstypes.Message, queueARN, region string) events.SQSMessage {
	attrs := make(map[string]string, len(m.Attributes))
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	msgAttrs := make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
	for name, a := range m.MessageAttributes {
		msgAttrs[name] = events.SQSMessageAttribute{
			StringValue: a.StringValue,
			BinaryValue: a.BinaryValue,
			// Lambda sends empty lists, not null.
			StringListValues: nonNil(a.StringListValues),
			BinaryListValues: nonNilBytes(a.BinaryListValues),
			DataType:         aws.ToString(a.DataType),
		}
	}
	return events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             attrs,
		MessageAttributes:      msgAttrs,
		EventSourceARN:         queueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              region,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilBytes(s [][]byte) [][]byte {
	if s == nil {
		return [][]byte{}
	}
	return s
}
