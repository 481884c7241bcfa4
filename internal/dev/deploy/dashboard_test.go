package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// The dashboard (OperationsDashboard) is kept honest in both directions:
// every metric it shows from the function's namespace is one the function
// writes, with the dimensions the EMF writer gives it, and every metric the
// function writes is shown (MessagesFailed through a SEARCH over its Class
// dimension, so that every class, present and future, shows); every AWS
// metric names a queue or the function of this stack; every alarm's metric
// is shown with the alarm's threshold as an annotation, and the alarm widget
// lists every alarm. The body is checked as CloudFormation would build it:
// rendered for every combination of the optional parameters, its Fn::Sub
// variables replaced, then parsed as JSON.

const (
	dashboardID      = "OperationsDashboard"
	exampleStackName = "attr-eraser"
	// physicalSuffix marks the example physical names this test gives the
	// stack's resources, so that a name in the body can be traced back to
	// the ${Resource} or ${Resource.Attribute} that produced it.
	physicalSuffix = "-EXAMPLE7Q3Z"
)

// dashboardOverrides are parameter values unlike every Default, so that a
// literal copy of a Default in the body (a namespace, a threshold) shows: the
// body must follow the parameter. The namespace uses the characters
// AllowedPattern permits beyond letters and digits, which SEARCH must quote.
var dashboardOverrides = map[string]string{
	"MetricsNamespace":             "Example/attr-eraser.dash#1:x_y",
	"ErasureLatencyAlarmSeconds":   "259201",
	"PendingAgeAlarmSeconds":       "21601",
	"OldestMessageAgeAlarmSeconds": "901",
	concParam:                      "5",
}

// physical is the example physical name of a resource (what Ref returns for
// the function, and a queue's QueueName).
func physical(id string) string { return exampleStackName + "-" + id + physicalSuffix }

// attrsByType are the Fn::GetAtt attributes the body may use, per resource type.
var attrsByType = map[string][]string{
	"AWS::SQS::Queue":           {"Arn", "QueueName", "QueueUrl"},
	"AWS::CloudWatch::Alarm":    {"Arn"},
	"AWS::Serverless::Function": {"Arn"},
}

// subEnv resolves Fn::Sub strings of a rendered template the way
// CloudFormation would, with example values for pseudo parameters and
// resources.
type subEnv struct {
	rt     tmpl
	params map[string]string
	refs   map[string]string // Ref values other than physical(id)
}

var subAny = regexp.MustCompile(`\$\{([^}]*)\}`)

func (e subEnv) pseudo(name string) (string, bool) {
	switch name {
	case "AWS::StackName":
		return exampleStackName, true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	}
	v, ok := examplePseudo[name]
	return v, ok
}

func (e subEnv) param(name string) (string, bool) {
	if v, ok := e.params[name]; ok {
		return v, true
	}
	p := e.rt.param(name)
	if p == nil {
		return "", false
	}
	return scalar(get(p, "Default"))
}

// arn is the example ARN of a resource.
func (e subEnv) arn(id string) string {
	return fmt.Sprintf("arn:aws:example:%s:%s:%s", examplePseudo["AWS::Region"], examplePseudo["AWS::AccountId"], physical(id))
}

// sub resolves one Fn::Sub string (the one-string form): ${!x} is the
// literal ${x}; ${Param}, ${AWS::Pseudo}, ${Resource} and
// ${Resource.Attribute} take their values.
func (e subEnv) sub(s string) (string, error) {
	var errs []string
	out := subAny.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + lit + "}"
		}
		if v, ok := e.pseudo(name); ok {
			return v
		}
		if id, attr, ok := strings.Cut(name, "."); ok {
			typ, _ := get(e.rt.resource(id), "Type").(string)
			switch {
			case typ == "":
				errs = append(errs, fmt.Sprintf("${%s}: no resource %s in this combination", name, id))
			case !slices.Contains(attrsByType[typ], attr):
				errs = append(errs, fmt.Sprintf("${%s}: %s is not an attribute of %s this test knows (%v)", name, attr, typ, attrsByType[typ]))
			case attr == "Arn":
				return e.arn(id)
			default:
				return physical(id)
			}
			return m
		}
		if e.rt.resource(name) != nil {
			if v, ok := e.refs[name]; ok {
				return v
			}
			return physical(name)
		}
		if v, ok := e.param(name); ok {
			return v
		}
		errs = append(errs, fmt.Sprintf("${%s} is neither a parameter, a pseudo parameter nor a resource", name))
		return m
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// subString reads v as a one-string Fn::Sub (or a literal) and resolves it.
func (e subEnv) subString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	s, ok := get(v, "Fn::Sub").(string)
	if !ok || len(v.(map[string]any)) != 1 {
		return "", fmt.Errorf("%v is not a literal or a one-string !Sub", v)
	}
	return e.sub(s)
}

// ---------------------------------------------------------------------------
// What the function writes

