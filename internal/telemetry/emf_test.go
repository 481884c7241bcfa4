package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// Limits of the Embedded Metric Format and of the CloudWatch API it feeds:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
const (
	maxNamespaceLen      = 255
	maxDimensionsPerSet  = 30
	maxMetricsPerDirect  = 100
	maxDimensionNameLen  = 250
	maxDimensionValueLen = 1024
	maxMetricNameLen     = 1024
	maxValuesPerMetric   = 100
)

// units are the values a MetricDefinition's Unit may take (CloudWatch's
// StandardUnit).
var units = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true,
	"Bytes": true, "Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

// checkEMF returns every way line breaks the EMF specification; nil means
// it is a valid EMF document. It knows nothing of this package's metrics.
func checkEMF(line string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	if dec.More() {
		bad("data after the JSON object")
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return append(problems, `no "_aws" object at the root`)
	}
	for k := range meta {
		if k != "Timestamp" && k != "CloudWatchMetrics" && k != "LogGroupName" {
			bad("_aws has an unknown member %q", k)
		}
	}
	ts, ok := meta["Timestamp"].(json.Number)
	if !ok {
		bad("_aws.Timestamp is not a number: %v", meta["Timestamp"])
	} else if n, err := ts.Int64(); err != nil || strings.ContainsAny(ts.String(), ".eE") {
		bad("_aws.Timestamp %s is not an integer", ts)
	} else if n < time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
		bad("_aws.Timestamp %d is not milliseconds since the epoch", n)
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok {
		return append(problems, "_aws.CloudWatchMetrics is not an array")
	}
	if len(directives) == 0 {
		bad("_aws.CloudWatchMetrics is empty")
	}
	for i, d := range directives {
		dir, ok := d.(map[string]any)
		if !ok {
			bad("directive %d is not an object", i)
			continue
		}
		for k := range dir {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				bad("directive %d has an unknown member %q", i, k)
			}
		}
		ns, ok := dir["Namespace"].(string)
		switch {
		case !ok:
			bad("directive %d: Namespace is not a string", i)
		case len(ns) < 1 || len(ns) > maxNamespaceLen || strings.TrimSpace(ns) == "":
			bad("directive %d: Namespace %q must be 1 to %d characters, not all blank", i, ns, maxNamespaceLen)
		}
		dimNames := map[string]bool{}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			bad("directive %d: Dimensions is not an array", i)
		}
		for j, s := range sets {
			set, ok := s.([]any)
			if !ok {
				bad("directive %d: DimensionSet %d is not an array", i, j)
				continue
			}
			if len(set) > maxDimensionsPerSet {
				bad("directive %d: DimensionSet %d has %d dimensions, at most %d", i, j, len(set), maxDimensionsPerSet)
			}
			for _, n := range set {
				name, ok := n.(string)
				if !ok {
					bad("directive %d: DimensionSet %d holds a non-string %v", i, j, n)
					continue
				}
				dimNames[name] = true
				if name == "" || len(name) > maxDimensionNameLen || strings.HasPrefix(name, ":") {
					bad("directive %d: dimension name %q is invalid", i, name)
				}
				v, ok := root[name].(string)
				switch {
				case !ok:
					bad("dimension %q is not a string member of the root (got %v)", name, root[name])
				case strings.TrimSpace(v) == "" || len(v) > maxDimensionValueLen || !isASCII(v):
					bad("dimension %q has invalid value %q: 1 to %d ASCII characters, not all blank", name, v, maxDimensionValueLen)
				}
			}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok {
			bad("directive %d: Metrics is not an array", i)
		}
		if len(metrics) > maxMetricsPerDirect {
			bad("directive %d: %d metrics, at most %d", i, len(metrics), maxMetricsPerDirect)
		}
		for j, m := range metrics {
			def, ok := m.(map[string]any)
			if !ok {
				bad("directive %d: metric %d is not an object", i, j)
				continue
			}
			for k := range def {
				if k != "Name" && k != "Unit" && k != "StorageResolution" {
					bad("directive %d: metric %d has an unknown member %q", i, j, k)
				}
			}
			name, ok := def["Name"].(string)
			if !ok || name == "" || len(name) > maxMetricNameLen {
				bad("directive %d: metric %d: Name %v must be a string of 1 to %d characters", i, j, def["Name"], maxMetricNameLen)
				continue
			}
			if dimNames[name] {
				bad("metric %q is also a dimension", name)
			}
			if u, present := def["Unit"]; present {
				if s, ok := u.(string); !ok || !units[s] {
					bad("metric %q: Unit %v is not a CloudWatch unit", name, u)
				}
			}
			if r, present := def["StorageResolution"]; present {
				if n, ok := r.(json.Number); !ok || (n.String() != "1" && n.String() != "60") {
					bad("metric %q: StorageResolution %v is not 1 or 60", name, r)
				}
			}
			switch v := root[name].(type) {
			case json.Number:
				if f, err := v.Float64(); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					bad("metric %q: value %v is not a finite number", name, v)
				}
			case []any:
				if len(v) == 0 || len(v) > maxValuesPerMetric {
					bad("metric %q: %d values, want 1 to %d", name, len(v), maxValuesPerMetric)
				}
				for _, e := range v {
					if _, ok := e.(json.Number); !ok {
						bad("metric %q: array value %v is not a number", name, e)
					}
				}
			default:
				bad("metric %q is not a number member of the root (got %v)", name, root[name])
			}
		}
	}
	return problems
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return false
		}
	}
	return true
}

