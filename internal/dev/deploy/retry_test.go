package deploy

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// The retry schedule has one source, Mappings.RetrySchedule: the function's
// RETRY_BASE_SECONDS and RETRY_MAX_SECONDS and the redrive policy's
// maxReceiveCount all read it, and the README's table is recomputed from it.

const (
	readmePath   = "../../../README.md"
	retryMapping = "RetrySchedule"
	retryMapKey  = "Default"

	day = 86400
	// minRetrySpan: a failing message is retried for at least this long
	// before it reaches the DLQ.
	minRetrySpan = 1 * day
	// dlqAgeThreshold is DeadLetterQueueAgeAlarm's threshold: 7 days in the DLQ.
	dlqAgeThreshold = 7 * day
	// minDLQWarning: when DeadLetterQueueAgeAlarm fires, the oldest DLQ
	// message still has at least this long before SQS deletes it.
	minDLQWarning = 5 * day
	// maxVisibility is the longest visibility timeout SQS accepts (12 h).
	maxVisibility = 43200
)

func findInMap(mapping, key, name string) map[string]any {
	return map[string]any{"Fn::FindInMap": []any{mapping, key, name}}
}

// schedule is the retry schedule as the template defines it.
type schedule struct{ base, max, receives int }

// delay is how long the function hides a message after its n-th receive
// failed: min(base x 2^(n-1), max).
func (s schedule) delay(n int) int {
	d := s.base
	for i := 1; i < n && d < s.max; i++ {
		d *= 2
	}
	return min(d, s.max)
}

// span is the time from a message's first receive to its move to the DLQ
// (the receive after the last one allowed): the sum of the delays of
// receives 1..receives.
func (s schedule) span() int {
	total := 0
	for n := 1; n <= s.receives; n++ {
		total += s.delay(n)
	}
	return total
}

func loadSchedule(t *testing.T, tp tmpl) schedule {
	t.Helper()
	entry := get(map[string]any(tp), "Mappings", retryMapping, retryMapKey)
	num := func(name string) int {
		s, _ := scalar(get(entry, name))
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("Mappings.%s.%s.%s = %v, want an integer", retryMapping, retryMapKey, name, get(entry, name))
		}
		return n
	}
	return schedule{base: num("BaseSeconds"), max: num("MaxSeconds"), receives: num("MaxReceiveCount")}
}

