package localrun_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
	"github.com/attr-eraser/attr-eraser/internal/sqsq/sqstest"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestSlowAWSUnderTheEmulator: the bootstrap under the emulator, its
// receipts and hand-off on, meets an EventBridge and an SQS whose calls
// take far longer than its timeout. It still answers with a batch
// response before the emulator's timeout, every message reported failed
// (none had its receipt or copy taken), and writes its audit lines.
func TestSlowAWSUnderTheEmulator(t *testing.T) {
	const (
		timeout = 4 * time.Second
		slow    = 30 * time.Second
	)
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
	sourceURL, sourceARN := sqs.AddQueue("erasure")
	dlqURL, _ := sqs.AddQueue("erasure-dlq")
	sqs.SetLatency("SendMessageBatch", slow)
	sqs.SetLatency("ChangeMessageVisibilityBatch", slow)
	bus.SetLatency(slow)
	stack := start(t, localrun.Options{
		Timeout: timeout,
		Env: []string{
			"AWS_ENDPOINT_URL_SQS=" + sqs.URL(),
			"AWS_ENDPOINT_URL_EVENTBRIDGE=" + bus.URL(),
			"AWS_ENDPOINT_URL_LAMBDA=" + mappingStandIn(t, sourceARN),
			"DEAD_LETTER_QUEUE_URL=" + dlqURL,
			"RECEIPT_EVENT_BUS=privacy-receipts",
		},
	})
	stack.Tencent.FailAccounts(timtest.CodeInternal, "stuck-1")
	sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["done-1"]}`, nil)
	sqs.Put(sourceURL, `{"type":"user.deleted","accounts":["stuck-1"]}`, nil)
	sqs.Put(sourceURL, `{"type":"bogus","accounts":["bad-1"]}`, nil)
	records := sqs.Receive(sourceURL, 10)
	raw, err := json.Marshal(events.SQSEvent{Records: records})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	out := invoke(t, stack, raw)
	took := time.Since(began)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("response %s is not a batch response (%v); output:\n%s", out, err, stack.Output())
	}
	if took >= timeout {
		t.Errorf("the invocation took %v, past its %v timeout", took, timeout)
	}
	var failed, want []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	for _, r := range records {
		want = append(want, r.MessageId)
	}
	if !slices.Equal(failed, want) {
		t.Errorf("batchItemFailures %q, want every message %q", failed, want)
	}
	if strings.Contains(stack.Output(), "cannot be relied on") {
		t.Errorf("the wiring check did not find the mapping; the test meant it to:\n%s", stack.Output())
	}
	count := func() int { return strings.Count(stack.Output(), `"msg":"audit"`) }
	settle(func() bool { return count() >= len(records) })
	if n := count(); n != len(records) {
		t.Errorf("%d audit lines, want %d", n, len(records))
	}
	t.Logf("answered in %v of a %v timeout, with PutEvents, SendMessageBatch and ChangeMessageVisibilityBatch each taking %v", took.Round(time.Millisecond), timeout, slow)
}

// mappingStandIn answers ListEventSourceMappings with a mapping from
// queueARN, reporting batch item failures, to the emulator's function
// under any account and region, and returns its URL.
func mappingStandIn(t *testing.T, queueARN string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var mappings []any
		if r.URL.Query().Get("EventSourceArn") == queueARN {
			mappings = append(mappings, map[string]any{
				"UUID": "00000000-0000-0000-0000-000000000001", "EventSourceArn": queueARN,
				"FunctionArn":           emulatorFunctionARN,
				"FunctionResponseTypes": []string{"ReportBatchItemFailures"}, "State": "Enabled",
			})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"EventSourceMappings": mappings})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// emulatorFunctionARN is the ARN the emulator invokes the function as.
const emulatorFunctionARN = "arn:aws:lambda:us-east-1:012345678912:function:" + localrun.FunctionName