// validateEMF fails t unless line is a valid EMF document.
func validateEMF(t *testing.T, line string) {
	t.Helper()
	for _, p := range checkEMF(line) {
		t.Errorf("invalid EMF: %s\n%s", p, line)
	}
}

// The validator must catch what it claims to, or the tests below prove
// nothing.
func TestCheckEMFRejects(t *testing.T) {
	const ok = `{"_aws":{"Timestamp":1764237600000,"CloudWatchMetrics":[{"Namespace":"NS","Dimensions":[["Fn"]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},"Fn":"f","M":1}`
	if p := checkEMF(ok); p != nil {
		t.Fatalf("valid document rejected: %v", p)
	}
	tests := []struct {
		name, line, want string
	}{
		{"not JSON", `{"_aws":`, "not a JSON object"},
		{"trailing data", ok + ` {}`, "data after"},
		{"no _aws", `{"M":1}`, `no "_aws"`},
		{"float timestamp", strings.Replace(ok, "1764237600000", "1764237600000.5", 1), "not an integer"},
		{"seconds timestamp", strings.Replace(ok, "1764237600000", "1764237600", 1), "not milliseconds"},
		{"string timestamp", strings.Replace(ok, "1764237600000", `"1764237600000"`, 1), "not a number"},
		{"empty namespace", strings.Replace(ok, `"NS"`, `""`, 1), "Namespace"},
		{"long namespace", strings.Replace(ok, `"NS"`, `"`+strings.Repeat("n", 256)+`"`, 1), "Namespace"},
		{"dimension missing at root", strings.Replace(ok, `"Fn":"f",`, ``, 1), `dimension "Fn" is not a string member`},
		{"dimension not a string", strings.Replace(ok, `"Fn":"f"`, `"Fn":3`, 1), `dimension "Fn" is not a string member`},
		{"empty dimension value", strings.Replace(ok, `"Fn":"f"`, `"Fn":""`, 1), "invalid value"},
		{"dimension set not an array", strings.Replace(ok, `[["Fn"]]`, `["Fn"]`, 1), "is not an array"},
		{"too many dimensions", strings.Replace(ok, `[["Fn"]]`, `[[`+strings.Repeat(`"Fn",`, 30)+`"Fn"]]`, 1), "at most 30"},
		{"bad unit", strings.Replace(ok, `"Count"`, `"Things"`, 1), "not a CloudWatch unit"},
		{"metric missing at root", strings.Replace(ok, `,"M":1`, ``, 1), `metric "M" is not a number member`},
		{"metric not a number", strings.Replace(ok, `"M":1`, `"M":"1"`, 1), `metric "M" is not a number member`},
		{"unknown directive member", strings.Replace(ok, `"Namespace"`, `"Extra":1,"Namespace"`, 1), "unknown member"},
		{"no metrics array", strings.Replace(ok, `"Metrics":[{"Name":"M","Unit":"Count"}]`, `"Metrics":{}`, 1), "Metrics is not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := checkEMF(tt.line)
			if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("checkEMF = %q, want a problem containing %q", p, tt.want)
			}
		})
	}
}

