package deploy

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// README states numbers about the template in one table ("The template's
// numbers"), and its prose quotes the table. These tests hold the table to
// template.yaml, and the prose's quotes to the table, so that neither can
// drift from the template unnoticed.

// templateNumber reads one setting of the table from the template.
type templateNumber func(tp tmpl) (any, error)

// numberSources says where each row of the table is in the template.
var numberSources = map[string]templateNumber{
	"batching window":     property("EraserFunctionErasureQueueEvent", "MaximumBatchingWindowInSeconds"),
	"`Timeout`":           property("EraserFunction", "Timeout"),
	"`BatchSize`":         property("EraserFunctionErasureQueueEvent", "BatchSize"),
	"`MaxConcurrency`":    property("EraserFunctionErasureQueueEvent", "ScalingConfig", "MaximumConcurrency"),
	"`MemorySize`":        property("EraserFunction", "MemorySize"),
	"`VisibilityTimeout`": property("ErasureQueue", "VisibilityTimeout"),
	"`maxReceiveCount`":   property("ErasureQueue", "RedrivePolicy", "maxReceiveCount"),
}

// property follows path under a resource's Properties.
func property(resource string, path ...string) templateNumber {
	return func(tp tmpl) (any, error) {
		res, _ := tp["Resources"].(map[string]any)[resource].(map[string]any)
		if res == nil {
			return nil, fmt.Errorf("no resource %s", resource)
		}
		var v any = res["Properties"]
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: no %s", resource, strings.Join(path, "."))
			}
			v = m[p]
		}
		if v == nil {
			return nil, fmt.Errorf("%s: no %s", resource, strings.Join(path, "."))
		}
		return v, nil
	}
}

// resolveNumber turns a template value into a number: a literal, a Ref to
// a parameter (its Default) or a FindInMap.
func resolveNumber(tp tmpl, v any) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(x, 64)
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			p, _ := tp["Parameters"].(map[string]any)[ref].(map[string]any)
			if p == nil || p["Default"] == nil {
				return 0, fmt.Errorf("Ref %s: no parameter with a default", ref)
			}
			return resolveNumber(tp, p["Default"])
		}
		if args, ok := x["Fn::FindInMap"].([]any); ok && len(args) == 3 {
			m, _ := tp["Mappings"].(map[string]any)[fmt.Sprint(args[0])].(map[string]any)
			top, _ := m[fmt.Sprint(args[1])].(map[string]any)
			if top == nil || top[fmt.Sprint(args[2])] == nil {
				return 0, fmt.Errorf("FindInMap %v: not found", args)
			}
			return resolveNumber(tp, top[fmt.Sprint(args[2])])
		}
	}
	return 0, fmt.Errorf("%v is not a number the test can resolve", v)
}

var (
	alarmRow    = regexp.MustCompile("^`([A-Za-z]+Alarm)` threshold$")
	numberValue = regexp.MustCompile(`^([0-9][0-9,]*)( s| MB)?$`)
)

// readmeNumbers parses the table: setting -> value.
func readmeNumbers(t *testing.T, readme string) map[string]float64 {
	t.Helper()
	const heading = "#### The template's numbers\n"
	i := strings.Index(readme, heading)
	if i < 0 {
		t.Fatalf("README has no %q section", strings.TrimSpace(heading))
	}
	rows := map[string]float64{}
	inTable := false
	for _, line := range strings.Split(readme[i+len(heading):], "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			t.Fatalf("table row %q", line)
		}
		key, value := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
		if key == "setting" || strings.HasPrefix(key, "---") {
			continue
		}
		m := numberValue.FindStringSubmatch(value)
		if m == nil {
			t.Fatalf("row %s: value %q is not a number with an optional unit", key, value)
		}
		n, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		rows[key] = n
	}
	return rows
}

// compareNumbers returns every difference between the table and tp.
func compareNumbers(tp tmpl, rows map[string]float64) []string {
	var diffs []string
	alarms := 0
	for key, want := range rows {
		var raw any
		var err error
		if m := alarmRow.FindStringSubmatch(key); m != nil {
			alarms++
			raw, err = property(m[1], "Threshold")(tp)
		} else if src, ok := numberSources[key]; ok {
			raw, err = src(tp)
		} else {
			diffs = append(diffs, fmt.Sprintf("row %s: the test does not know where it is in the template", key))
			continue
		}
		var got float64
		if err == nil {
			got, err = resolveNumber(tp, raw)
		}
		switch {
		case err != nil:
			diffs = append(diffs, fmt.Sprintf("row %s: %v", key, err))
		case got != want:
			diffs = append(diffs, fmt.Sprintf("row %s: README says %g, template.yaml %g", key, want, got))
		}
	}
	for key := range numberSources {
		if _, ok := rows[key]; !ok {
			diffs = append(diffs, "the table has no row "+key)
		}
	}
	// Every alarm of the template has its threshold in the table.
	for id, r := range tp["Resources"].(map[string]any) {
		if res, _ := r.(map[string]any); res["Type"] == "AWS::CloudWatch::Alarm" {
			if _, ok := rows["`"+id+"` threshold"]; !ok {
				diffs = append(diffs, "the table has no threshold of "+id)
			}
		}
	}
	return diffs
}

