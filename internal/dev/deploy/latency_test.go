package deploy

import (
	"reflect"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// gdprMonth is the time GDPR allows for an erasure (one month, taken as 30
// days): the latency alarm must be able to fire within it.
const gdprMonth = 30 * day

// TestErasureLatencyAlarm: the function's ErasureLatency metric (EMF,
// namespace METRICS_NAMESPACE, dimension FunctionName, one value per erased
// message: completion - occurredAt) above ErasureLatencyAlarmSeconds raises an
// alarm, notifying like every other alarm, in every combination.
func TestErasureLatencyAlarm(t *testing.T) {
	tp := loadTemplate(t)
	const param = "ErasureLatencyAlarmSeconds"
	p := tp.param(param)
	if get(p, "Type") != "Number" {
		t.Fatalf("%s = %v, want a Number parameter", param, p)
	}
	def, err1 := tp.intValue(ref(param))
	lo, err2 := tp.intValue(get(p, "MinValue"))
	hi, err3 := tp.intValue(get(p, "MaxValue"))
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		t.Errorf("%s Default / MinValue / MaxValue: %v %v %v", param, err1, err2, err3)
	case def != 3*day:
		t.Errorf("%s Default = %d, want %d (3 days)", param, def, 3*day)
	case lo != 60 || hi != gdprMonth:
		t.Errorf("%s range %d..%d, want 60..%d (GDPR's month)", param, lo, hi, gdprMonth)
	}
	for _, c := range combinations() {
		rt, err := tp.render(c.params)
		if err != nil {
			t.Fatalf("%s: render: %v", c.name, err)
		}
		t.Run(c.name, func(t *testing.T) {
			if get(rt.resource(latencyAlarmID), "Type") != "AWS::CloudWatch::Alarm" {
				t.Fatalf("%s missing (alarms do not depend on any condition)", latencyAlarmID)
			}
			want := map[string]any{
				"Namespace":          ref("MetricsNamespace"),
				"MetricName":         telemetry.ErasureLatency,
				"Dimensions":         []any{map[string]any{"Name": telemetry.DimFunctionName, "Value": ref(functionID)}},
				"Statistic":          "Maximum",
				"EvaluationPeriods":  1,
				"DatapointsToAlarm":  1,
				"Threshold":          ref(param),
				"ComparisonOperator": "GreaterThanThreshold",
				"TreatMissingData":   "notBreaching",
			}
			for k, w := range want {
				if got := rt.prop(latencyAlarmID, k); !reflect.DeepEqual(got, w) {
					t.Errorf("%s = %#v, want %#v", k, got, w)
				}
			}
			if period, err := tp.intValue(rt.prop(latencyAlarmID, "Period")); err != nil || period < 60 || period%60 != 0 || period > 3600 {
				t.Errorf("Period = %v (%v), want a multiple of 60 up to 3600", rt.prop(latencyAlarmID, "Period"), err)
			}
			checkAlarmActions(t, rt, latencyAlarmID, c)
		})
	}
}
