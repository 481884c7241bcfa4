package bench

import (
	"math"

	"github.com/aws/aws-lambda-go/events"
)

// Prices are the AWS list prices row 10 costs with: us-east-1, as
// published on 2026-12-06 by AWS's pricing pages
// (https://aws.amazon.com/lambda/pricing/, .../cloudwatch/pricing/,
// .../sqs/pricing/). Update them here, and only
// here, with the date.
var Prices = PriceList{
	Date:   "2026-12-06",
	Source: "AWS list prices, us-east-1 (aws.amazon.com/lambda/pricing, /cloudwatch/pricing, /sqs/pricing)",
	// Lambda on arm64, billed per 1 ms of duration.
	LambdaGBSecond: 0.0000133334,
	// Lambda requests: $0.20 per million invocations.
	LambdaRequest: 0.20 / 1e6,
	// CloudWatch Logs ingestion (standard log class): $0.50 per GB.
	LogsGB: 0.50,
	// SQS standard queue requests: $0.40 per million; each 64 KB chunk
	// of a request's payload is billed as one request.
	SQSRequest: 0.40 / 1e6,
}

// PriceList is a dated set of prices, in US dollars.
type PriceList struct {
	Date, Source   string
	LambdaGBSecond float64
	LambdaRequest  float64
	LogsGB         float64
	SQSRequest     float64
}

// sqsChunkBytes is the payload SQS bills as one request.
const sqsChunkBytes = 64 << 10

// sqsBatchMax is the most messages one ReceiveMessage or
// DeleteMessageBatch handles.
const sqsBatchMax = 10

// Usage is what a run of invocations used, for pricing.
type Usage struct {
	Accounts, Invocations int
	// BilledMs sums the invocations' durations, each rounded up to 1 ms.
	BilledMs int64
	// LogBytes is what the function wrote (CloudWatch Logs ingests it).
	LogBytes int64
	// SQSRequests are the billed requests that carried the messages.
	SQSRequests int
}

// Cost is a price per million accounts, by what is billed.
type Cost struct {
	Compute, Requests, Logs, SQS float64
}

// Total is the sum.
func (c Cost) Total() float64 { return c.Compute + c.Requests + c.Logs + c.SQS }

// PerMillion prices u for a function of memoryMB, per million accounts.
// A GB is 1,024 MB for Lambda (MemorySize/1024 GB) and 2^30 bytes for
// Logs.
func (p PriceList) PerMillion(u Usage, memoryMB int) Cost {
	if u.Accounts == 0 {
		return Cost{}
	}
	per := 1e6 / float64(u.Accounts)
	return Cost{
		Compute:  per * float64(u.BilledMs) / 1000 * float64(memoryMB) / 1024 * p.LambdaGBSecond,
		Requests: per * float64(u.Invocations) * p.LambdaRequest,
		Logs:     per * float64(u.LogBytes) / (1 << 30) * p.LogsGB,
		SQS:      per * float64(u.SQSRequests) * p.SQSRequest,
	}
}

// sqsRequests counts the billed SQS requests that carry recs from
// publisher to function: one SendMessage each (the publisher's), and the
// event source mapping's ReceiveMessage and DeleteMessageBatch, each for up
// to 10 messages in the order they came; every request counts once per
// started 64 KB of its payload (bodies and message attributes; receipt
// handles and ids for a delete). Empty receives of an idle queue are not
// counted: a backlog has none.
func sqsRequests(recs []events.SQSMessage) int {
	n := 0
	for i := 0; i < len(recs); i += sqsBatchMax {
		group := recs[i:min(i+sqsBatchMax, len(recs))]
		received, deleted := 0, 0
		for _, r := range group {
			payload := messagePayload(r)
			n += chunks(payload) // SendMessage
			received += payload
			deleted += len(r.ReceiptHandle) + len(r.MessageId)
		}
		n += chunks(received) + chunks(deleted)
	}
	return n
}

// messagePayload is what SQS counts of a message: its body and its
// message attributes (names, types and values).
func messagePayload(r events.SQSMessage) int {
	n := len(r.Body)
	for name, a := range r.MessageAttributes {
		n += len(name) + len(a.DataType)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
		n += len(a.BinaryValue)
	}
	return n
}

// chunks is the requests one request of payload bytes is billed as.
func chunks(payload int) int {
	return max(1, int(math.Ceil(float64(payload)/sqsChunkBytes)))
}