// prose are the places README's prose quotes a row; each match's number
// (in the row's unit) must be the row's.
var prose = []struct {
	row     string
	pattern *regexp.Regexp
	scale   float64 // what the quoted number is multiplied by to be in the row's unit
}{
	{"`BatchSize`", regexp.MustCompile("`BatchSize` \\(([0-9,]+)\\)"), 1},
	{"`MaxConcurrency`", regexp.MustCompile("`MaxConcurrency` \\(([0-9]+)\\)"), 1},
	{"batching window", regexp.MustCompile(`waiting at most ([0-9]+) s`), 1},
	{"batching window", regexp.MustCompile(`the ([0-9]+) s batching window`), 1},
	{"`Timeout`", regexp.MustCompile("`Timeout` ([0-9]+) s"), 1},
	{"`Timeout`", regexp.MustCompile("function `Timeout`,\\s+([0-9,]+) ms"), 0.001},
	{"`MemorySize`", regexp.MustCompile("`MemorySize` ([0-9]+) MB"), 1},
	{"`VisibilityTimeout`", regexp.MustCompile("`VisibilityTimeout` ([0-9,]+) s"), 1},
}

// TestREADMETemplateNumbers: README's table of the template's numbers is
// the template's, and the prose quotes the table.
func TestREADMETemplateNumbers(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	rows := readmeNumbers(t, readme)
	if len(rows) < len(numberSources)+8 {
		t.Fatalf("the table has %d rows", len(rows))
	}
	for _, d := range compareNumbers(loadTemplate(t), rows) {
		t.Error(d)
	}
	for _, p := range prose {
		matches := p.pattern.FindAllStringSubmatch(readme, -1)
		if len(matches) == 0 {
			t.Errorf("the prose no longer quotes %s as %v: update the test's list", p.row, p.pattern)
		}
		for _, m := range matches {
			n, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
			if n*p.scale != rows[p.row] {
				t.Errorf("README's prose says %q, the table's %s is %g", m[0], p.row, rows[p.row])
			}
		}
	}
}

// TestREADMETemplateNumbersCatchBreakage: a template changed without README
// (every kind of source: a literal, a parameter default, a mapping, an
// alarm's threshold) is caught.
func TestREADMETemplateNumbersCatchBreakage(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeNumbers(t, string(raw))
	breakages := []struct {
		name, want string
		breakIt    func(tp tmpl)
	}{
		{"batching window 5 s", "row batching window: README says 1, template.yaml 5", func(tp tmpl) {
			resource(tp, "EraserFunctionErasureQueueEvent")["MaximumBatchingWindowInSeconds"] = 5
		}},
		{"Timeout 60 s", "row `Timeout`: README says 180, template.yaml 60", func(tp tmpl) {
			resource(tp, "EraserFunction")["Timeout"] = 60
		}},
		{"BatchSize default 100", "row `BatchSize`: README says 1000, template.yaml 100", func(tp tmpl) {
			tp["Parameters"].(map[string]any)["BatchSize"].(map[string]any)["Default"] = 100
		}},
		{"maxReceiveCount 12", "row `maxReceiveCount`: README says 30, template.yaml 12", func(tp tmpl) {
			tp["Mappings"].(map[string]any)["RetrySchedule"].(map[string]any)["Default"].(map[string]any)["MaxReceiveCount"] = "12"
		}},
		{"an alarm's threshold", "row `DeadLetterQueueAgeAlarm` threshold: README says 604800, template.yaml 86400", func(tp tmpl) {
			resource(tp, "DeadLetterQueueAgeAlarm")["Threshold"] = 86400
		}},
		{"a new alarm", "the table has no threshold of NewAlarm", func(tp tmpl) {
			tp["Resources"].(map[string]any)["NewAlarm"] = map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{"Threshold": 1}}
		}},
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			tp := loadTemplate(t)
			if diffs := compareNumbers(tp, rows); len(diffs) != 0 {
				t.Fatalf("unbroken template differs: %v", diffs)
			}
			b.breakIt(tp)
			diffs := compareNumbers(tp, rows)
			if len(diffs) != 1 || diffs[0] != b.want {
				t.Errorf("differences %q, want exactly %q", diffs, b.want)
			}
		})
	}
}

// resource is a resource's Properties.
func resource(tp tmpl, id string) map[string]any {
	return tp["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
}
