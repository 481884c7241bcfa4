package bench

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// TestOutputMeter feeds the meter what the emulator relays, cut at
// arbitrary points: lines are counted whole, whatever the writes.
func TestOutputMeter(t *testing.T) {
	audit := `{"time":"x","level":"WARN","msg":"audit","messageId":"m1","outcome":"failed","class":"capacity"}` + "\n"
	erased := `{"time":"x","level":"INFO","msg":"audit","messageId":"m2","outcome":"erased"}` + "\n"
	// A message of many accounts has its audit line in parts: one message.
	parts := `{"msg":"audit","messageId":"m3","class":"capacity","accountHashes":["a"],"part":1,"parts":2}` + "\n" +
		`{"msg":"audit","messageId":"m3","class":"capacity","accountHashes":["b"],"part":2,"parts":2}` + "\n"
	summary := `{"time":"x","level":"INFO","msg":"batch processed","messages":2,"requeued":3,"deadLettered":0}` + "\n"
	emulator := "06 Dec 2026 21:58:28,631 [INFO] (rapid) INVOKE START(requestId: r1)\nEND RequestId: r1\n"
	report := "REPORT RequestId: r1\tInit Duration: 0.03 ms\tDuration: 23.77 ms\tBilled Duration: 24 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t\n"
	all := emulator + audit + erased + parts + summary + report
	for _, cut := range []int{1, 7, 64, len(all)} {
		m := &outputMeter{}
		for s := all; s != ""; {
			n := min(cut, len(s))
			if _, err := m.Write([]byte(s[:n])); err != nil {
				t.Fatal(err)
			}
			s = s[n:]
		}
		got := m.snapshot()
		want := int64(len(audit) + len(erased) + len(parts) + len(summary))
		if got.FunctionBytes != want || got.Capacity != 2 || got.Requeued != 3 || len(got.Durations) != 1 || got.Durations[0] != 23.77 {
			t.Errorf("writes of %d bytes: %+v; want %d function bytes, 2 capacity, 3 requeued, one 23.77 ms duration", cut, got, want)
		}
	}
	m := &outputMeter{}
	_, _ = m.Write([]byte(report + audit))
	before := m.snapshot()
	_, _ = m.Write([]byte(strings.ReplaceAll(report, "23.77", "1000.2") + summary))
	if d := m.snapshot().since(before); d.FunctionBytes != int64(len(summary)) || d.Capacity != 0 || d.Requeued != 3 || len(d.Durations) != 1 || billedMs(d.Durations) != 1001 {
		t.Errorf("since: %+v", d)
	}
}

func TestShortIDs(t *testing.T) {
	three := len(idAlphabet) * len(idAlphabet) * len(idAlphabet)
	seen := map[string]bool{}
	for _, n := range []int{0, 1, 61, 62, three - 1, three, three + 1, 2 * three} {
		id := shortID(n)
		if seen[id] {
			t.Fatalf("shortID(%d) = %q repeats", n, id)
		}
		seen[id] = true
		if want := 3 + min(1, n/three); len(id) != want {
			t.Errorf("shortID(%d) = %q: %d bytes, want %d", n, id, len(id), want)
		}
	}
	if shortID(0) != "000" || shortID(three) != "0000" || shortID(63) != "011" {
		t.Errorf("shortID(0, three, 63) = %q %q %q", shortID(0), shortID(three), shortID(63))
	}
}

