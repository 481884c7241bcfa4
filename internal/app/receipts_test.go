package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/receipts/eventstest"
	"github.com/attr-eraser/attr-eraser/internal/signingkey/secretstest"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestReceiptsWiring runs the real handler with RECEIPT_EVENT_BUS and
// ERASE_TAGS set: an erased message yields one "Erasure Completed" event on
// that bus naming both parts and no account; when the bus refuses the
// receipt, the message is not acknowledged.
func TestReceiptsWiring(t *testing.T) {
	key := timtest.NewKey()
	tencent, err := timtest.Start(timtest.Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tencent.Close)
	secrets, err := secretstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	arn := secrets.Put("attr-eraser/key", fmt.Sprintf(`{"key":%q,"sdkAppId":%d}`, key, timtest.DefaultSDKAppID))
	bus, err := eventstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	secrets.SetEnv(t.Setenv)
	bus.SetEnv(t.Setenv)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.URL())

	env := map[string]string{
		config.EnvSecretID:        arn,
		config.EnvBaseURL:         tencent.URL(),
		config.EnvEraseTags:       "true",
		config.EnvReceiptEventBus: "privacy-receipts",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	out := &capture.Buffer{}
	h := app.New(context.Background(), cfg, nil, out, app.Options{})
	record := events.SQSMessage{MessageId: "m-1", Body: `{"type":"gdpr.erasure","accounts":["receipt-user-1"],"eventId":"dsar-7"}`,
		EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:erasure"}

	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %v, failures %v\n%s", err, resp.BatchItemFailures, out)
	}
	evs := bus.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	var detail struct {
		EventID   string   `json:"eventId"`
		MessageID string   `json:"messageId"`
		Accounts  int      `json:"accounts"`
		Erased    []string `json:"erased"`
	}
	if err := json.Unmarshal([]byte(evs[0].Detail), &detail); err != nil {
		t.Fatal(err)
	}
	if evs[0].DetailType != "Erasure Completed" || evs[0].Source != "attr-eraser" || !strings.HasSuffix(evs[0].EventBus, "privacy-receipts") ||
		detail.EventID != "dsar-7" || detail.MessageID != "m-1" || detail.Accounts != 1 || strings.Join(detail.Erased, ",") != "attrs,tags" {
		t.Errorf("event %+v, detail %+v", evs[0], detail)
	}
	for _, body := range bus.Bodies() {
		if strings.Contains(body, "receipt-user-1") {
			t.Fatal("a raw account id reached EventBridge")
		}
	}

	bus.FailCalls("AccessDeniedException", -1, nil)
	resp, err = h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record}})
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Errorf("with the bus refusing: err %v, failures %v; want the message failed", err, resp.BatchItemFailures)
	}
}