// TestRetrySchedule: the schedule's values come from the mapping only, are
// valid for SQS, and keep a failing message retried for at least 24 h.
func TestRetrySchedule(t *testing.T) {
	tp := loadTemplate(t)
	table, _ := get(map[string]any(tp), "Mappings", retryMapping).(map[string]any)
	if len(table) != 1 || table[retryMapKey] == nil {
		t.Fatalf("Mappings.%s = %v, want exactly one entry %q", retryMapping, table, retryMapKey)
	}
	if keys, _ := table[retryMapKey].(map[string]any); len(keys) != 3 {
		t.Errorf("Mappings.%s.%s has %d values, want BaseSeconds, MaxSeconds, MaxReceiveCount", retryMapping, retryMapKey, len(keys))
	}
	s := loadSchedule(t, tp)
	switch {
	case s.base < 1:
		t.Errorf("BaseSeconds = %d, want >= 1", s.base)
	case s.max < s.base:
		t.Errorf("MaxSeconds = %d < BaseSeconds = %d", s.max, s.base)
	case s.max > maxVisibility:
		t.Errorf("MaxSeconds = %d > %d, the longest visibility timeout SQS accepts", s.max, maxVisibility)
	case s.receives < 1 || s.receives > 1000:
		t.Errorf("MaxReceiveCount = %d, want 1..1000 (SQS)", s.receives)
	}
	if span := s.span(); span < minRetrySpan {
		t.Errorf("schedule spans %d s over %d receives, want >= %d s (24 h)", span, s.receives, minRetrySpan)
	}
	if s == (schedule{30, 3600, 30}) && s.span() != 86610 {
		t.Errorf("30/3600 over 30 receives spans %d s, want 86,610", s.span())
	}

	// Every use reads the mapping; no copy of the numbers anywhere else.
	vars := tp.prop(functionID, "Environment", "Variables")
	for name, key := range map[string]string{"RETRY_BASE_SECONDS": "BaseSeconds", "RETRY_MAX_SECONDS": "MaxSeconds"} {
		if got, want := get(vars, name), findInMap(retryMapping, retryMapKey, key); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got, want := tp.prop(queueID, "RedrivePolicy", "maxReceiveCount"), findInMap(retryMapping, retryMapKey, "MaxReceiveCount"); !reflect.DeepEqual(got, want) {
		t.Errorf("%s RedrivePolicy.maxReceiveCount = %v, want %v", queueID, got, want)
	}
	uses := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if args, ok := x["Fn::FindInMap"].([]any); ok && len(args) > 0 && args[0] == retryMapping {
				uses++
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(tp["Resources"])
	if uses != 3 {
		t.Errorf("%s is used %d times, want 3 (RETRY_BASE_SECONDS, RETRY_MAX_SECONDS, maxReceiveCount)", retryMapping, uses)
	}
}

// retryTableHeader starts the README's retry-schedule table.
const retryTableHeader = "| receive n | then hidden for (s) | next receive at (s after the first) | h:mm:ss |"

// retryTable renders the README's table for s.
func retryTable(s schedule) []string {
	lines := []string{retryTableHeader, "|---:|---:|---:|---|"}
	total := 0
	for n := 1; n <= s.receives; n++ {
		d := s.delay(n)
		total += d
		hms := fmt.Sprintf("%d:%02d:%02d", total/3600, total%3600/60, total%60)
		if n == s.receives {
			hms += ": never; a failure on this receive is dead-lettered"
		}
		lines = append(lines, fmt.Sprintf("| %d | %s | %s | %s |", n, thousands(d), thousands(total), hms))
	}
	return lines
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestRetryScheduleREADME: the README's table is the template's schedule,
// row by row.
func TestRetryScheduleREADME(t *testing.T) {
	tp := loadTemplate(t)
	want := retryTable(loadSchedule(t, tp))
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == retryTableHeader {
			if start >= 0 {
				t.Fatalf("README has two retry-schedule tables (lines %d and %d)", start+1, i+1)
			}
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("README has no retry-schedule table; want:\n%s", strings.Join(want, "\n"))
	}
	var got []string
	for _, l := range lines[start:] {
		if !strings.HasPrefix(strings.TrimSpace(l), "|") {
			break
		}
		got = append(got, strings.TrimSpace(l))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("README retry-schedule table (line %d) differs from the template's schedule; want:\n%s", start+1, strings.Join(want, "\n"))
	}
}

// TestDeadLetterRetention: SQS deletes a DLQ message when the DLQ's retention
// has passed since the message was first sent to the erasure queue (a
// redrive keeps the enqueue time), while the DLQ's
// ApproximateAgeOfOldestMessage counts from the move. A message that failed
// through the whole schedule spent at least the schedule's span in the
// erasure queue, so DeadLetterQueueAgeAlarm must fire early enough to leave
// minDLQWarning after that.
func TestDeadLetterRetention(t *testing.T) {
	tp := loadTemplate(t)
	src, err1 := tp.intValue(tp.prop(queueID, "MessageRetentionPeriod"))
	dlq, err2 := tp.intValue(tp.prop(dlqID, "MessageRetentionPeriod"))
	if err1 != nil || err2 != nil {
		t.Fatalf("MessageRetentionPeriod: %v %v", err1, err2)
	}
	if dlq < src {
		t.Errorf("DLQ retention %d < source retention %d: a redriven message could expire on arrival", dlq, src)
	}
	threshold, err := tp.intValue(tp.prop(dlqAgeAlarmID, "Threshold"))
	if err != nil {
		t.Fatalf("%s Threshold: %v", dlqAgeAlarmID, err)
	}
	if threshold != dlqAgeThreshold {
		t.Errorf("%s Threshold = %d, want %d (7 days; the README says so)", dlqAgeAlarmID, threshold, dlqAgeThreshold)
	}
	span := loadSchedule(t, tp).span()
	if left := dlq - span - threshold; left < minDLQWarning {
		t.Errorf("retention %d - schedule %d - alarm threshold %d = %d s left when the DLQ age alarm fires, want >= %d (5 days)", dlq, span, threshold, left, minDLQWarning)
	}
}

// TestPendingAgeAlarm: the function's PendingAge metric (EMF, namespace
// METRICS_NAMESPACE, dimension FunctionName) above PendingAgeAlarmSeconds
// raises an alarm that stays in ALARM between the hourly retries of a stuck
// message and fires well before the schedule ends.
func TestPendingAgeAlarm(t *testing.T) {
	tp := loadTemplate(t)
	p := tp.param("PendingAgeAlarmSeconds")
	if get(p, "Type") != "Number" {
		t.Fatalf("PendingAgeAlarmSeconds = %v, want a Number parameter", p)
	}
	def, err := tp.intValue(ref("PendingAgeAlarmSeconds"))
	if err != nil || def != 21600 {
		t.Errorf("PendingAgeAlarmSeconds Default = %d (%v), want 21600 (6 h)", def, err)
	}
	s := loadSchedule(t, tp)
	if span := s.span(); def >= span {
		t.Errorf("PendingAgeAlarmSeconds Default %d >= schedule span %d: the alarm would fire only after the message reached the DLQ", def, span)
	}
	vis, _ := tp.intValue(tp.prop(queueID, "VisibilityTimeout"))
	for _, c := range combinations() {
		rt, err := tp.render(c.params)
		if err != nil {
			t.Fatalf("%s: render: %v", c.name, err)
		}
		t.Run(c.name, func(t *testing.T) {
			want := map[string]any{
				"Namespace":          ref("MetricsNamespace"),
				"MetricName":         telemetry.PendingAge,
				"Dimensions":         []any{map[string]any{"Name": telemetry.DimFunctionName, "Value": ref(functionID)}},
				"Statistic":          "Maximum",
				"DatapointsToAlarm":  1,
				"Threshold":          ref("PendingAgeAlarmSeconds"),
				"ComparisonOperator": "GreaterThanThreshold",
				"TreatMissingData":   "notBreaching",
			}
			for k, w := range want {
				if got := rt.prop(pendingAlarmID, k); !reflect.DeepEqual(got, w) {
					t.Errorf("%s = %#v, want %#v", k, got, w)
				}
			}
			period, err1 := tp.intValue(rt.prop(pendingAlarmID, "Period"))
			evals, err2 := tp.intValue(rt.prop(pendingAlarmID, "EvaluationPeriods"))
			if err1 != nil || err2 != nil {
				t.Fatalf("Period / EvaluationPeriods: %v %v", err1, err2)
			}
			// A stuck message is received again at most MaxSeconds after it
			// failed, plus the poll and the invocation (within the queue's
			// visibility timeout); one datapoint in the window keeps ALARM.
			if window := period * evals; window < s.max+vis {
				t.Errorf("Period x EvaluationPeriods = %d s < MaxSeconds %d + VisibilityTimeout %d: the alarm would clear between retries", window, s.max, vis)
			}
			if period*evals > day {
				t.Errorf("Period x EvaluationPeriods = %d s > 1 day (CloudWatch's limit)", period*evals)
			}
			checkAlarmActions(t, rt, pendingAlarmID, c)
		})
	}
}