// doc is the decoded form of one line the Metrics emits.
type doc struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	raw map[string]any
}

// metricNames lists the directive's metrics as "Name/Unit".
func (d doc) metricNames() []string {
	var names []string
	for _, m := range d.AWS.CloudWatchMetrics[0].Metrics {
		names = append(names, m.Name+"/"+m.Unit)
	}
	return names
}

func observeMetrics(t *testing.T, w *telemetry.Metrics, r *eraser.Report) []doc {
	t.Helper()
	var buf bytes.Buffer
	w.Out = &buf
	w.Observe(context.Background(), r)
	out := buf.String()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	var docs []doc
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		validateEMF(t, line)
		var d doc
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(line), &d.raw); err != nil {
			t.Fatal(err)
		}
		if len(d.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("want one directive per line: %s", line)
		}
		docs = append(docs, d)
	}
	return docs
}

func failed(class erasure.Class) eraser.MessageResult {
	return eraser.MessageResult{MessageID: "m", Outcome: eraser.Failed, Class: class, Err: errors.New("x")}
}

func TestWriterLines(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 123_456_789, time.UTC)
	counters := eraser.Report{AccountsErased: 180, AccountsVerified: 170, AccountsUnverified: 3, Calls: 9, Retries: 4, RateLimited: 2, Duration: 2500*time.Millisecond + 700*time.Microsecond}
	tests := []struct {
		name      string
		namespace string
		function  string
		messages  []eraser.MessageResult
		// wantFailed is the MessagesFailed line of each class, in order.
		wantFailed []string
		want       map[string]int
	}{
		{
			name: "no failures: one line", namespace: "AttrEraser", function: "attr-eraser-prod",
			messages: []eraser.MessageResult{{MessageID: "m", Outcome: eraser.Erased}},
		},
		{
			name: "one line per failure class, sorted", namespace: "Custom/Erasure", function: "fn",
			messages: []eraser.MessageResult{
				{MessageID: "ok", Outcome: eraser.Erased},
				failed("retryable"), failed("signature"), failed("retryable"),
				{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid},
				failed(erasure.Deadline),
			},
			wantFailed: []string{"deadline", "invalid", "retryable", "signature"},
			want:       map[string]int{"deadline": 1, "invalid": 1, "retryable": 2, "signature": 1},
		},
		{
			name: "outside Lambda: no FunctionName dimension", namespace: "AttrEraser", function: "",
			messages:   []eraser.MessageResult{failed("retryable")},
			wantFailed: []string{"retryable"},
			want:       map[string]int{"retryable": 1},
		},
		{
			name: "a failure without a class counts as unknown", namespace: "AttrEraser", function: "fn",
			messages:   []eraser.MessageResult{failed(""), failed("unknown")},
			wantFailed: []string{"unknown"},
			want:       map[string]int{"unknown": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := counters
			r.Messages = tt.messages
			w := &telemetry.Metrics{Namespace: tt.namespace, FunctionName: tt.function, Now: func() time.Time { return now }}
			docs := observeMetrics(t, w, &r)
			if len(docs) != 1+len(tt.wantFailed) {
				t.Fatalf("got %d lines, want %d", len(docs), 1+len(tt.wantFailed))
			}
			var fnDims []string
			if tt.function != "" {
				fnDims = []string{telemetry.DimFunctionName}
			}
			for i, d := range docs {
				dir := d.AWS.CloudWatchMetrics[0]
				if d.AWS.Timestamp != now.UnixMilli() {
					t.Errorf("line %d: Timestamp %d, want %d", i, d.AWS.Timestamp, now.UnixMilli())
				}
				if dir.Namespace != tt.namespace {
					t.Errorf("line %d: Namespace %q, want %q", i, dir.Namespace, tt.namespace)
				}
				if tt.function != "" && d.raw[telemetry.DimFunctionName] != tt.function {
					t.Errorf("line %d: FunctionName %v, want %q", i, d.raw[telemetry.DimFunctionName], tt.function)
				}
				if _, present := d.raw[telemetry.DimFunctionName]; tt.function == "" && present {
					t.Errorf("line %d: FunctionName present without a function name", i)
				}
				wantDims := fnDims
				if i > 0 {
					wantDims = append(slices.Clone(fnDims), telemetry.DimClass)
				}
				if len(dir.Dimensions) != 1 || !slices.Equal(dir.Dimensions[0], wantDims) {
					t.Errorf("line %d: Dimensions %v, want [%v]", i, dir.Dimensions, wantDims)
				}
			}

			main := docs[0]
			wantMetrics := []string{"AccountsErased/Count", "AccountsVerified/Count", "AccountsUnverified/Count", "ApiCalls/Count", "ApiRetries/Count", "RateLimited/Count", "InvocationDurationMs/Milliseconds", "MessagesRequeued/Count", "MessagesDeadLettered/Count"}
			if got := main.metricNames(); !slices.Equal(got, wantMetrics) {
				t.Errorf("metrics %v, want %v", got, wantMetrics)
			}
			for name, want := range map[string]float64{telemetry.AccountsErased: 180, telemetry.AccountsVerified: 170, telemetry.AccountsUnverified: 3, telemetry.ApiCalls: 9, telemetry.ApiRetries: 4, telemetry.RateLimited: 2, telemetry.InvocationDurationMs: 2500} {
				if main.raw[name] != want {
					t.Errorf("%s = %v, want %v", name, main.raw[name], want)
				}
			}
			if _, present := main.raw[telemetry.MessagesFailed]; present {
				t.Error("MessagesFailed on the counters line, where it has no Class")
			}

			for i, class := range tt.wantFailed {
				d := docs[1+i]
				if got := d.metricNames(); !slices.Equal(got, []string{"MessagesFailed/Count"}) {
					t.Errorf("failure line %d: metrics %v, want MessagesFailed/Count", i, got)
				}
				if d.raw[telemetry.DimClass] != class || d.raw[telemetry.MessagesFailed] != float64(tt.want[class]) {
					t.Errorf("failure line %d: Class %v MessagesFailed %v, want %s %d", i, d.raw[telemetry.DimClass], d.raw[telemetry.MessagesFailed], class, tt.want[class])
				}
			}
		})
	}
}