// exercisingReport is a batch that makes the EMF writer write every metric
// it has: counters, failures of two classes, a requeue, a dead letter, a
// pending erasure and a completed one.
func exercisingReport(now time.Time) *eraser.Report {
	occurred := now.Add(-2 * time.Hour).Format(time.RFC3339)
	return &eraser.Report{
		AccountsErased: 3, Calls: 4, Retries: 1, RateLimited: 1, Duration: 1500 * time.Millisecond,
		Messages: []eraser.MessageResult{
			{MessageID: "erased", Outcome: eraser.Erased, Request: erasure.Request{OccurredAt: occurred}},
			{MessageID: "failed", Outcome: eraser.Failed, Class: erasure.Retryable, HandOff: eraser.Delayed,
				Lineage: eraser.Lineage{FirstReceived: now.Add(-time.Hour), ReceiveCount: 2}},
			{MessageID: "requeued", Outcome: eraser.Failed, Class: erasure.Deadline, HandOff: eraser.Requeued, Unreached: true,
				Request: erasure.Request{OccurredAt: occurred}},
			{MessageID: "dead", Outcome: eraser.Invalid, Class: erasure.Invalid, HandOff: eraser.DeadLettered},
		},
	}
}

// dimSet names a set of dimension names, sorted and comma-joined.
func dimSet(names []string) string {
	s := slices.Clone(names)
	slices.Sort(s)
	return strings.Join(s, ",")
}

// writtenMetrics runs the EMF writer as the function runs it (with a
// FunctionName) over exercisingReport and returns, per metric name, the
// dimension sets it writes it with, and the namespaces it wrote.
func writtenMetrics(t testing.TB, namespace string) map[string][]string {
	t.Helper()
	var buf bytes.Buffer
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	w := &telemetry.Metrics{Out: &buf, Namespace: namespace, FunctionName: physical(functionID), Now: func() time.Time { return now }}
	w.Observe(context.Background(), exercisingReport(now))
	w.Unwired(context.Background()) // the one metric written as it happens
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		// The EMF specification's shape, read independently of the writer.
		var d struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("EMF line %q: %v", line, err)
		}
		var values map[string]any
		_ = json.Unmarshal([]byte(line), &values)
		for _, dir := range d.AWS.CloudWatchMetrics {
			if dir.Namespace != namespace {
				t.Errorf("EMF line writes to namespace %q, want %q (METRICS_NAMESPACE)", dir.Namespace, namespace)
			}
			for _, dims := range dir.Dimensions {
				if !slices.Contains(dims, telemetry.DimFunctionName) {
					t.Errorf("EMF line %s: dimension set %v lacks %s", line, dims, telemetry.DimFunctionName)
				}
				for _, m := range dir.Metrics {
					if !slices.Contains(out[m.Name], dimSet(dims)) {
						out[m.Name] = append(out[m.Name], dimSet(dims))
					}
				}
			}
			if values[telemetry.DimFunctionName] != physical(functionID) {
				t.Errorf("EMF line %s: FunctionName = %v, want %s", line, values[telemetry.DimFunctionName], physical(functionID))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the EMF writer wrote no metric")
	}
	return out
}

// TestDashboardMetricsWritten: the metrics the writer wrote for
// exercisingReport are exactly telemetry.Catalog, each with FunctionName,
// and those by class with Class too. A metric added to the catalog that
// exercisingReport does not make the writer write fails here, so the report
// cannot fall behind the catalog.
func TestDashboardMetricsWritten(t *testing.T) {
	written := writtenMetrics(t, defaultNamespace(t))
	for _, m := range telemetry.Catalog {
		want := []string{telemetry.DimFunctionName}
		if m.ByClass {
			want = []string{dimSet([]string{telemetry.DimClass, telemetry.DimFunctionName})}
		}
		got, ok := written[m.Name]
		switch {
		case !ok:
			t.Errorf("%s is in telemetry.Catalog but the writer did not write it for exercisingReport: extend the report so the dashboard test sees it", m.Name)
		case !slices.Equal(got, want):
			t.Errorf("%s written with dimension sets %v, want %v", m.Name, got, want)
		}
	}
	for name := range written {
		if !slices.ContainsFunc(telemetry.Catalog, func(m telemetry.Metric) bool { return m.Name == name }) {
			t.Errorf("the writer wrote %q, which is not in telemetry.Catalog", name)
		}
	}
}

// defaultNamespace is the template's MetricsNamespace Default.
func defaultNamespace(t *testing.T) string {
	t.Helper()
	d, ok := scalar(get(loadTemplate(t).param("MetricsNamespace"), "Default"))
	if !ok || d == "" {
		t.Fatal("MetricsNamespace has no Default")
	}
	return d
}

// ---------------------------------------------------------------------------
// What the dashboard shows

// shown is one metric a graph shows.
type shown struct {
	widget    int
	title     string
	namespace string
	name      string
	dims      map[string]string
	stat      string
	axis      string // left or right
}

func (s shown) key() string { return metricKey(s.namespace, s.name, s.dims) }

