package localrun_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/lambdasize"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// TestLambdaSized runs the emulator and the bootstrap in a 128 MB group:
// one small batch fits, and the group and the bootstrap report what they
// used.
func TestLambdaSized(t *testing.T) {
	const memoryMB = 128
	lambdasize.RequireAvailable(t)
	stack := start(t, localrun.Options{MemoryMB: memoryMB})
	raw, _ := readEvent(t, "sqs-user-deleted.json")
	var resp events.SQSEventResponse
	if out := invoke(t, stack, raw); json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("response %s; output:\n%s", out, stack.Output())
	}
	// The emulator was told the size: its REPORT line says so.
	settle(func() bool { return strings.Contains(stack.Output(), "Memory Size:") })
	if !strings.Contains(stack.Output(), "Memory Size: 128 MB") {
		t.Errorf("no REPORT line with the group's size:\n%s", stack.Output())
	}

	hwm, err := stack.BootstrapVmHWM()
	if err != nil || hwm <= 0 {
		t.Errorf("bootstrap VmHWM %d, %v", hwm, err)
	}
	s, err := stack.Group.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.PeakBytes <= 0 || s.PeakBytes >= memoryMB<<20 || s.CPU <= 0 || s.OOMKills != 0 {
		t.Errorf("%v: want a peak under %d MB, some CPU and no OOM kill", s, memoryMB)
	}
	t.Logf("%v; bootstrap VmHWM %.1f MiB", s, float64(hwm)/(1<<20))
}
