package sqsq_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// deletingAPI adds DeleteMessageBatch to the stand-in's API: it records the
// receipt handles, refuses those in refuse, and fails whole calls with err.
type deletingAPI struct {
	sqsq.API
	refuse map[string]bool
	err    error

	mu      sync.Mutex
	calls   int
	handles []string
}

func (a *deletingAPI) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if len(in.Entries) > 10 {
		return nil, errors.New("more than 10 entries")
	}
	if a.err != nil {
		return nil, a.err
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		h := aws.ToString(e.ReceiptHandle)
		if a.refuse[h] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true})
			continue
		}
		a.handles = append(a.handles, h)
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// TestDelete: the records the handler acknowledged by itself are deleted
// from their source queue 10 to a call; a refused entry or a failed call
// is reported, never with a receipt handle.
func TestDelete(t *testing.T) {
	tests := []struct {
		name        string
		n           int
		refuse      []int
		callErr     error
		wantCalls   int
		wantDeleted int
		wantErr     bool
	}{
		{name: "25 records, 3 calls", n: 25, wantCalls: 3, wantDeleted: 25},
		{name: "one refused", n: 12, refuse: []int{11}, wantCalls: 2, wantDeleted: 11, wantErr: true},
		{name: "calls fail", n: 3, callErr: errors.New("throttled, handle rh-0 echoed"), wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			api := &deletingAPI{API: f.q.API, refuse: map[string]bool{}, err: tt.callErr}
			q := &sqsq.Queue{API: api}
			var recs []events.SQSMessage
			for i := range tt.n {
				h := "rh-" + strings.Repeat("x", i)
				recs = append(recs, events.SQSMessage{MessageId: h, ReceiptHandle: h, EventSourceARN: f.arn})
				if slices.Contains(tt.refuse, i) {
					api.refuse[h] = true
				}
			}
			deleted, err := q.Delete(ctx(t), recs)
			if deleted != tt.wantDeleted || (err != nil) != tt.wantErr || api.calls != tt.wantCalls {
				t.Errorf("deleted %d, err %v, %d calls; want %d, error %v, %d calls", deleted, err, api.calls, tt.wantDeleted, tt.wantErr, tt.wantCalls)
			}
			if err != nil && strings.Contains(err.Error(), "rh-") {
				t.Errorf("the error holds a receipt handle: %v", err)
			}
		})
	}
}