func metricKey(ns, name string, dims map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		parts = append(parts, k+"="+dims[k])
	}
	return ns + " " + name + " {" + strings.Join(parts, ",") + "}"
}

// search is one SEARCH expression a graph shows.
type search struct {
	widget    int
	namespace string
	dims      []string          // the schema's dimension names
	terms     map[string]string // property="value" terms
	stat      string
	period    int
}

// annotation is one horizontal annotation.
type annotation struct {
	widget int
	label  string
	value  float64
	axis   string
}

type dashboard struct {
	raw      map[string]any
	metrics  []shown
	searches []search
	annots   []annotation
	alarms   [][]string // per alarm widget, its alarm ARNs
	titles   []string   // metric widget titles
}

var (
	statRe        = regexp.MustCompile(`^(Sum|Maximum|Minimum|Average|SampleCount|p\d{1,2}(\.\d+)?)$`)
	searchRe      = regexp.MustCompile(`^SEARCH\('\s*\{([^}]*)\}\s*(.*?)\s*',\s*'([^']+)',\s*(\d+)\s*\)$`)
	searchTermRe  = regexp.MustCompile(`^\s*([A-Za-z]+)="((?:[^"\\]|\\.)*)"`)
	bareSchemaRe  = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	expressionIDs = regexp.MustCompile(`^[a-z][A-Za-z0-9_]*$`)
)

