package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestSlowAWSEndsBeforeTheDeadline runs the real handler, receipts and
// hand-off on, against an EventBridge and an SQS whose calls take far
// longer than the invocation has. Each call of the end runs within its
// step's share of the time, so the response is returned before the
// deadline, and every message whose receipt or copy was not taken is
// reported failed: it comes back, nothing is lost.
func TestSlowAWSEndsBeforeTheDeadline(t *testing.T) {
	const (
		timeout = 5 * time.Second
		slow    = 30 * time.Second
		// Each of the end's six steps keeps half a second: room for a
		// call to a stand-in on a busy test machine.
		margin = 3 * time.Second
	)
	tests := []struct {
		name                 string
		slowEvents, slowSQS  bool
		wantFailed           []int // indexes of the records: done, stuck, invalid
		wantDelayed, wantDLQ bool
	}{
		// The receipts of the erased and the rejected message are not put:
		// both come back, delayed like the failed one.
		{name: "slow PutEvents", slowEvents: true, wantFailed: []int{0, 1, 2}, wantDelayed: true, wantDLQ: true},
		// The dead letter and the delay are not taken: the erased message
		// alone is acknowledged.
		{name: "slow SQS", slowSQS: true, wantFailed: []int{1, 2}},
		{name: "slow PutEvents and SQS", slowEvents: true, slowSQS: true, wantFailed: []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startSlowAWS(t, app.Options{Tuning: eraser.Tuning{SafetyMargin: margin}})
			if tt.slowEvents {
				f.bus.SetLatency(slow)
			}
			if tt.slowSQS {
				f.sqs.SetLatency("SendMessageBatch", slow)
				f.sqs.SetLatency("ChangeMessageVisibilityBatch", slow)
			}
			f.sqs.Put(f.sourceURL, `{"type":"user.deleted","accounts":["done-1"]}`, nil)
			f.sqs.Put(f.sourceURL, `{"type":"user.deleted","accounts":["stuck-1"]}`, nil)
			f.sqs.Put(f.sourceURL, `{"type":"bogus","accounts":["bad-1"]}`, nil)
			records := f.sqs.Receive(f.sourceURL, 10)

			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: testFunctionARN})
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			resp, err := f.h.Handle(ctx, events.SQSEvent{Records: records})
			if late := time.Since(deadline); late >= 0 {
				t.Fatalf("the response came %v after the deadline", late)
			}
			if err != nil {
				t.Fatalf("Handle: %v\n%s", err, f.out)
			}
			var failed, want []string
			for _, fl := range resp.BatchItemFailures {
				failed = append(failed, fl.ItemIdentifier)
			}
			for _, i := range tt.wantFailed {
				want = append(want, records[i].MessageId)
			}
			if !slices.Equal(failed, want) {
				t.Errorf("batchItemFailures %q, want %q\n%s", failed, want, f.out)
			}
			if _, delayed := f.sqs.Visibility(records[1].ReceiptHandle); delayed != tt.wantDelayed {
				t.Errorf("the failed message delayed: %v, want %v", delayed, tt.wantDelayed)
			}
			if dead := f.sqs.Messages(f.dlqURL); (len(dead) > 0) != tt.wantDLQ {
				t.Errorf("%d dead letters, want some: %v", len(dead), tt.wantDLQ)
			}
			// The report ran in its own time: one audit line per message.
			if n := strings.Count(f.out.String(), `"outcome":`); n != len(records) {
				t.Errorf("%d audit lines, want %d\n%s", n, len(records), f.out)
			}
		})
	}
}

type slowAWS struct {
	sqs               *sqstest.Server
	bus               *eventstest.Server
	sourceURL, dlqURL string
	h                 interface {
		Handle(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	}
	out *capture.Buffer
}

// startSlowAWS starts the stand-ins of Tencent (stuck-1 fails), Secrets
// Manager, SQS, EventBridge and Lambda's mapping, and the handler on them.
func startSlowAWS(t *testing.T, opts app.Options) *slowAWS {
	t.Helper()
	key := timtest.NewKey()
	tencent, err := timtest.Start(timtest.Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tencent.Close)
	tencent.FailAccounts(timtest.CodeInternal, "stuck-1")
	secrets, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	arn := secrets.Put("attr-eraser/key", fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, key, timtest.DefaultSDKAppID))
	sqs, err := sqstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sqs.Close)
	bus, err := eventstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	secrets.SetEnv(t.Setenv)
	sqs.SetEnv(t.Setenv)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.URL())
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.URL())
	sourceURL, sourceARN := sqs.AddQueue("erasure")
	dlqURL, _ := sqs.AddQueue("erasure-dlq")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", lambdaStandIn(t, sourceARN))
	env := map[string]string{
		config.EnvSecretID:         arn,
		config.EnvBaseURL:          tencent.URL(),
		config.EnvDeadLetterQueue:  dlqURL,
		config.EnvReceiptEventBus:  "privacy-receipts",
		config.EnvRetryBase:        "7",
		config.EnvMetricsNamespace: "AttrEraserTest",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	out := &capture.Buffer{}
	h := app.New(context.Background(), cfg, nil, out, opts)
	return &slowAWS{sqs: sqs, bus: bus, sourceURL: sourceURL, dlqURL: dlqURL, h: h, out: out}
}
