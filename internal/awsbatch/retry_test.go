package awsbatch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
)

// TestRetryerKeepsToTheDeadline: a call SQS fails with its own fault is
// retried RetryAttempts times when time allows, and not at all when the
// caller's deadline leaves less than a retry needs.
func TestRetryerKeepsToTheDeadline(t *testing.T) {
	srv, err := sqstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.SetEnv(t.Setenv)
	srv.SetFailure("GetQueueUrl", "InternalError")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.Retryer = awsbatch.Retryer() })
	tests := []struct {
		name      string
		timeout   time.Duration // 0: no deadline
		wantCalls int
		wantIs    error
	}{
		{"no deadline", 0, awsbatch.RetryAttempts, nil},
		{"less than a retry needs", awsbatch.MinRetryTime - 50*time.Millisecond, 1, awsbatch.ErrNoTimeToRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			before := srv.Calls("GetQueueUrl")
			began := time.Now()
			_, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
			took := time.Since(began)
			if err == nil {
				t.Fatal("the call succeeded")
			}
			if calls := srv.Calls("GetQueueUrl") - before; calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			if limit := time.Duration(awsbatch.RetryAttempts-1)*awsbatch.RetryMaxBackoff + time.Second; took > limit {
				t.Errorf("took %v, more than the retries allow (%v)", took, limit)
			}
		})
	}
}