// unquoteSearch reads a SEARCH exact-match string body: \" \\ \( \) are escapes.
func unquoteSearch(s string) string {
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\(`, `(`, `\)`, `)`).Replace(s)
}

// parseSearch reads SEARCH('{schema} Name="value" ...', 'Stat', Period):
// the schema's names bare (letters and digits only) or double-quoted; the
// search term only exact-match property terms, so that what it selects is
// plain.
func parseSearch(expr string) (search, error) {
	if len(expr) > 1024 {
		return search{}, fmt.Errorf("%d characters, CloudWatch allows 1024", len(expr))
	}
	m := searchRe.FindStringSubmatch(expr)
	if m == nil {
		return search{}, fmt.Errorf("not SEARCH('{Namespace,Dim,...} Property=\"value\" ...', 'Stat', Period)")
	}
	var names []string
	for _, item := range strings.Split(m[1], ",") {
		item = strings.TrimSpace(item)
		switch {
		case len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"':
			names = append(names, unquoteSearch(item[1:len(item)-1]))
		case bareSchemaRe.MatchString(item):
			names = append(names, item)
		default:
			return search{}, fmt.Errorf("schema name %q: a name with other characters than letters and digits must be double-quoted", item)
		}
	}
	if len(names) < 1 {
		return search{}, fmt.Errorf("empty schema")
	}
	s := search{namespace: names[0], dims: names[1:], terms: map[string]string{}, stat: m[3]}
	rest := m[2]
	for strings.TrimSpace(rest) != "" {
		tm := searchTermRe.FindStringSubmatch(rest)
		if tm == nil {
			return search{}, fmt.Errorf("search term %q: want only Property=\"value\" terms", rest)
		}
		if _, dup := s.terms[tm[1]]; dup {
			return search{}, fmt.Errorf("property %s named twice", tm[1])
		}
		s.terms[tm[1]] = unquoteSearch(tm[2])
		rest = rest[len(tm[0]):]
	}
	s.period, _ = strconv.Atoi(m[4])
	return s, nil
}

func str(v any) string { s, _ := v.(string); return s }

// parseDashboard reads a resolved DashboardBody.
func parseDashboard(body string) (dashboard, error) {
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&d.raw); err != nil {
		return d, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return d, fmt.Errorf("trailing data after the JSON object")
	}
	widgets, ok := d.raw["widgets"].([]any)
	if !ok || len(widgets) == 0 {
		return d, fmt.Errorf("no widgets array")
	}
	var errs []string
	fail := func(i int, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("widget %d: ", i)+fmt.Sprintf(format, a...))
	}
	type cell struct{ x, y int }
	used := map[cell]int{}
	for i, w := range widgets {
		x, _ := get(w, "x").(float64)
		y, _ := get(w, "y").(float64)
		width, _ := get(w, "width").(float64)
		height, _ := get(w, "height").(float64)
		if width < 1 || height < 1 || x < 0 || y < 0 || x+width > 24 || x != math.Trunc(x) || y != math.Trunc(y) {
			fail(i, "position x=%v y=%v width=%v height=%v is not on the 24-column grid", x, y, width, height)
		}
	grid:
		for cx := int(x); cx < int(x+width); cx++ {
			for cy := int(y); cy < int(y+height); cy++ {
				if j, taken := used[cell{cx, cy}]; taken {
					fail(i, "overlaps widget %d", j)
					break grid
				}
				used[cell{cx, cy}] = i
			}
		}
		p, _ := get(w, "properties").(map[string]any)
		switch get(w, "type") {
		case "alarm":
			arns := stringList(p["alarms"])
			if len(arns) == 0 {
				fail(i, "alarm widget without alarms")
			}
			d.alarms = append(d.alarms, arns)
			continue
		case "metric":
		default:
			fail(i, "type %v: this test knows alarm and metric widgets", get(w, "type"))
			continue
		}
		title := str(p["title"])
		if title == "" {
			fail(i, "no title")
		}
		d.titles = append(d.titles, title)
		if p["region"] != examplePseudo["AWS::Region"] {
			fail(i, "%q: region = %v, want ${AWS::Region} (%s)", title, p["region"], examplePseudo["AWS::Region"])
		}
		if _, ok := p["period"].(float64); !ok {
			fail(i, "%q: no period", title)
		}
		entries, _ := p["metrics"].([]any)
		if len(entries) == 0 {
			fail(i, "%q: no metrics", title)
		}
		for j, e := range entries {
			arr, _ := e.([]any)
			if len(arr) == 0 {
				fail(i, "%q metrics[%d]: not a non-empty array", title, j)
				continue
			}
			opts, _ := arr[len(arr)-1].(map[string]any)
			if opts != nil {
				arr = arr[:len(arr)-1]
			}
			if expr, ok := opts["expression"].(string); ok {
				if len(arr) != 0 {
					fail(i, "%q metrics[%d]: an expression with a metric beside it", title, j)
				}
				if !expressionIDs.MatchString(str(opts["id"])) {
					fail(i, "%q metrics[%d]: expression id %v must start with a lower-case letter", title, j, opts["id"])
				}
				s, err := parseSearch(expr)
				if err != nil {
					fail(i, "%q metrics[%d]: %s: %v", title, j, expr, err)
					continue
				}
				if !statRe.MatchString(s.stat) {
					fail(i, "%q metrics[%d]: statistic %q", title, j, s.stat)
				}
				s.widget = i
				d.searches = append(d.searches, s)
				continue
			}
			var names []string
			for _, v := range arr {
				s, ok := v.(string)
				if !ok || s == "" || s == "." || s == "..." {
					fail(i, "%q metrics[%d]: %v: spell every metric out (no \".\" / \"...\" shorthand)", title, j, v)
				}
				names = append(names, s)
			}
			if len(names) < 2 || len(names)%2 != 0 {
				fail(i, "%q metrics[%d]: want [Namespace, MetricName, Dim, Value, ..., {options}], got %v", title, j, e)
				continue
			}
			m := shown{widget: i, title: title, namespace: names[0], name: names[1], dims: map[string]string{}, axis: "left"}
			for k := 2; k < len(names); k += 2 {
				m.dims[names[k]] = names[k+1]
			}
			m.stat = str(opts["stat"])
			if m.stat == "" {
				m.stat = str(p["stat"])
			}
			if !statRe.MatchString(m.stat) {
				fail(i, "%q metrics[%d]: statistic %q (set one: CloudWatch would pick Average)", title, j, m.stat)
			}
			if a := str(opts["yAxis"]); a != "" {
				m.axis = a
			}
			d.metrics = append(d.metrics, m)
		}
		horizontal, _ := get(p, "annotations", "horizontal").([]any)
		for _, a := range horizontal {
			v, ok := get(a, "value").(float64)
			an := annotation{widget: i, label: str(get(a, "label")), value: v, axis: "left"}
			if ax := str(get(a, "yAxis")); ax != "" {
				an.axis = ax
			}
			if !ok || an.label == "" {
				fail(i, "%q: annotation %v needs a number value and a label", title, a)
				continue
			}
			d.annots = append(d.annots, an)
		}
	}
	if len(errs) > 0 {
		return d, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return d, nil
}

// resolveAlarmMetric reads an alarm's metric (namespace, name, dimensions)
// and threshold as the dashboard would see them.
func (e subEnv) resolveAlarm(id string) (key, stat string, threshold float64, err error) {
	val := func(v any) (string, error) {
		if name, ok := get(v, "Ref").(string); ok {
			if e.rt.resource(name) != nil {
				return physical(name), nil
			}
			if p, ok := e.param(name); ok {
				return p, nil
			}
			return "", fmt.Errorf("Ref %s", name)
		}
		if args, ok := get(v, "Fn::GetAtt").([]any); ok && len(args) == 2 {
			return e.sub("${" + str(args[0]) + "." + str(args[1]) + "}")
		}
		if s, ok := scalar(v); ok {
			return s, nil
		}
		return e.subString(v)
	}
	ns, err1 := val(e.rt.prop(id, "Namespace"))
	th, err2 := val(e.rt.prop(id, "Threshold"))
	if err := errors.Join(err1, err2); err != nil {
		return "", "", 0, err
	}
	threshold, err = strconv.ParseFloat(th, 64)
	if err != nil {
		return "", "", 0, err
	}
	dims := map[string]string{}
	ds, _ := e.rt.prop(id, "Dimensions").([]any)
	for _, d := range ds {
		v, err := val(get(d, "Value"))
		if err != nil {
			return "", "", 0, err
		}
		dims[str(get(d, "Name"))] = v
	}
	return metricKey(ns, str(e.rt.prop(id, "MetricName")), dims), str(e.rt.prop(id, "Statistic")), threshold, nil
}

// awsMetrics are the AWS metrics the dashboard may show, per namespace,
// with the one dimension that names the stack's resource and the resource
// type it must be.
var awsMetrics = map[string]struct {
	dim, resourceType string
	names             []string
}{
	"AWS/SQS": {"QueueName", "AWS::SQS::Queue", []string{
		"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
		"ApproximateAgeOfOldestMessage", "NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted",
	}},
	"AWS/Lambda": {"FunctionName", "AWS::Serverless::Function", []string{
		"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions",
	}},
}

// wantShown are the graphs the on-call engineer relies on (README,
// Operations > Dashboard): metric (namespace "" for the function's own),
// the resource it is about, and the statistics wanted.
var wantShown = []struct {
	namespace, name, resource string
	stats                     []string
}{
	{"", telemetry.ErasureLatency, functionID, []string{"Maximum", "p99"}},
	{"", telemetry.PendingAge, functionID, []string{"Maximum", "p99"}},
	{"", telemetry.AccountsErased, functionID, []string{"Sum"}},
	{"", telemetry.ApiCalls, functionID, []string{"Sum"}},
	{"", telemetry.ApiRetries, functionID, []string{"Sum"}},
	{"", telemetry.RateLimited, functionID, []string{"Sum"}},
	{"", telemetry.MessagesRequeued, functionID, []string{"Sum"}},
	{"", telemetry.MessagesDeadLettered, functionID, []string{"Sum"}},
	{"AWS/SQS", "ApproximateNumberOfMessagesVisible", queueID, []string{"Maximum"}},
	{"AWS/SQS", "ApproximateAgeOfOldestMessage", queueID, []string{"Maximum"}},
	{"AWS/SQS", "ApproximateNumberOfMessagesVisible", dlqID, []string{"Maximum"}},
	{"AWS/Lambda", "Errors", functionID, []string{"Sum"}},
	{"AWS/Lambda", "Throttles", functionID, []string{"Sum"}},
	{"AWS/Lambda", "Duration", functionID, []string{"Maximum", "p99"}},
	{"AWS/Lambda", "ConcurrentExecutions", functionID, []string{"Maximum"}},
}

// checkDashboard checks one rendered combination's dashboard.
func checkDashboard(t testing.TB, tp, rt tmpl, params map[string]string) {
	t.Helper()
	env := subEnv{rt: rt, params: params}
	if typ := get(rt.resource(dashboardID), "Type"); typ != "AWS::CloudWatch::Dashboard" {
		t.Fatalf("%s Type = %v, want AWS::CloudWatch::Dashboard (in every combination)", dashboardID, typ)
	}
	if c := get(rt.resource(dashboardID), "Condition"); c != nil {
		t.Errorf("%s Condition = %v, want none", dashboardID, c)
	}
	body, err := env.subString(rt.prop(dashboardID, "DashboardBody"))
	if err != nil {
		t.Fatalf("DashboardBody: %v", err)
	}
	d, err := parseDashboard(body)
	if err != nil {
		t.Fatalf("DashboardBody:\n%v", err)
	}
	namespace, _ := env.param("MetricsNamespace")
	fn := physical(functionID)
	written := writtenMetrics(t, namespace)

	// The function's own metrics: each shown one is written, with exactly
	// the dimensions the writer gives it, for this stack's function.
	covered := map[string]bool{} // "name|dimset" written and shown
	stats := map[string][]string{}
	for _, m := range d.metrics {
		where := fmt.Sprintf("widget %d %q: %s", m.widget, m.title, m.key())
		stats[m.key()] = append(stats[m.key()], m.stat)
		if m.namespace == namespace {
			names := slices.Collect(maps.Keys(m.dims))
			sets, ok := written[m.name]
			switch {
			case !ok:
				t.Errorf("%s: the function writes no metric %q (it writes %v)", where, m.name, slices.Sorted(maps.Keys(written)))
			case !slices.Contains(sets, dimSet(names)):
				t.Errorf("%s: dimensions %v, but the function writes %s with %v", where, dimSet(names), m.name, sets)
			}
			for k, v := range m.dims {
				if k != telemetry.DimFunctionName {
					t.Errorf("%s: dimension %s pinned to %q shows one value only; use a SEARCH over %s", where, k, v, k)
				} else if v != fn {
					t.Errorf("%s: FunctionName %q, want ${%s} (%s)", where, v, functionID, fn)
				}
			}
			covered[m.name+"|"+dimSet(names)] = true
			continue
		}
		am, ok := awsMetrics[m.namespace]
		if !ok {
			t.Errorf("%s: namespace %q is neither MetricsNamespace (%q) nor one this test knows (%v)", where, m.namespace, namespace, slices.Sorted(maps.Keys(awsMetrics)))
			continue
		}
		if !slices.Contains(am.names, m.name) {
			t.Errorf("%s: %s has no metric %q this test knows (%v)", where, m.namespace, m.name, am.names)
		}
		if len(m.dims) != 1 || m.dims[am.dim] == "" {
			t.Errorf("%s: want exactly the dimension %s", where, am.dim)
			continue
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(m.dims[am.dim], exampleStackName+"-"), physicalSuffix)
		if !ok || get(rt.resource(id), "Type") != am.resourceType {
			t.Errorf("%s: %s %q is not a %s of this stack (write ${Resource} or ${Resource.QueueName}, not a name)", where, am.dim, m.dims[am.dim], am.resourceType)
		}
	}
	for _, s := range d.searches {
		where := fmt.Sprintf("widget %d SEARCH", s.widget)
		name := s.terms["MetricName"]
		if s.namespace != namespace {
			t.Errorf("%s: namespace %q, want MetricsNamespace (%q)", where, s.namespace, namespace)
			continue
		}
		if keys := slices.Sorted(maps.Keys(s.terms)); !slices.Equal(keys, []string{telemetry.DimFunctionName, "MetricName"}) {
			t.Errorf("%s: terms %v, want exactly MetricName=\"...\" and FunctionName=\"...\" (other dimensions left free)", where, keys)
		}
		if s.terms[telemetry.DimFunctionName] != fn {
			t.Errorf("%s: FunctionName=%q, want ${%s} (%s)", where, s.terms[telemetry.DimFunctionName], functionID, fn)
		}
		sets, ok := written[name]
		if !ok {
			t.Errorf("%s: the function writes no metric %q", where, name)
			continue
		}
		if !slices.Contains(sets, dimSet(s.dims)) {
			t.Errorf("%s: schema dimensions %v, but the function writes %s with %v (SEARCH matches exactly the schema's set)", where, dimSet(s.dims), name, sets)
		}
		covered[name+"|"+dimSet(s.dims)] = true
	}
	for name, sets := range written {
		for _, set := range sets {
			if !covered[name+"|"+set] {
				t.Errorf("the function writes %s with dimensions %s, but the dashboard does not show it", name, set)
			}
		}
	}
	for _, w := range wantShown {
		ns, dim := w.namespace, telemetry.DimFunctionName
		if ns == "" {
			ns = namespace
		} else {
			dim = awsMetrics[ns].dim
		}
		key := metricKey(ns, w.name, map[string]string{dim: physical(w.resource)})
		for _, st := range w.stats {
			if !slices.Contains(stats[key], st) {
				t.Errorf("no graph shows %s (%s), statistic %s", key, w.resource, st)
			}
		}
	}
	if !slices.ContainsFunc(d.searches, func(s search) bool { return s.terms["MetricName"] == telemetry.MessagesFailed }) {
		t.Errorf("no SEARCH shows %s by %s", telemetry.MessagesFailed, telemetry.DimClass)
	}

	// Alarms: the alarm widget lists every alarm; each alarm's metric is
	// shown with its statistic, and a non-zero threshold as an annotation
	// on that metric's axis.
	alarms := rt.resourcesOfType("AWS::CloudWatch::Alarm")
	var wantArns []string
	for _, id := range alarms {
		wantArns = append(wantArns, env.arn(id))
	}
	if len(d.alarms) != 1 {
		t.Errorf("%d alarm widgets, want 1", len(d.alarms))
	} else if got := slices.Sorted(slices.Values(d.alarms[0])); !slices.Equal(got, wantArns) {
		t.Errorf("alarm widget lists %v, want every alarm of the stack %v (as ${Alarm.Arn})", got, wantArns)
	}
	explained := map[annotation]bool{}
	for _, id := range alarms {
		key, stat, threshold, err := env.resolveAlarm(id)
		if err != nil {
			t.Errorf("alarm %s: %v", id, err)
			continue
		}
		var on []shown
		for _, m := range d.metrics {
			if m.key() == key && m.stat == stat {
				on = append(on, m)
			}
		}
		if len(on) == 0 {
			t.Errorf("alarm %s watches %s (%s), which no graph shows with that statistic", id, key, stat)
			continue
		}
		found := false
		for _, m := range on {
			for _, a := range d.annots {
				if a.widget == m.widget && a.axis == m.axis && a.value == threshold {
					explained[a], found = true, true
				}
			}
		}
		if threshold != 0 && !found {
			t.Errorf("alarm %s: no graph of %s marks its threshold %v (an annotation on the metric's axis)", id, key, threshold)
		}
	}
	// Other annotations: MaxConcurrency on the concurrency graph, the
	// function Timeout (ms) on the duration graph.
	timeout, err := tp.intValue(tp.funcProp(functionID, "Timeout"))
	if err != nil {
		t.Fatalf("Timeout: %v", err)
	}
	maxConc, _ := env.param(concParam)
	limit, _ := strconv.ParseFloat(maxConc, 64)
	others := []struct {
		key   string
		value float64
	}{
		{metricKey("AWS/Lambda", "ConcurrentExecutions", map[string]string{"FunctionName": fn}), limit},
		{metricKey("AWS/Lambda", "Duration", map[string]string{"FunctionName": fn}), float64(timeout * 1000)},
	}
	for _, a := range d.annots {
		if explained[a] {
			continue
		}
		ok := false
		for _, o := range others {
			for _, m := range d.metrics {
				if m.widget == a.widget && m.axis == a.axis && m.key() == o.key && a.value == o.value {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("widget %d: annotation %q = %v (%s axis) is no alarm threshold of a metric on that axis, nor MaxConcurrency / Timeout", a.widget, a.label, a.value, a.axis)
		}
	}
}

// TestDashboard renders every combination twice, with the parameters'
// Defaults and with dashboardOverrides, and checks the dashboard in each.
func TestDashboard(t *testing.T) {
	tp := loadTemplate(t)
	for name, v := range dashboardOverrides {
		p := tp.param(name)
		if d, _ := scalar(get(p, "Default")); p == nil || d == v {
			t.Fatalf("override %s=%s: want a parameter and a value unlike its Default", name, v)
		}
		if pat, ok := get(p, "AllowedPattern").(string); ok && !regexp.MustCompile(pat).MatchString(v) {
			t.Fatalf("override %s=%s does not match its AllowedPattern", name, v)
		}
		if allowed := stringList(get(p, "AllowedValues")); len(allowed) > 0 && !slices.Contains(allowed, v) {
			t.Fatalf("override %s=%s is not in its AllowedValues %v", name, v, allowed)
		}
	}
	for _, c := range combinations() {
		for _, variant := range []string{"defaults", "overrides"} {
			t.Run(c.name+"/"+variant, func(t *testing.T) {
				params := maps.Clone(c.params)
				if variant == "overrides" {
					maps.Copy(params, dashboardOverrides)
				}
				rt, err := tp.render(params)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				checkDashboard(t, tp, rt, params)
			})
		}
	}
}

// TestDashboardCatchesDrift: the checks fail on the mistakes they exist for.
func TestDashboardCatchesDrift(t *testing.T) {
	tp := loadTemplate(t)
	body, _ := get(tp.prop(dashboardID, "DashboardBody"), "Fn::Sub").(string)
	if body == "" {
		t.Fatalf("%s DashboardBody is not a one-string !Sub", dashboardID)
	}
	cases := []struct {
		name, old, new string
		all            bool // replace every occurrence
	}{
		{"metric the function does not write", `"AccountsErased"`, `"AccountsErasedTotal"`, false},
		{"literal function name", `"${EraserFunction}", {"stat": "Sum", "label": "errors"}`, `"attr-eraser-fn", {"stat": "Sum", "label": "errors"}`, false},
		{"literal queue name", `"${ErasureDeadLetterQueue.QueueName}", {"label": "messages"}`, `"attr-eraser-dlq", {"label": "messages"}`, false},
		{"literal namespace", `["${MetricsNamespace}", "ApiRetries"`, `["AttrEraser", "ApiRetries"`, false},
		{"literal threshold", `"value": ${PendingAgeAlarmSeconds}`, `"value": 21600`, false},
		{"SEARCH pinning no function", `FunctionName=\"${EraserFunction}\"`, ``, false},
		{"SEARCH with an unquoted namespace", `{\"${MetricsNamespace}\",Class`, `{${MetricsNamespace},Class`, false},
		{"SEARCH without the Class dimension", `,Class,FunctionName}`, `,FunctionName}`, false},
		{"Class pinned", `"MessagesRequeued", "FunctionName", "${EraserFunction}"`, `"MessagesFailed", "Class", "retryable", "FunctionName", "${EraserFunction}"`, false},
		{"literal region", `"region": "${AWS::Region}"`, `"region": "us-east-1"`, true},
		{"invalid JSON", `"widgets": [`, `"widgets": [,`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := strings.Count(body, c.old); n == 0 || n > 1 && !c.all {
				t.Fatalf("the body contains %q %d times, want once; update this case", c.old, n)
			}
			n := 1
			if c.all {
				n = -1
			}
			mt := maps.Clone(tp)
			res := maps.Clone(mt["Resources"].(map[string]any))
			dash := maps.Clone(res[dashboardID].(map[string]any))
			props := maps.Clone(dash["Properties"].(map[string]any))
			props["DashboardBody"] = map[string]any{"Fn::Sub": strings.Replace(body, c.old, c.new, n)}
			dash["Properties"], res[dashboardID], mt["Resources"] = props, dash, res
			params := maps.Clone(dashboardOverrides)
			params["AlarmEmail"] = exampleEmail
			rt, err := mt.render(params)
			if err != nil {
				t.Fatal(err)
			}
			ft := &fakeT{TB: t}
			func() {
				defer func() {
					if r := recover(); r != nil && r != errFakeFatal {
						panic(r)
					}
				}()
				checkDashboard(ft, mt, rt, params)
			}()
			if len(ft.msgs) == 0 {
				t.Errorf("checkDashboard accepted a body with %s", c.name)
			} else {
				t.Logf("caught: %s", ft.msgs[0])
			}
		})
	}
}