func TestWriterDefaultClock(t *testing.T) {
	before := time.Now().UnixMilli()
	docs := observeMetrics(t, &telemetry.Metrics{Namespace: "AttrEraser", FunctionName: "fn"}, &eraser.Report{})
	if ts := docs[0].AWS.Timestamp; ts < before || ts > time.Now().UnixMilli() {
		t.Errorf("Timestamp %d is not the current time in milliseconds", ts)
	}
}

// Concurrent invocations share one Metrics; their lines must not interleave.
func TestWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w := &telemetry.Metrics{Out: &buf, Namespace: "AttrEraser", FunctionName: "fn"}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Observe(context.Background(), &eraser.Report{Messages: []eraser.MessageResult{failed("retryable"), failed("signature")}})
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 16*3 {
		t.Fatalf("got %d lines, want %d", len(lines), 16*3)
	}
	for _, l := range lines {
		validateEMF(t, l)
	}
}

// TestPendingAgeAndHandOffs: every erasure still to be done reports its age
// (from occurredAt, else its first receive, carried across requeues), in
// lines of at most 100 values; requeued and dead-lettered messages are
// counted, and a requeued one is not a failure.
func TestPendingAgeAndHandOffs(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	firstReceived := now.Add(-90 * time.Second)
	pending := func(occurredAt string, first time.Time) eraser.MessageResult {
		m := failed(erasure.Retryable)
		m.Request.OccurredAt = occurredAt
		m.Lineage.FirstReceived = first
		return m
	}
	requeued := pending("", firstReceived)
	requeued.Class, requeued.Unreached, requeued.HandOff = erasure.Deadline, true, eraser.Requeued
	deadLettered := eraser.MessageResult{MessageID: "bad", Outcome: eraser.Invalid, Class: erasure.Invalid, HandOff: eraser.DeadLettered, Lineage: eraser.Lineage{FirstReceived: firstReceived}}
	messages := []eraser.MessageResult{
		{MessageID: "ok", Outcome: eraser.Erased, Lineage: eraser.Lineage{FirstReceived: firstReceived}},
		pending("2026-11-25T09:00:00Z", firstReceived), // occurredAt wins: 3600 s
		pending("not a time", firstReceived),           // first receive: 90 s
		pending("", time.Time{}),                       // no age known
		requeued,                                       // 90 s, not a failure
		deadLettered,                                   // given up on: no age
	}
	for range 150 {
		messages = append(messages, pending("", firstReceived))
	}
	w := &telemetry.Metrics{Namespace: "AttrEraser", FunctionName: "fn", Now: func() time.Time { return now }}
	docs := observeMetrics(t, w, &eraser.Report{Messages: messages})

	if docs[0].raw[telemetry.MessagesRequeued] != float64(1) || docs[0].raw[telemetry.MessagesDeadLettered] != float64(1) {
		t.Errorf("requeued, dead-lettered = %v, %v; want 1, 1", docs[0].raw[telemetry.MessagesRequeued], docs[0].raw[telemetry.MessagesDeadLettered])
	}
	var ages []float64
	lines := 0
	for _, d := range docs[1:] {
		if d.raw[telemetry.DimClass] == string(erasure.Deadline) {
			t.Error("a requeued message counted as failed with class deadline")
		}
		raw, ok := d.raw[telemetry.PendingAge].([]any)
		if !ok {
			continue
		}
		lines++
		if got := d.metricNames(); !slices.Equal(got, []string{"PendingAge/Seconds"}) {
			t.Errorf("PendingAge line metrics %v", got)
		}
		if d.raw[telemetry.DimFunctionName] != "fn" || len(raw) > 100 {
			t.Errorf("PendingAge line: FunctionName %v, %d values", d.raw[telemetry.DimFunctionName], len(raw))
		}
		for _, v := range raw {
			ages = append(ages, v.(float64))
		}
	}
	// 1 from occurredAt, 1 from the first receive, the requeued one, and 150.
	if len(ages) != 153 || lines != 2 {
		t.Fatalf("%d ages on %d lines, want 153 on 2", len(ages), lines)
	}
	if ages[0] != 3600 || ages[1] != 90 || ages[2] != 90 {
		t.Errorf("ages start %v, want [3600 90 90]", ages[:3])
	}
	// A dry run erases nothing on purpose: it must not raise PendingAgeAlarm.
	for _, d := range observeMetrics(t, w, &eraser.Report{Messages: messages, DryRun: true}) {
		if _, ok := d.raw[telemetry.PendingAge]; ok {
			t.Fatal("a dry run reported PendingAge")
		}
	}
}

