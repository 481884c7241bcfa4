package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestSQSHandOffWiring runs the real handler with DEAD_LETTER_QUEUE_URL set
// against the SQS stand-in, through the SDK's default chain as in Lambda:
// an invalid message is dead-lettered with its reason and acknowledged, a
// failed one comes back after RETRY_BASE_SECONDS, an erased one is simply
// acknowledged. Without the variable no SQS call is made.
func TestSQSHandOffWiring(t *testing.T) {
	for _, withDLQ := range []bool{true, false} {
		t.Run(fmt.Sprintf("dead-letter queue %v", withDLQ), func(t *testing.T) {
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
			secrets.SetEnv(t.Setenv)
			sqs.SetEnv(t.Setenv) // both stand-ins share region and test credentials
			t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.URL())
			sourceURL, sourceARN := sqs.AddQueue("erasure")
			dlqURL, _ := sqs.AddQueue("erasure-dlq")

			env := map[string]string{
				config.EnvSecretID:  arn,
				config.EnvBaseURL:   tencent.URL(),
				config.EnvRetryBase: "7",
			}
			if withDLQ {
				env[config.EnvDeadLetterQueue] = dlqURL
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			// The mapping the wiring check finds, through the SDK's chain.
			t.Setenv("AWS_ENDPOINT_URL_LAMBDA", lambdaStandIn(t, sourceARN))
			out := &capture.Buffer{}
			h := app.New(context.Background(), cfg, nil, out, app.Options{})

			sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["done-1"]}`, nil)
			sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["stuck-1"]}`, nil)
			sqs.Put(sourceURL, `{"type":"bogus","accounts":["bad-1"]}`, nil)
			records := sqs.Receive(sourceURL, 10)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: testFunctionARN})
			resp, err := h.Handle(ctx, events.SQSEvent{Records: records})
			if err != nil {
				t.Fatalf("Handle: %v\n%s", err, out)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			want := []string{records[1].MessageId, records[2].MessageId}
			if withDLQ {
				want = want[:1]
			}
			if !slices.Equal(failed, want) {
				t.Errorf("batchItemFailures %q, want %q", failed, want)
			}
			dead := sqs.Messages(dlqURL)
			seconds, delayed := sqs.Visibility(records[1].ReceiptHandle)
			if !withDLQ {
				if len(dead) != 0 || delayed || sqs.Calls("GetQueueUrl") != 0 {
					t.Errorf("without DEAD_LETTER_QUEUE_URL SQS was called: %d dead letters, delayed %v", len(dead), delayed)
				}
				return
			}
			if len(dead) != 1 || dead[0].Body != records[2].Body {
				t.Fatalf("dead letters %+v, want the invalid message", dead)
			}
			attrs := dead[0].Attributes
			if attrs[sqsq.AttrClass].StringValue != "invalid" || !strings.Contains(attrs[sqsq.AttrReason].StringValue, "type") ||
				attrs[sqsq.AttrOriginalMessageID].StringValue != records[2].MessageId {
				t.Errorf("dead letter attributes %+v", attrs)
			}
			if !delayed || seconds != 7 {
				t.Errorf("failed message visibility = %d (set %v), want 7 (RETRY_BASE_SECONDS, first receive)", seconds, delayed)
			}
			if _, set := sqs.Visibility(records[0].ReceiptHandle); set {
				t.Error("the erased message's visibility was changed")
			}
			if !strings.Contains(out.String(), `"handOff":"dead_lettered"`) || !strings.Contains(out.String(), `"handOff":"delayed"`) {
				t.Errorf("audit lines do not say what SQS was asked to do:\n%s", out)
			}
		})
	}
}

const testFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:attr-eraser"

// lambdaStandIn answers ListEventSourceMappings with the template's mapping
// from queueARN to testFunctionARN, and returns its URL.
func lambdaStandIn(t *testing.T, queueARN string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("EventSourceArn") != queueARN {
			_ = json.NewEncoder(w).Encode(map[string]any{"EventSourceMappings": []any{}})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"EventSourceMappings": []any{map[string]any{
			"UUID": "00000000-0000-0000-0000-000000000001", "EventSourceArn": queueARN, "FunctionArn": testFunctionARN,
			"FunctionResponseTypes": []string{"ReportBatchItemFailures"}, "State": "Enabled",
		}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