// TestDashboardNameAndURL: the name fits CloudWatch's rules for every stack
// name and Region, differs between Regions (names are global to the
// account), and the DashboardUrl output opens it.
func TestDashboardNameAndURL(t *testing.T) {
	tp := loadTemplate(t)
	nameSub, _ := get(tp.prop(dashboardID, "DashboardName"), "Fn::Sub").(string)
	for _, v := range []string{"${AWS::StackName}", "${AWS::Region}"} {
		if !strings.Contains(nameSub, v) {
			t.Errorf("DashboardName %q lacks %s (dashboard names are global to the account)", nameSub, v)
		}
	}
	// CloudFormation stack names: up to 128 letters, digits and "-".
	longest := strings.Repeat("s", 128)
	name := strings.NewReplacer("${AWS::StackName}", longest, "${AWS::Region}", "ap-southeast-7-longer-region").Replace(nameSub)
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`).MatchString(name) {
		t.Errorf("DashboardName resolves to %q (%d characters): CloudWatch allows 1 to 255 letters, digits, - and _", name, len(name))
	}
	env := subEnv{rt: tp}
	dashName, err := env.subString(tp.prop(dashboardID, "DashboardName"))
	if err != nil {
		t.Fatal(err)
	}
	env.refs = map[string]string{dashboardID: dashName}
	if got := get(map[string]any(tp), "Outputs", "DashboardName", "Value"); !reflect.DeepEqual(got, ref(dashboardID)) {
		t.Errorf("output DashboardName = %v, want !Ref %s", got, dashboardID)
	}
	out := get(map[string]any(tp), "Outputs", "DashboardUrl")
	if out == nil || get(out, "Condition") != nil || str(get(out, "Description")) == "" {
		t.Fatalf("output DashboardUrl = %v: want one, unconditional, with a Description", out)
	}
	raw, err := env.subString(get(out, "Value"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	region := examplePseudo["AWS::Region"]
	switch {
	case err != nil:
		t.Fatalf("DashboardUrl %q: %v", raw, err)
	case u.Scheme != "https" || u.Host != region+".console.aws.amazon.com" || u.Path != "/cloudwatch/home":
		t.Errorf("DashboardUrl %q: want https://%s.console.aws.amazon.com/cloudwatch/home", raw, region)
	case u.Query().Get("region") != region:
		t.Errorf("DashboardUrl %q: region=%q, want %s", raw, u.Query().Get("region"), region)
	case u.Fragment != "dashboards:name="+dashName:
		t.Errorf("DashboardUrl %q: fragment %q, want dashboards:name=%s", raw, u.Fragment, dashName)
	}
}

// TestDashboardREADME: the README's Operations section explains the
// dashboard, after the alarms: every graph by its title, and DashboardUrl.
func TestDashboardREADME(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	ops := strings.Index(readme, "\n## Operations\n")
	alarms := strings.Index(readme, "\n### Alarms\n")
	start := strings.Index(readme, "\n### Dashboard\n")
	if ops < 0 || alarms < ops || start < alarms {
		t.Fatalf("README: want a \"### Dashboard\" section under \"## Operations\", after \"### Alarms\"")
	}
	section := readme[start+1:]
	if end := strings.Index(section[1:], "\n#"); end >= 0 {
		section = section[:end+1]
	}
	tp := loadTemplate(t)
	rt, err := tp.render(map[string]string{"AlarmEmail": exampleEmail})
	if err != nil {
		t.Fatal(err)
	}
	body, err := subEnv{rt: rt}.subString(rt.prop(dashboardID, "DashboardBody"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDashboard(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range d.titles {
		if !strings.Contains(section, title) {
			t.Errorf("README Dashboard section does not name the graph %q", title)
		}
	}
	if !strings.Contains(section, "DashboardUrl") {
		t.Error("README Dashboard section does not mention the DashboardUrl output")
	}
}

// fakeT records failures without failing the real test, so that
// TestDashboardCatchesDrift can see that a check fires; Fatal stops the
// check with errFakeFatal.
type fakeT struct {
	testing.TB
	msgs []string
}

var errFakeFatal = errors.New("fatal")

func (f *fakeT) Helper()                        {}
func (f *fakeT) Error(a ...any)                 { f.msgs = append(f.msgs, fmt.Sprint(a...)) }
func (f *fakeT) Errorf(format string, a ...any) { f.msgs = append(f.msgs, fmt.Sprintf(format, a...)) }
func (f *fakeT) Fatal(a ...any)                 { f.Error(a...); panic(errFakeFatal) }
func (f *fakeT) Fatalf(format string, a ...any) { f.Errorf(format, a...); panic(errFakeFatal) }