// TestErasureLatency: each acknowledged, erased message with an RFC 3339
// occurredAt reports how long its erasure took; others report nothing.
func TestErasureLatency(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	erased := func(occurredAt string) eraser.MessageResult {
		return eraser.MessageResult{MessageID: "m", Outcome: eraser.Erased, Request: erasure.Request{OccurredAt: occurredAt}}
	}
	receiptFailed := erased("2026-11-25T09:00:00Z")
	receiptFailed.ReceiptErr = errors.New("PutEvents failed")
	notErased := failed(erasure.Retryable)
	notErased.Request.OccurredAt = "2026-11-25T09:00:00Z"
	report := &eraser.Report{Messages: []eraser.MessageResult{
		erased("2026-11-22T10:00:00Z"),      // three days
		erased("2026-11-25T09:59:30+00:00"), // 30 s
		erased("yesterday"),                 // not RFC 3339
		erased(""),
		receiptFailed, // not done until its receipt is put
		notErased,
	}}
	w := &telemetry.Metrics{Namespace: "AttrEraser", FunctionName: "fn", Now: func() time.Time { return now }}
	var got []float64
	for _, d := range observeMetrics(t, w, report) {
		raw, ok := d.raw[telemetry.ErasureLatency].([]any)
		if !ok {
			continue
		}
		if names := d.metricNames(); !slices.Equal(names, []string{"ErasureLatency/Seconds"}) || d.raw[telemetry.DimFunctionName] != "fn" {
			t.Errorf("ErasureLatency line: metrics %v, FunctionName %v", names, d.raw[telemetry.DimFunctionName])
		}
		for _, v := range raw {
			got = append(got, v.(float64))
		}
	}
	if want := []float64{3 * 24 * 3600, 30}; !slices.Equal(got, want) {
		t.Errorf("ErasureLatency = %v, want %v", got, want)
	}
}

