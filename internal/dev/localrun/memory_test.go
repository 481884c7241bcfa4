package localrun_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/lambdasize"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// largestEvent is the SQS event with the most accounts 6 MiB can hold:
// 10,000-account messages of distinct 3-4 byte ids, as Lambda builds its
// records. It returns the event and its accounts.
func largestEvent(t *testing.T) ([]byte, int) {
	t.Helper()
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	n := len(alphabet) * len(alphabet) // the first 3-byte id
	next := func() string {
		id := []byte{alphabet[n%62], alphabet[n/62%62], alphabet[n/(62*62)%62]}
		if n >= 62*62*62 {
			id = append(id, alphabet[n/(62*62*62)%62])
		}
		n++
		return string(id)
	}
	var ev events.SQSEvent
	var raw []byte
	for m := 0; ; m++ {
		ids := make([]string, 10_000)
		for i := range ids {
			ids[i] = next()
		}
		body := fmt.Sprintf(`{"type":"user.deleted","accounts":["%s"],"eventId":"largest-%d"}`, strings.Join(ids, `","`), m)
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: fmt.Sprintf("largest-%03d", m), ReceiptHandle: strings.Repeat("r", 300), Body: body,
			Md5OfBody: strings.Repeat("0", 32), EventSource: "aws:sqs", AWSRegion: "eu-central-1",
			EventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:attr-eraser-ErasureQueue",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": "1796594000000",
				"SentTimestamp": "1796594000000", "SenderId": "AIDAEXAMPLEEXAMPLE"},
		})
		next, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(next) > 6<<20 {
			return raw, (len(ev.Records) - 1) * 10_000
		}
		raw = next
	}
}

// templateMemorySize is the function's MemorySize in template.yaml.
func templateMemorySize(t *testing.T) int {
	t.Helper()
	raw, err := os.ReadFile("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+MemorySize:\s*(\d+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("template.yaml: no MemorySize")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestLargestEvent runs the largest event through the release bootstrap in
// a Lambda-sized group: at the template's MemorySize it is processed whole,
// with nothing handed on for memory, under 70 % of MemorySize; at 128 MB
// (the smallest size worth having) what does not fit is handed on and
// nothing is killed for memory. The bootstrap is built with devrate so
// that its 7,100 calls take seconds: the rate changes nothing the function
// holds in memory.
func TestLargestEvent(t *testing.T) {
	lambdasize.RequireAvailable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fast, fastRIE, err := localrun.BuildTagged(ctx, t.TempDir(), "devrate")
	if err != nil {
		t.Fatal(err)
	}
	event, accounts := largestEvent(t)
	sizes := []struct {
		memoryMB  int
		whole     bool
		peakShare float64 // of MemorySize
	}{
		{templateMemorySize(t), true, 0.7},
		{128, false, 1},
	}
	for _, tt := range sizes {
		t.Run(fmt.Sprintf("%d MB", tt.memoryMB), func(t *testing.T) {
			stack, err := localrun.Start(ctx, localrun.Options{Bootstrap: fast, RIE: fastRIE, MemoryMB: tt.memoryMB,
				Timeout: 10 * time.Minute, Env: []string{"RATE_LIMIT_PER_SECOND=100000"}})
			if err != nil {
				t.Fatal(err)
			}
			defer stack.Close()
			raw, err := stack.Invoke(ctx, event)
			if err != nil {
				t.Fatalf("%v\n%s", err, stack.Output())
			}
			hwm, err := stack.BootstrapVmHWM()
			if err != nil {
				t.Fatal(err)
			}
			stats, err := stack.Group.Stats()
			if err != nil {
				t.Fatal(err)
			}
			var resp events.SQSEventResponse
			if err := json.Unmarshal(raw, &resp); err != nil {
				t.Fatalf("response %.300s", raw)
			}
			settle(func() bool { return strings.Contains(stack.Output(), `"msg":"batch processed"`) })
			handedOn := strings.Count(stack.Output(), `"class":"capacity"`) > 0
			t.Logf("%d accounts in %d bytes: %d messages failed, handed on for memory: %v; %v; bootstrap VmHWM %.1f MiB",
				accounts, len(event), len(resp.BatchItemFailures), handedOn, stats, float64(hwm)/(1<<20))
			switch {
			case stats.OOMKills > 0:
				t.Errorf("the function was killed for memory")
			case tt.whole && (len(resp.BatchItemFailures) > 0 || handedOn):
				t.Errorf("%d messages failed, handed on for memory: %v; want the event processed whole", len(resp.BatchItemFailures), handedOn)
			case !tt.whole && !handedOn:
				t.Errorf("nothing handed on at %d MB; the test no longer shows the bound", tt.memoryMB)
			case float64(hwm) > tt.peakShare*float64(tt.memoryMB<<20):
				t.Errorf("peak RSS %.1f MiB, want under %.0f %% of %d MB", float64(hwm)/(1<<20), 100*tt.peakShare, tt.memoryMB)
			}
		})
	}
}