// TestLargestEvent: the largest event is what the event source mapping
// would deliver (under 6 MiB, full messages), and every message is valid
// with distinct accounts, so that a bench run measures the function and
// not a rejected event.
func TestLargestEvent(t *testing.T) {
	ev := LargestEvent(1000)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > MaxEventBytes {
		t.Fatalf("event of %d bytes > %d", len(raw), MaxEventBytes)
	}
	seen := map[string]bool{}
	for _, r := range ev.Records {
		req, err := erasure.Parse(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(req.Accounts) != erasure.MaxAccountsPerRequest {
			t.Fatalf("message of %d accounts", len(req.Accounts))
		}
		for _, a := range req.Accounts {
			if seen[a] || len(a) < 3 || len(a) > 4 {
				t.Fatalf("account %q repeated or not 3-4 bytes", a)
			}
			seen[a] = true
		}
	}
	// One more message would not fit.
	next, _ := json.Marshal(lambdaEvents([]string{largestBody(len(ev.Records))}, 1)[0].Records[0])
	if len(raw)+1+len(next) <= MaxEventBytes {
		t.Errorf("%d messages in %d bytes: another of %d bytes fits", len(ev.Records), len(raw), len(next))
	}
	if small := LargestEvent(5); len(small.Records) != 5 {
		t.Errorf("BatchSize 5: %d messages", len(small.Records))
	}
	t.Logf("%d messages, %d accounts, %d bytes", len(ev.Records), len(seen), len(raw))
}

func TestSQSRequests(t *testing.T) {
	recs := func(n, bodyBytes int) []events.SQSMessage {
		r := make([]events.SQSMessage, n)
		for i := range r {
			r[i] = events.SQSMessage{MessageId: "m", ReceiptHandle: "h", Body: strings.Repeat("x", bodyBytes)}
		}
		return r
	}
	for _, c := range []struct {
		name        string
		recs        []events.SQSMessage
		want        int
		description string
	}{
		{"25 small", recs(25, 100), 25 + 3 + 3, "a send each, 3 receives and 3 deletes"},
		{"10 of 10 KB", recs(10, 10<<10), 10 + 2 + 1, "100 KB received is 2 requests"},
		{"1 of 64 KB + 1", recs(1, 64<<10+1), 2 + 2 + 1, "a 64 KB + 1 byte message is 2 requests to send and to receive"},
	} {
		if got := sqsRequests(c.recs); got != c.want {
			t.Errorf("%s: %d requests, want %d (%s)", c.name, got, c.want, c.description)
		}
	}
}

func TestPerMillion(t *testing.T) {
	p := PriceList{LambdaGBSecond: 0.0000133334, LambdaRequest: 0.2e-6, LogsGB: 0.5, SQSRequest: 0.4e-6}
	// 1,000 invocations of 1 s at 1,024 MB, a million accounts, 1 GiB of
	// logs, 1.2 million SQS requests.
	c := p.PerMillion(Usage{Accounts: 1e6, Invocations: 1000, BilledMs: 1e6, LogBytes: 1 << 30, SQSRequests: 1.2e6}, 1024)
	want := Cost{Compute: 1000 * 0.0000133334, Requests: 0.0002, Logs: 0.5, SQS: 0.48}
	for _, f := range []struct{ got, want float64 }{{c.Compute, want.Compute}, {c.Requests, want.Requests}, {c.Logs, want.Logs}, {c.SQS, want.SQS}} {
		if math.Abs(f.got-f.want) > 1e-12 {
			t.Errorf("got %+v, want %+v", c, want)
		}
	}
	if c := p.PerMillion(Usage{}, 128); c.Total() != 0 {
		t.Errorf("no accounts: %+v", c)
	}
}

func TestChoose(t *testing.T) {
	drain := func(fraction, cpu float64, cost float64) InstanceDrain {
		return InstanceDrain{Shape: "s", Fraction: fraction, CPUUse: cpu, Cost: Cost{Compute: cost}}
	}
	whole := LargestRun{Accounts: 10, Erased: 10, VmHWMBytes: 100 << 20}
	line := func(mb int, single, hundred InstanceDrain, largest LargestRun) CapacityLine {
		return CapacityLine{MemoryMB: mb, Single: single, Hundred: hundred, Largest: largest}
	}
	lines := []CapacityLine{
		line(128, drain(0.3, 1, 0.1), drain(0.95, 0.2, 0.1), whole),       // too slow, and 100 MiB of 128
		line(256, drain(0.92, 0.8, 0.2), drain(0.95, 0.2, 0.2), whole),    // no CPU headroom
		line(512, drain(0.92, 0.5, 0.3), drain(0.95, 0.1, 0.3), whole),    // meets
		line(1024, drain(0.93, 0.3, 0.1), drain(0.96, 0.1, 0.1), whole),   // meets, cheaper
		line(1769, drain(0.93, 0.2, 0.05), drain(0.96, 0.1, 0.05), whole), // meets, cheapest
	}
	lines[4].Hundred.RateLimited = 1 // but a rejection
	if got := choose(lines); got != 3 {
		t.Errorf("choice %d, want 3 (1024 MB); shortfalls: %q", got, [][]string{lines[0].Shortfalls(), lines[1].Shortfalls(), lines[4].Shortfalls()})
	}
	if n := len(lines[0].Shortfalls()); n != 3 {
		t.Errorf("128 MB: %q, want the drain rate, the CPU and the memory", lines[0].Shortfalls())
	}
	lines[3].Largest.HandedOn = 2
	if got := choose(lines); got != 2 {
		t.Errorf("choice %d, want 2 (512 MB) once 1024 MB hands messages on", got)
	}
	if got := choose(lines[:2]); got != -1 {
		t.Errorf("choice %d among lines that miss, want -1", got)
	}
}

func TestEstimateAt(t *testing.T) {
	window := 1.04
	// 7,100 calls in 80 s at 100/s: 73.84 s of pacing, 6.16 s of the rest.
	l := LargestRun{Rate: 100, Calls: 7100, DurationS: 80, CPUSeconds: 5}
	if got, want := estimateAt(l, 50, 0.5), 80-7100*window/100+7100*window/50; math.Abs(got-want) > 1e-9 {
		t.Errorf("estimate %.3f s, want %.3f", got, want)
	}
	// CPU-bound: 20 s of CPU at 7 % of a CPU takes longer than the calls.
	l.CPUSeconds = 20
	if got := estimateAt(l, 50, 0.07); math.Abs(got-20/0.07) > 1e-9 {
		t.Errorf("CPU-bound estimate %.1f s, want %.1f", got, 20/0.07)
	}
}

// TestLambdaEvents cuts as the event source mapping does: BatchSize
// records, and a new event before one would pass 6 MiB.
func TestLambdaEvents(t *testing.T) {
	bodies := make([]string, 25)
	for i := range bodies {
		bodies[i] = DrainSingle.body(i)
	}
	evs := lambdaEvents(bodies, 10)
	if len(evs) != 3 || len(evs[0].Records) != 10 || len(evs[2].Records) != 5 {
		t.Fatalf("%d events", len(evs))
	}
	big := strings.Repeat("x", 1<<20-200)
	evs = lambdaEvents([]string{big, big, big, big, big, big, big}, 100)
	for _, ev := range evs {
		if raw, _ := json.Marshal(ev); len(raw) > MaxEventBytes {
			t.Errorf("event of %d bytes", len(raw))
		}
	}
	if len(evs) != 2 || len(evs[0].Records) != 5 {
		t.Errorf("seven 1 MiB bodies: %d events, the first of %d; want 5 and 2", len(evs), len(evs[0].Records))
	}
}
