package app_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
)

// TestStartFailureDelaysBySchedule: a function whose configuration fails
// at start still delays every message by the retry schedule (its receive
// count's step) when the queue wiring is usable, so that a fix within a
// day loses nothing; without DEAD_LETTER_QUEUE_URL it makes no SQS call,
// as before.
func TestStartFailureDelaysBySchedule(t *testing.T) {
	for _, withDLQ := range []bool{true, false} {
		name := "without a dead-letter queue"
		if withDLQ {
			name = "with a dead-letter queue"
		}
		t.Run(name, func(t *testing.T) {
			sqs, err := sqstest.Start()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sqs.Close)
			sqs.SetEnv(t.Setenv)
			sourceURL, _ := sqs.AddQueue("erasure")
			dlqURL, _ := sqs.AddQueue("erasure-dlq")
			env := map[string]string{
				// No secret and an SDKAppID that is no number: the function
				// cannot run.
				config.EnvSDKAppID:  "not-a-number",
				config.EnvRetryBase: "7",
				config.EnvRetryMax:  "100",
			}
			if withDLQ {
				env[config.EnvDeadLetterQueue] = dlqURL
			}
			cfg, cfgErr := config.Load(func(k string) string { return env[k] })
			if cfgErr == nil {
				t.Fatal("the configuration loaded; the test needs one that fails")
			}
			out := &capture.Buffer{}
			h := app.New(context.Background(), cfg, cfgErr, out, app.Options{})

			sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["a-1"]}`, nil)
			sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["a-2"]}`, nil)
			// Receive counts 1, 2 and 3: each comes back after its own step.
			want := map[int]int{1: 7, 2: 14, 3: 28}
			for receive := 1; receive <= 3; receive++ {
				records := sqs.Receive(sourceURL, 10)
				if len(records) != 2 {
					t.Fatalf("receive %d: %d records, want 2", receive, len(records))
				}
				resp, err := h.Handle(context.Background(), events.SQSEvent{Records: records})
				if err == nil || len(resp.BatchItemFailures) != 2 {
					t.Fatalf("Handle: %v, failures %v; want an error (the function is not configured)", err, resp.BatchItemFailures)
				}
				for _, r := range records {
					seconds, delayed := sqs.Visibility(r.ReceiptHandle)
					if !withDLQ {
						if delayed {
							t.Errorf("without DEAD_LETTER_QUEUE_URL the visibility was changed to %d", seconds)
						}
						continue
					}
					if !delayed || seconds != want[receive] {
						t.Errorf("receive %d: visibility %d (set %v), want %d s by the schedule\n%s", receive, seconds, delayed, want[receive], out)
					}
				}
				// The stand-in has no clock: their timeouts run out now.
				for _, r := range records {
					sqs.TimeOut(r.ReceiptHandle)
				}
			}
			if !withDLQ && sqs.Calls("ChangeMessageVisibilityBatch")+sqs.Calls("GetQueueUrl") != 0 {
				t.Error("without DEAD_LETTER_QUEUE_URL SQS was called")
			}
			if n := len(sqs.Messages(dlqURL)); n != 0 {
				t.Errorf("%d messages dead-lettered before their last receive", n)
			}
		})
	}
}
