package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

func TestRequestIDAndLevel(t *testing.T) {
	var buf bytes.Buffer
	logger := telemetry.NewLogger(&buf, slog.LevelWarn).With("component", "test")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	logger.InfoContext(ctx, "dropped below warn")
	logger.WarnContext(ctx, "kept", "n", 1)
	logger.Warn("outside an invocation")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	if first["requestId"] != "req-42" || first["level"] != "WARN" || first["component"] != "test" {
		t.Errorf("first line = %v", first)
	}
	if _, ok := second["requestId"]; ok {
		t.Errorf("line outside an invocation has a requestId: %v", second)
	}
}