// TestBackfillAges: a backfill keeps the real, old occurredAt for the audit
// log; its ages count from backfilledAt, so that neither ErasureLatencyAlarm
// nor PendingAgeAlarm fires on the deletion dates of long ago.
func TestBackfillAges(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const old = "2024-01-01T00:00:00Z" // nearly three years before now
	req := func(backfilledAt string) erasure.Request {
		return erasure.Request{OccurredAt: old, BackfilledAt: backfilledAt}
	}
	erased := func(backfilledAt string) eraser.MessageResult {
		return eraser.MessageResult{MessageID: "e", Outcome: eraser.Erased, Request: req(backfilledAt)}
	}
	pending := func(backfilledAt string, first time.Time) eraser.MessageResult {
		m := failed(erasure.Retryable)
		m.Request = req(backfilledAt)
		m.Lineage.FirstReceived = first
		return m
	}
	report := &eraser.Report{Messages: []eraser.MessageResult{
		erased("2026-12-07T09:00:00Z"),                         // 3600 s, not three years
		erased("not a time"),                                   // a backfill without a usable time: none
		pending("2026-12-07T09:58:00Z", now.Add(-time.Minute)), // the earlier: 120 s
		pending("not a time", now.Add(-time.Minute)),           // first receive: 60 s
	}}
	w := &telemetry.Metrics{Namespace: "AttrEraser", FunctionName: "fn", Now: func() time.Time { return now }}
	values := map[string][]float64{}
	for _, d := range observeMetrics(t, w, report) {
		for _, name := range []string{telemetry.ErasureLatency, telemetry.PendingAge} {
			if raw, ok := d.raw[name].([]any); ok {
				for _, v := range raw {
					values[name] = append(values[name], v.(float64))
				}
			}
		}
	}
	if got, want := values[telemetry.ErasureLatency], []float64{3600}; !slices.Equal(got, want) {
		t.Errorf("ErasureLatency = %v, want %v", got, want)
	}
	if got, want := values[telemetry.PendingAge], []float64{120, 60}; !slices.Equal(got, want) {
		t.Errorf("PendingAge = %v, want %v", got, want)
	}
}

// TestMetricsWriteOnce: a batch's metric lines leave in one write.
func TestMetricsWriteOnce(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var messages []eraser.MessageResult
	for range 250 { // three lines of each per-message metric, besides the counters
		m := failed(erasure.Retryable)
		m.Lineage.FirstReceived = now.Add(-time.Minute)
		messages = append(messages, m)
	}
	var w writes
	(&telemetry.Metrics{Out: &w, Namespace: "AttrEraser", FunctionName: "fn", Now: func() time.Time { return now }}).
		Observe(context.Background(), &eraser.Report{Messages: messages})
	if len(w.each) != 1 {
		t.Fatalf("%d writes, want 1", len(w.each))
	}
	lines := strings.Split(strings.TrimSuffix(w.each[0], "\n"), "\n")
	if len(lines) < 5 {
		t.Errorf("%d lines, want the counters, a class and per-message values", len(lines))
	}
	for _, line := range lines {
		validateEMF(t, line)
	}
}
