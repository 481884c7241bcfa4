package deploy

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

const (
	templatePath = "../../../template.yaml"
	makefilePath = "../../../Makefile"
	eventsDir    = "../../../events"

	functionID      = "EraserFunction"
	functionRole    = functionID + "Role" // the role SAM generates for the function
	esmID           = "EraserFunctionErasureQueueEvent"
	queueID         = "ErasureQueue"
	dlqID           = "ErasureDeadLetterQueue"
	secretParam     = "SigningKeySecretArn"
	kmsKeyParam     = "SigningKeyKmsKeyArn"
	receiptBusParam = "ReceiptEventBusName"
	concParam       = "MaxConcurrency"
	rateMapping     = "RateLimitByConcurrency"
	rateMapKey      = "PerSecond"
	tencentBudget   = 100 // im_remove_attr calls per second per SDKAppID, whole deployment
)

// ---------------------------------------------------------------------------
// Template loading: YAML with CloudFormation short-form tags, turned into
// plain JSON-like values with the long form ({"Ref": x}, {"Fn::GetAtt": [r, a]}).

type tmpl map[string]any

func loadTemplate(t *testing.T) tmpl {
	t.Helper()
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatalf("parse %s: %v", templatePath, err)
	}
	v, err := convert(&root)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", templatePath, v)
	}
	return m
}

// convert expands short-form intrinsics: !Ref x -> {"Ref": x}, !GetAtt a.b ->
// {"Fn::GetAtt": [a, b]}, !Sub/!FindInMap/... -> {"Fn::Sub": ...}.
func convert(n *yaml.Node) (any, error) {
	switch {
	case n.Kind == yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty document")
		}
		return convert(n.Content[0])
	case n.Kind == yaml.AliasNode:
		return convert(n.Alias)
	case strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!"):
		key := "Fn::" + n.Tag[1:]
		if n.Tag == "!Ref" || n.Tag == "!Condition" {
			key = n.Tag[1:]
		}
		if n.Kind == yaml.ScalarNode {
			if n.Tag == "!GetAtt" {
				res, attr, _ := strings.Cut(n.Value, ".")
				return map[string]any{key: []any{res, attr}}, nil
			}
			return map[string]any{key: n.Value}, nil
		}
		c := *n
		c.Tag = ""
		v, err := convert(&c)
		return map[string]any{key: v}, err
	case n.Kind == yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			v, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case n.Kind == yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!int", "!!float", "!!bool":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return n.Value, nil
}

// get walks maps by key; a missing step yields nil.
func get(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func (tp tmpl) resource(id string) any { return get(map[string]any(tp), "Resources", id) }
func (tp tmpl) param(name string) any  { return get(map[string]any(tp), "Parameters", name) }
func (tp tmpl) prop(id string, p ...string) any {
	return get(tp.resource(id), append([]string{"Properties"}, p...)...)
}

// resourcesOfType returns the logical IDs of every resource of type typ, sorted.
func (tp tmpl) resourcesOfType(typ string) []string {
	res, _ := tp["Resources"].(map[string]any)
	var ids []string
	for id, r := range res {
		if get(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// funcProp reads a function property, falling back to Globals.Function.
func (tp tmpl) funcProp(id, name string) any {
	if v := tp.prop(id, name); v != nil {
		return v
	}
	return get(map[string]any(tp), "Globals", "Function", name)
}

func ref(name string) map[string]any         { return map[string]any{"Ref": name} }
func getAtt(res, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{res, attr}} }

// scalar renders a YAML scalar (string, int, float, bool) as text.
func scalar(v any) (string, bool) {
	switch v.(type) {
	case string, int, int64, float64, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

// intValue reads a literal integer, or a {"Ref": param} as the parameter's Default.
func (tp tmpl) intValue(v any) (int, error) {
	if r, ok := get(v, "Ref").(string); ok {
		p := tp.param(r)
		if p == nil {
			return 0, fmt.Errorf("Ref %q: no such parameter", r)
		}
		v = get(p, "Default")
	}
	s, ok := scalar(v)
	if !ok {
		return 0, fmt.Errorf("%v is not an integer literal", v)
	}
	return strconv.Atoi(s)
}

// intRange reads a literal integer or a parameter's possible range
// (AllowedValues, else MinValue..MaxValue, else Default).
func (tp tmpl) intRange(v any) (lo, hi int, err error) {
	r, isRef := get(v, "Ref").(string)
	if !isRef {
		n, err := tp.intValue(v)
		return n, n, err
	}
	p := tp.param(r)
	if p == nil {
		return 0, 0, fmt.Errorf("Ref %q: no such parameter", r)
	}
	if allowed, ok := get(p, "AllowedValues").([]any); ok && len(allowed) > 0 {
		var ns []int
		for _, a := range allowed {
			n, err := tp.intValue(a)
			if err != nil {
				return 0, 0, fmt.Errorf("parameter %s AllowedValues: %v", r, err)
			}
			ns = append(ns, n)
		}
		return slices.Min(ns), slices.Max(ns), nil
	}
	if get(p, "MinValue") != nil && get(p, "MaxValue") != nil {
		lo, err1 := tp.intValue(get(p, "MinValue"))
		hi, err2 := tp.intValue(get(p, "MaxValue"))
		return lo, hi, errors.Join(err1, err2)
	}
	n, err := tp.intValue(v)
	return n, n, err
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := scalar(x)
		out = append(out, s)
	}
	return out
}

// ---------------------------------------------------------------------------
// Template tests

func TestTemplateHeader(t *testing.T) {
	tp := loadTemplate(t)
	tr := tp["Transform"]
	if tr != "AWS::Serverless-2016-10-31" && !slices.Contains(stringList(tr), "AWS::Serverless-2016-10-31") {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", tr)
	}
	if got := tp.resourcesOfType("AWS::Serverless::Function"); !slices.Equal(got, []string{functionID}) {
		t.Errorf("AWS::Serverless::Function resources = %v, want [%s]", got, functionID)
	}
}

func TestFunctionProperties(t *testing.T) {
	tp := loadTemplate(t)
	if tp.resource(functionID) == nil {
		t.Fatalf("resource %s missing", functionID)
	}
	cases := []struct {
		path []string
		want any
	}{
		{[]string{"Runtime"}, "provided.al2023"},
		{[]string{"Architectures"}, []any{"arm64"}},
		{[]string{"Handler"}, "bootstrap"},
		{[]string{"CodeUri"}, "."},
		{[]string{"MemorySize"}, 256},
		{[]string{"Timeout"}, 180},
		{[]string{"LoggingConfig", "LogFormat"}, "JSON"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.path, "."), func(t *testing.T) {
			got := get(tp.funcProp(functionID, c.path[0]), c.path[1:]...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s.%s = %#v, want %#v", functionID, strings.Join(c.path, "."), got, c.want)
			}
		})
	}
	if got := get(tp.resource(functionID), "Metadata", "BuildMethod"); got != "makefile" {
		t.Errorf("%s Metadata.BuildMethod = %v, want makefile", functionID, got)
	}
}

var makeTarget = regexp.MustCompile(`^([A-Za-z0-9_.-]+)\s*:([^=]|$)`)

// TestMakefileTargets: `sam build` runs `make build-<LogicalId>` for every
// function whose Metadata.BuildMethod is makefile.
func TestMakefileTargets(t *testing.T) {
	tp := loadTemplate(t)
	var want []string
	for _, id := range tp.resourcesOfType("AWS::Serverless::Function") {
		if get(tp.resource(id), "Metadata", "BuildMethod") == "makefile" {
			want = append(want, "build-"+id)
		}
	}
	if len(want) == 0 {
		t.Skip("no function builds with a Makefile")
	}
	f, err := os.Open(makefilePath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s does not exist: template.yaml builds with BuildMethod makefile, so `sam build` needs a Makefile with targets %v", makefilePath, want)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	have := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := makeTarget.FindStringSubmatch(sc.Text()); m != nil {
			have[m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, target := range want {
		if !have[target] {
			t.Errorf("%s has no %q target (sam build runs it for BuildMethod makefile; it must write $(ARTIFACTS_DIR)/bootstrap)", makefilePath, target)
		}
	}
}

// TestSQSEventSource: the SQS trigger is an explicit event source mapping
// (a SAM SQS event would attach AWSLambdaSQSQueueExecutionRole, SQS actions
// on every queue), created after the role that carries its permissions, with
// partial batch responses and the queue timeouts AWS asks for.
func TestSQSEventSource(t *testing.T) {
	tp := loadTemplate(t)
	evs, _ := tp.prop(functionID, "Events").(map[string]any)
	for name, ev := range evs {
		if typ := get(ev, "Type"); typ == "SQS" {
			t.Errorf("%s Events.%s is a SAM SQS event: SAM would attach AWSLambdaSQSQueueExecutionRole (sqs:ReceiveMessage/DeleteMessage/GetQueueAttributes on *)", functionID, name)
		}
	}
	if got := tp.resourcesOfType("AWS::Lambda::EventSourceMapping"); !slices.Equal(got, []string{esmID}) {
		t.Fatalf("event source mappings = %v, want [%s] (the logical ID SAM gave the former SQS event, so an existing stack updates it in place)", got, esmID)
	}
	esm := tp.resource(esmID)
	if c := get(esm, "Condition"); c != nil {
		t.Errorf("%s Condition = %v, want none", esmID, c)
	}
	if tp.prop(functionID, "Role") != nil {
		t.Fatalf("%s sets Role: the DependsOn below assumes SAM generates %s", functionID, functionRole)
	}
	deps := get(esm, "DependsOn")
	if s, ok := deps.(string); ok {
		deps = []any{s}
	}
	if !slices.Contains(stringList(deps), functionRole) {
		t.Errorf("%s DependsOn = %v, want %s (Lambda checks the role's SQS permissions when it creates the mapping)", esmID, get(esm, "DependsOn"), functionRole)
	}
	p := get(esm, "Properties")
	for k, w := range map[string]any{
		"EventSourceArn": getAtt(queueID, "Arn"),
		"FunctionName":   ref(functionID),
		"Enabled":        true,
		"BatchSize":      ref("BatchSize"),
		"ScalingConfig":  map[string]any{"MaximumConcurrency": ref(concParam)},
	} {
		if got := get(p, k); !reflect.DeepEqual(got, w) {
			t.Errorf("%s.%s = %#v, want %#v", esmID, k, got, w)
		}
	}
	if got := stringList(get(p, "FunctionResponseTypes")); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("FunctionResponseTypes = %v, want [ReportBatchItemFailures] (partial batch response)", got)
	}
	timeout, err := tp.intValue(tp.funcProp(functionID, "Timeout"))
	if err != nil {
		t.Fatalf("Timeout: %v", err)
	}
	window, err := tp.intValue(get(p, "MaximumBatchingWindowInSeconds"))
	if err != nil || window < 0 || window > 300 {
		t.Errorf("MaximumBatchingWindowInSeconds = %v (%v), want a literal 0..300", get(p, "MaximumBatchingWindowInSeconds"), err)
	}
	lo, hi, err := tp.intRange(get(p, "BatchSize"))
	switch {
	case err != nil:
		t.Errorf("BatchSize: %v", err)
	case lo < 1 || hi > 10000:
		t.Errorf("BatchSize range %d..%d, want within 1..10000", lo, hi)
	case hi > 10 && window < 1:
		t.Errorf("BatchSize may exceed 10 but MaximumBatchingWindowInSeconds = %d; SQS requires >= 1", window)
	}
	// AWS: visibility timeout >= 6 x function timeout + batching window.
	vis, err := tp.intValue(tp.prop(queueID, "VisibilityTimeout"))
	if err != nil {
		t.Fatalf("%s VisibilityTimeout: %v", queueID, err)
	}
	if floor := 6*timeout + window; vis < floor {
		t.Errorf("%s VisibilityTimeout = %d, want >= 6 x Timeout (%d) + window (%d) = %d", queueID, vis, timeout, window, floor)
	}
}

func TestQueues(t *testing.T) {
	tp := loadTemplate(t)
	for _, id := range []string{queueID, dlqID} {
		if typ := get(tp.resource(id), "Type"); typ != "AWS::SQS::Queue" {
			t.Fatalf("%s Type = %v, want AWS::SQS::Queue", id, typ)
		}
		if got := tp.prop(id, "SqsManagedSseEnabled"); got != true {
			t.Errorf("%s SqsManagedSseEnabled = %v, want true", id, got)
		}
		if got, err := tp.intValue(tp.prop(id, "MessageRetentionPeriod")); err != nil || got != 1209600 {
			t.Errorf("%s MessageRetentionPeriod = %v (%v), want 1209600 (14 days)", id, tp.prop(id, "MessageRetentionPeriod"), err)
		}
		// The function's copies (requeues, dead letters) may be as large
		// as SQS allows; a queue's default may be 256 KiB.
		if got, err := tp.intValue(tp.prop(id, "MaximumMessageSize")); err != nil || got != 1048576 {
			t.Errorf("%s MaximumMessageSize = %v (%v), want 1048576 (1 MiB, SQS's most)", id, tp.prop(id, "MaximumMessageSize"), err)
		}
	}
	rp := tp.prop(queueID, "RedrivePolicy")
	if !reflect.DeepEqual(get(rp, "deadLetterTargetArn"), getAtt(dlqID, "Arn")) {
		t.Errorf("%s RedrivePolicy.deadLetterTargetArn = %v, want !GetAtt %s.Arn", queueID, get(rp, "deadLetterTargetArn"), dlqID)
	}
	// maxReceiveCount comes from the retry schedule (TestRetrySchedule).
	if got, want := get(rp, "maxReceiveCount"), findInMap(retryMapping, retryMapKey, "MaxReceiveCount"); !reflect.DeepEqual(got, want) {
		t.Errorf("%s RedrivePolicy.maxReceiveCount = %v, want %v", queueID, got, want)
	}
	// The DLQ must keep messages at least as long as the source queue, or
	// SQS may expire a message on arrival (retention counts from the original enqueue).
	src, _ := tp.intValue(tp.prop(queueID, "MessageRetentionPeriod"))
	if dlq, _ := tp.intValue(tp.prop(dlqID, "MessageRetentionPeriod")); dlq < src {
		t.Errorf("DLQ retention %d < source retention %d", dlq, src)
	}
}

// secretPolicy is the function's policy that reads the signing-key secret.
var secretPolicy = map[string]any{"AWSSecretsManagerGetSecretValuePolicy": map[string]any{"SecretArn": ref(secretParam)}}

// sqsActions are the SQS actions the role needs, per queue: the event source
// mapping polls and acknowledges (ReceiveMessage, DeleteMessage,
// GetQueueAttributes); the function resolves the queue URL from each
// record's eventSourceARN (GetQueueUrl), sets retry delays
// (ChangeMessageVisibility) and requeues unreached messages as new copies
// (SendMessage); it sends messages that can never succeed to the DLQ.
var sqsActions = map[string][]string{
	queueID: {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility", "sqs:SendMessage"},
	dlqID:   {"sqs:SendMessage"},
}

// sqsPolicy is the function's policy granting sqsActions.
var sqsPolicy = map[string]any{
	"Version": "2012-10-17",
	"Statement": []any{
		map[string]any{"Sid": "ErasureQueue", "Effect": "Allow", "Action": toAny(sqsActions[queueID]), "Resource": getAtt(queueID, "Arn")},
		map[string]any{"Sid": "DeadLetterQueue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": getAtt(dlqID, "Arn")},
		// The wiring check; the action has no resource-level permission.
		map[string]any{"Sid": "CheckEventSourceMapping", "Effect": "Allow", "Action": "lambda:ListEventSourceMappings", "Resource": "*"},
	},
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestSecretPolicy(t *testing.T) {
	tp := loadTemplate(t)
	rt, err := tp.render(nil) // every optional parameter off
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	policies, _ := rt.prop(functionID, "Policies").([]any)
	want := []any{secretPolicy, sqsPolicy}
	if !reflect.DeepEqual(policies, want) {
		t.Errorf("Policies = %v, want exactly %v", policies, want)
	}
	if got := tp.prop(functionID, "Environment", "Variables", "SECRET_ID"); !reflect.DeepEqual(got, ref(secretParam)) {
		t.Errorf("SECRET_ID = %v, want !Ref %s (the secret the policy grants)", got, secretParam)
	}
	pattern, _ := get(tp.param(secretParam), "AllowedPattern").(string)
	re, err := regexp.Compile(pattern)
	if err != nil || pattern == "" {
		t.Fatalf("%s AllowedPattern %q: %v", secretParam, pattern, err)
	}
	for arn, ok := range map[string]bool{
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret:attr-eraser/tim-AbC123": true,
		"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:tim_key-x1Y2z3":        true,
		"attr-eraser/tim":     false,
		"arn:aws:s3:::bucket": false,
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret:": false,
	} {
		if re.MatchString(arn) != ok {
			t.Errorf("%s AllowedPattern matches %q = %v, want %v", secretParam, arn, !ok, ok)
		}
	}
}

// TestSigningKeyKmsPolicy: a secret encrypted with a customer managed key is
// readable only with kms:Decrypt on that key. With SigningKeyKmsKeyArn set the
// role gets exactly that, on that key only and only through Secrets Manager
// in the stack's Region; without it, no KMS permission at all.
func TestSigningKeyKmsPolicy(t *testing.T) {
	tp := loadTemplate(t)
	p := tp.param(kmsKeyParam)
	if p == nil {
		t.Fatalf("parameter %s missing", kmsKeyParam)
	}
	if get(p, "Type") != "String" || get(p, "Default") != "" {
		t.Errorf("%s Type = %v, Default = %#v; want String defaulting to \"\" (off)", kmsKeyParam, get(p, "Type"), get(p, "Default"))
	}
	pattern, _ := get(p, "AllowedPattern").(string)
	re, err := regexp.Compile(pattern)
	if err != nil || pattern == "" {
		t.Fatalf("%s AllowedPattern %q: %v", kmsKeyParam, pattern, err)
	}
	for arn, ok := range map[string]bool{
		"":               true,
		exampleKmsKeyArn: true,
		"arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab": true,
		"arn:aws:kms:eu-central-1:123456789012:alias/attr-eraser":                         false, // IAM matches key ARNs, not aliases
		"1234abcd-12ab-34cd-56ef-1234567890ab":                                            false,
		"arn:aws:kms:eu-central-1:123456789012:key/*":                                     false,
	} {
		if re.MatchString(arn) != ok {
			t.Errorf("%s AllowedPattern matches %q = %v, want %v", kmsKeyParam, arn, !ok, ok)
		}
	}
	wantKms := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":      "DecryptSigningKeySecret",
			"Effect":   "Allow",
			"Action":   "kms:Decrypt",
			"Resource": ref(kmsKeyParam),
			"Condition": map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": map[string]any{"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"},
			}},
		}},
	}
	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			want := []any{secretPolicy, sqsPolicy}
			if c.kms {
				want = append(want, wantKms)
			}
			if c.receipt {
				want = append(want, receiptPolicy)
			}
			if got, _ := rt.prop(functionID, "Policies").([]any); !reflect.DeepEqual(got, want) {
				t.Errorf("Policies =\n %v\nwant\n %v", got, want)
			}
		})
	}
}

// TestPlatformReportLines: Lambda's REPORT line (duration, billed duration,
// max memory, init duration) is a platform event of level INFO. With the JSON
// log format Lambda drops platform events below SystemLogLevel, so WARN or
// ERROR would lose every invocation's duration and memory record.
func TestPlatformReportLines(t *testing.T) {
	tp := loadTemplate(t)
	lc := tp.funcProp(functionID, "LoggingConfig")
	if get(lc, "LogFormat") != "JSON" {
		t.Skipf("LoggingConfig.LogFormat = %v: with the Text format Lambda filters nothing", get(lc, "LogFormat"))
	}
	if got := get(lc, "SystemLogLevel"); got != "INFO" {
		t.Errorf("LoggingConfig.SystemLogLevel = %v, want INFO (REPORT lines are INFO platform events; WARN drops them)", got)
	}
	if got := get(lc, "ApplicationLogLevel"); got != "TRACE" {
		t.Errorf("LoggingConfig.ApplicationLogLevel = %v, want TRACE (the function filters with LOG_LEVEL; EMF lines carry no level)", got)
	}
}

// TestEnvironmentVariables: the function's environment is exactly what the
// config loader reads, each wired to its parameter.
func TestEnvironmentVariables(t *testing.T) {
	tp := loadTemplate(t)
	vars, _ := tp.prop(functionID, "Environment", "Variables").(map[string]any)
	got := slices.Sorted(maps.Keys(vars))
	want := slices.Sorted(slices.Values(config.Variables))
	if !slices.Equal(got, want) {
		t.Errorf("Environment.Variables names = %v, want exactly config.Variables %v", got, want)
	}
	wiring := map[string]any{
		"SECRET_ID":             ref(secretParam),
		"TIM_SDKAPPID":          ref("SdkAppId"),
		"TIM_IDENTIFIER":        ref("AdminIdentifier"),
		"TIM_REGION":            ref("TimRegion"),
		"TIM_BASE_URL":          "",
		"TIM_ATTRS":             ref("DefaultAttrs"),
		"TIM_API":               ref("TimApi"),
		"ERASE_TAGS":            ref("EraseTags"),
		"RECEIPT_EVENT_BUS":     ref(receiptBusParam),
		"RATE_LIMIT_PER_SECOND": map[string]any{"Fn::FindInMap": []any{rateMapping, ref(concParam), rateMapKey}},
		"DRY_RUN":               ref("DryRun"),
		"LOG_LEVEL":             ref("LogLevel"),
		"METRICS_NAMESPACE":     ref("MetricsNamespace"),
		"RETRY_BASE_SECONDS":    findInMap(retryMapping, retryMapKey, "BaseSeconds"),
		"RETRY_MAX_SECONDS":     findInMap(retryMapping, retryMapKey, "MaxSeconds"),
		"DEAD_LETTER_QUEUE_URL": ref(dlqID),
	}
	for name, w := range wiring {
		if v, ok := vars[name]; !ok || !reflect.DeepEqual(v, w) {
			t.Errorf("%s = %#v, want %#v", name, v, w)
		}
	}
}

func TestParameters(t *testing.T) {
	tp := loadTemplate(t)
	params, _ := tp["Parameters"].(map[string]any)
	for name, p := range params {
		if def := get(p, "Default"); def != nil {
			allowed := stringList(get(p, "AllowedValues"))
			d, _ := scalar(def)
			if len(allowed) > 0 && !slices.Contains(allowed, d) {
				t.Errorf("parameter %s: Default %q not in AllowedValues %v", name, d, allowed)
			}
			if pat, ok := get(p, "AllowedPattern").(string); ok {
				if re, err := regexp.Compile(pat); err == nil && !re.MatchString(d) {
					t.Errorf("parameter %s: Default %q does not match AllowedPattern %q", name, d, pat)
				}
			}
		}
	}
	cases := []struct {
		name    string
		def     string
		allowed []string // nil: not checked
	}{
		{"TimRegion", "singapore", slices.Sorted(maps.Keys(config.Regions))},
		{"AdminIdentifier", config.DefaultIdentifier, nil},
		{"DefaultAttrs", config.AllAttrs, nil},
		{"TimApi", tim.AllMemberPush.String(), slices.Sorted(slices.Values([]string{tim.AllMemberPush.String(), tim.TimPush.String()}))},
		{"EraseTags", "false", []string{"false", "true"}},
		{receiptBusParam, "", nil},
		{"DryRun", "false", []string{"false", "true"}},
		{"LogLevel", "info", []string{"debug", "error", "info", "warn"}},
		{"MetricsNamespace", config.DefaultMetricsNamespace, nil},
		{concParam, "2", nil},
		{"BatchSize", "1000", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := tp.param(c.name)
			if p == nil {
				t.Fatalf("parameter %s missing", c.name)
			}
			if d, _ := scalar(get(p, "Default")); d != c.def {
				t.Errorf("Default = %q, want %q", d, c.def)
			}
			if c.allowed != nil {
				if got := slices.Sorted(slices.Values(stringList(get(p, "AllowedValues")))); !slices.Equal(got, c.allowed) {
					t.Errorf("AllowedValues = %v, want %v", got, c.allowed)
				}
			}
		})
	}
	pat, _ := get(tp.param("SdkAppId"), "AllowedPattern").(string)
	if re, err := regexp.Compile(pat); err != nil || !re.MatchString("1400000000") || re.MatchString("14000abc") {
		t.Errorf("SdkAppId AllowedPattern %q must accept digits only (%v)", pat, err)
	}
}

// TestParameterValuesLoad: every value a parameter wired straight to an
// environment variable may take (each AllowedValue, else its Default) is one
// the config loader accepts, and each TimRegion keyword selects its domain.
func TestParameterValuesLoad(t *testing.T) {
	tp := loadTemplate(t)
	vars, _ := tp.prop(functionID, "Environment", "Variables").(map[string]any)
	base := map[string]string{config.EnvSecretID: "attr-eraser/tim", config.EnvRegion: "singapore"}
	load := func(name, value string) (config.Config, error) {
		env := maps.Clone(base)
		env[name] = value
		return config.Load(func(k string) string { return env[k] })
	}
	checked := 0
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		param, _ := get(vars[name], "Ref").(string)
		p := tp.param(param)
		if p == nil {
			continue // a resource, a mapping or a literal
		}
		values := stringList(get(p, "AllowedValues"))
		if len(values) == 0 {
			d, ok := scalar(get(p, "Default"))
			if !ok {
				continue // required, no Default (SigningKeySecretArn)
			}
			values = []string{d}
		}
		if param == receiptBusParam {
			values = append(values, "default", exampleReceiptBus)
		}
		for _, v := range values {
			checked++
			c, err := load(name, v)
			if err != nil {
				t.Errorf("%s = %q (parameter %s) is refused by config.Load: %v", name, v, param, err)
				continue
			}
			if name == config.EnvRegion {
				if got, want := c.BaseURL.Host, config.Regions[v]; got != want || want == "" {
					t.Errorf("TIM_REGION %q: base URL host %q, want %q", v, got, want)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no parameter value checked")
	}
	if !slices.Contains(stringList(get(tp.param("TimRegion"), "AllowedValues")), "tokyo") || config.Regions["tokyo"] != "adminapijpn.im.qcloud.com" {
		t.Errorf("tokyo: TimRegion AllowedValues %v, config.Regions[tokyo] = %q; want allowed and adminapijpn.im.qcloud.com",
			get(tp.param("TimRegion"), "AllowedValues"), config.Regions["tokyo"])
	}
}

// TestRateLimitBudget: every concurrency the SQS poller may reach times each
// instance's RATE_LIMIT_PER_SECOND stays within Tencent's 100 calls/s.
func TestRateLimitBudget(t *testing.T) {
	tp := loadTemplate(t)
	table, _ := get(map[string]any(tp), "Mappings", rateMapping).(map[string]any)
	if len(table) == 0 {
		t.Fatalf("Mappings.%s missing", rateMapping)
	}
	for key, entry := range table {
		c, err := strconv.Atoi(key)
		if err != nil {
			t.Errorf("%s key %q is not a concurrency", rateMapping, key)
			continue
		}
		s, _ := scalar(get(entry, rateMapKey))
		r, err := strconv.Atoi(s)
		switch {
		case err != nil:
			t.Errorf("%s[%s].%s = %v, want an integer", rateMapping, key, rateMapKey, get(entry, rateMapKey))
		case r < 1:
			t.Errorf("%s[%s].%s = %d, want >= 1", rateMapping, key, rateMapKey, r)
		case c*r > tencentBudget:
			t.Errorf("%s[%s]: %d x %d = %d calls/s > %d", rateMapping, key, c, r, c*r, tencentBudget)
		case r != tencentBudget/c:
			t.Errorf("%s[%s].%s = %d, want %d (use the whole budget)", rateMapping, key, rateMapKey, r, tencentBudget/c)
		}
	}
	allowed := stringList(get(tp.param(concParam), "AllowedValues"))
	if len(allowed) == 0 {
		t.Fatalf("parameter %s needs AllowedValues (each one a %s key)", concParam, rateMapping)
	}
	for _, a := range allowed {
		c, err := strconv.Atoi(a)
		if err != nil || c < 2 || c > 1000 {
			t.Errorf("%s AllowedValue %q: SQS MaximumConcurrency must be 2..1000", concParam, a)
		}
		if _, ok := table[a]; !ok {
			t.Errorf("%s AllowedValue %q has no %s entry", concParam, a, rateMapping)
		}
	}
}

func TestOutputs(t *testing.T) {
	tp := loadTemplate(t)
	want := map[string]any{
		"ErasureQueueUrl":    ref(queueID),
		"ErasureQueueArn":    getAtt(queueID, "Arn"),
		"DeadLetterQueueUrl": ref(dlqID),
		"DeadLetterQueueArn": getAtt(dlqID, "Arn"),
		"EraserFunctionArn":  getAtt(functionID, "Arn"),

		"DeadLetterQueueAlarmName":     ref(dlqAlarmID),
		"DeadLetterQueueAlarmArn":      getAtt(dlqAlarmID, "Arn"),
		"DeadLetterQueueAgeAlarmName":  ref(dlqAgeAlarmID),
		"DeadLetterQueueAgeAlarmArn":   getAtt(dlqAgeAlarmID, "Arn"),
		"PendingAgeAlarmName":          ref(pendingAlarmID),
		"PendingAgeAlarmArn":           getAtt(pendingAlarmID, "Arn"),
		"ErasureLatencyAlarmName":      ref(latencyAlarmID),
		"ErasureLatencyAlarmArn":       getAtt(latencyAlarmID, "Arn"),
		"AlarmEmailTopicArn":           ref(alarmEmailTopicID),
		"OldestMessageAgeAlarmName":    ref(ageAlarmID),
		"OldestMessageAgeAlarmArn":     getAtt(ageAlarmID, "Arn"),
		"FunctionErrorsAlarmName":      ref(errorsAlarmID),
		"FunctionErrorsAlarmArn":       getAtt(errorsAlarmID, "Arn"),
		"FunctionThrottlesAlarmName":   ref(throttlesAlarmID),
		"FunctionThrottlesAlarmArn":    getAtt(throttlesAlarmID, "Arn"),
		"UpstreamTopicSubscriptionArn": ref(subscriptionID),
		"UpstreamEventRuleArn":         getAtt(ruleID, "Arn"),
	}
	// An output of a conditional resource carries the same condition.
	cond := map[string]string{"UpstreamTopicSubscriptionArn": "HasUpstreamTopic", "UpstreamEventRuleArn": "HasUpstreamEventBus", "AlarmEmailTopicArn": "HasAlarmEmail"}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			out := get(map[string]any(tp), "Outputs", name)
			if got := get(out, "Value"); !reflect.DeepEqual(got, w) {
				t.Errorf("Value = %v, want %v", got, w)
			}
			if got, _ := get(out, "Condition").(string); got != cond[name] {
				t.Errorf("Condition = %q, want %q", got, cond[name])
			}
			if d, _ := get(out, "Description").(string); d == "" {
				t.Error("no Description")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Operations (issue 5) and upstream wiring (issue 6). Most checks run on the
// template rendered for every combination of the optional parameters (see
// conditions_test.go), so what is checked is what CloudFormation would build.

const (
	logGroupID        = "EraserLogGroup"
	dlqAlarmID        = "DeadLetterQueueAlarm"
	dlqAgeAlarmID     = "DeadLetterQueueAgeAlarm"
	pendingAlarmID    = "PendingAgeAlarm"
	latencyAlarmID    = "ErasureLatencyAlarm"
	alarmEmailTopicID = "AlarmEmailTopic"
	ageAlarmID        = "OldestMessageAgeAlarm"
	errorsAlarmID     = "FunctionErrorsAlarm"
	throttlesAlarmID  = "FunctionThrottlesAlarm"
	partialAlarmID    = "PartialBatchUnsupportedAlarm"
	subscriptionID    = "UpstreamTopicSubscription"
	ruleID            = "UpstreamEventRule"
	queuePolicyID     = "ErasureQueuePolicy"
	dlqPolicyID       = "DeadLetterQueuePolicy"
)

func TestLogGroup(t *testing.T) {
	tp := loadTemplate(t)
	if typ := get(tp.resource(logGroupID), "Type"); typ != "AWS::Logs::LogGroup" {
		t.Fatalf("%s Type = %v, want AWS::Logs::LogGroup", logGroupID, typ)
	}
	if got := tp.prop(logGroupID, "RetentionInDays"); !reflect.DeepEqual(got, ref("LogRetentionInDays")) {
		t.Errorf("RetentionInDays = %v, want !Ref LogRetentionInDays", got)
	}
	if d, err := tp.intValue(ref("LogRetentionInDays")); err != nil || d != 90 {
		t.Errorf("LogRetentionInDays Default = %d (%v), want 90", d, err)
	}
	if !slices.Contains(stringList(get(tp.param("LogRetentionInDays"), "AllowedValues")), "90") {
		t.Error("LogRetentionInDays AllowedValues lacks 90 (CloudWatch accepts only its fixed list)")
	}
	for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
		if got := get(tp.resource(logGroupID), policy); got != "Retain" {
			t.Errorf("%s = %v, want Retain (the audit lines outlive the stack)", policy, got)
		}
	}
	if got := tp.funcProp(functionID, "LoggingConfig"); !reflect.DeepEqual(get(got, "LogGroup"), ref(logGroupID)) {
		t.Errorf("%s LoggingConfig.LogGroup = %v, want !Ref %s", functionID, get(got, "LogGroup"), logGroupID)
	}
}

// TestConditionsDefinedAndUsed: every condition used is defined, every
// condition defined is used, and each optional parameter defaults to "off".
func TestConditionsDefinedAndUsed(t *testing.T) {
	tp := loadTemplate(t)
	defined, _ := tp["Conditions"].(map[string]any)
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if c, ok := x["Condition"].(string); ok {
				used[c] = true // resource / output Condition, or !Condition inside Fn::Or
			}
			if args, ok := x["Fn::If"].([]any); ok && len(args) == 3 {
				if c, ok := args[0].(string); ok {
					used[c] = true
				}
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
	walk(tp["Outputs"])
	walk(tp["Conditions"])
	for c := range used {
		if _, ok := defined[c]; !ok {
			t.Errorf("condition %s is used but not defined", c)
		}
	}
	for c := range defined {
		if !used[c] {
			t.Errorf("condition %s is defined but never used", c)
		}
	}
	cases := []struct {
		cond, param string // condition: parameter is not ""
	}{
		{"HasAlarmTopic", "AlarmTopicArn"},
		{"HasAlarmEmail", "AlarmEmail"},
		{"HasUpstreamTopic", "UpstreamTopicArn"},
		{"HasUpstreamEventBus", "UpstreamEventBusName"},
		{"HasSigningKeyKmsKey", kmsKeyParam},
		{"HasReceiptBus", receiptBusParam},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref(c.param), ""}}}}
			if got := defined[c.cond]; !reflect.DeepEqual(got, want) {
				t.Errorf("= %v, want !Not [!Equals [!Ref %s, \"\"]]", got, c.param)
			}
			if d, _ := scalar(get(tp.param(c.param), "Default")); d != "" || get(tp.param(c.param), "Default") == nil {
				t.Errorf("parameter %s Default = %v, want \"\" (off)", c.param, get(tp.param(c.param), "Default"))
			}
		})
	}
}

// checkAlarmActions: an alarm notifies, when it fires and when it clears,
// every alarm destination that exists: AlarmTopicArn and/or the topic
// created for AlarmEmail (the Rules refuse a deployment with neither).
func checkAlarmActions(t *testing.T, rt tmpl, id string, c combination) {
	t.Helper()
	var want []any
	if c.alarm {
		want = append(want, ref("AlarmTopicArn"))
	}
	if c.email {
		want = append(want, ref(alarmEmailTopicID))
	}
	for _, k := range []string{"AlarmActions", "OKActions"} {
		if got := rt.prop(id, k); len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if d, _ := rt.prop(id, "AlarmDescription").(string); d == "" {
		t.Error("no AlarmDescription for the on-call engineer")
	}
}

// TestAlarms checks the three queue alarms in every combination: metric,
// queue, threshold, evaluation, and the actions.
func TestAlarms(t *testing.T) {
	tp := loadTemplate(t)
	alarms := []struct {
		id, metric, queue     string
		threshold             any
		period, evals, points int
	}{
		// In ALARM while any datapoint of the last 15 minutes shows a
		// message, so a late or missing datapoint does not clear it while
		// the DLQ still holds messages.
		{dlqAlarmID, "ApproximateNumberOfMessagesVisible", dlqID, 0, 60, 15, 1},
		{dlqAgeAlarmID, "ApproximateAgeOfOldestMessage", dlqID, dlqAgeThreshold, 300, 1, 1},
		{ageAlarmID, "ApproximateAgeOfOldestMessage", queueID, ref("OldestMessageAgeAlarmSeconds"), 60, 3, 3},
	}
	wantAlarms := slices.Sorted(slices.Values([]string{dlqAlarmID, dlqAgeAlarmID, ageAlarmID, pendingAlarmID, latencyAlarmID, errorsAlarmID, throttlesAlarmID, partialAlarmID}))
	if got := tp.resourcesOfType("AWS::CloudWatch::Alarm"); !slices.Equal(got, wantAlarms) {
		t.Errorf("alarms = %v, want %v", got, wantAlarms)
	}
	if d, err := tp.intValue(ref("OldestMessageAgeAlarmSeconds")); err != nil || d < 60 || d > 3600 {
		t.Errorf("OldestMessageAgeAlarmSeconds Default = %d (%v), want 60..3600", d, err)
	}
	for _, c := range combinations() {
		rt, err := tp.render(c.params)
		if err != nil {
			t.Fatalf("%s: render: %v", c.name, err)
		}
		for _, a := range alarms {
			t.Run(c.name+"/"+a.id, func(t *testing.T) {
				if get(rt.resource(a.id), "Type") != "AWS::CloudWatch::Alarm" {
					t.Fatalf("missing (alarms do not depend on any condition)")
				}
				want := map[string]any{
					"Namespace":          "AWS/SQS",
					"MetricName":         a.metric,
					"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": getAtt(a.queue, "QueueName")}},
					"Statistic":          "Maximum",
					"Period":             a.period,
					"EvaluationPeriods":  a.evals,
					"DatapointsToAlarm":  a.points,
					"Threshold":          a.threshold,
					"ComparisonOperator": "GreaterThanThreshold",
					"TreatMissingData":   "notBreaching",
				}
				for k, w := range want {
					if got := rt.prop(a.id, k); !reflect.DeepEqual(got, w) {
						t.Errorf("%s = %#v, want %#v", k, got, w)
					}
				}
				checkAlarmActions(t, rt, a.id, c)
			})
		}
	}
}

// TestPartialBatchUnsupportedAlarm: one invocation that could not rely on
// its partial batch response (the function's PartialBatchUnsupported)
// raises an alarm, notifying like the others, in every combination.
func TestPartialBatchUnsupportedAlarm(t *testing.T) {
	tp := loadTemplate(t)
	for _, c := range combinations() {
		rt, err := tp.render(c.params)
		if err != nil {
			t.Fatalf("%s: render: %v", c.name, err)
		}
		t.Run(c.name, func(t *testing.T) {
			want := map[string]any{
				"Namespace":          ref("MetricsNamespace"),
				"MetricName":         telemetry.PartialBatchUnsupported,
				"Dimensions":         []any{map[string]any{"Name": "FunctionName", "Value": ref(functionID)}},
				"Statistic":          "Sum",
				"Threshold":          0,
				"ComparisonOperator": "GreaterThanThreshold",
				"TreatMissingData":   "notBreaching",
			}
			for k, w := range want {
				if got := rt.prop(partialAlarmID, k); !reflect.DeepEqual(got, w) {
					t.Errorf("%s = %#v, want %#v", k, got, w)
				}
			}
			checkAlarmActions(t, rt, partialAlarmID, c)
		})
	}
}

// TestFunctionAlarms: any Errors (the handler returns an error only for a
// systemic failure; Lambda adds timeouts and crashes) or Throttles of the
// function in a 5-minute window raise an alarm, notifying like the queue
// alarms, in every combination.
func TestFunctionAlarms(t *testing.T) {
	tp := loadTemplate(t)
	for _, c := range combinations() {
		rt, err := tp.render(c.params)
		if err != nil {
			t.Fatalf("%s: render: %v", c.name, err)
		}
		for _, a := range []struct{ id, metric string }{
			{errorsAlarmID, "Errors"},
			{throttlesAlarmID, "Throttles"},
		} {
			t.Run(c.name+"/"+a.id, func(t *testing.T) {
				if get(rt.resource(a.id), "Type") != "AWS::CloudWatch::Alarm" {
					t.Fatalf("missing (alarms do not depend on any condition)")
				}
				want := map[string]any{
					"Namespace":          "AWS/Lambda",
					"MetricName":         a.metric,
					"Dimensions":         []any{map[string]any{"Name": "FunctionName", "Value": ref(functionID)}},
					"Statistic":          "Sum",
					"Period":             300,
					"EvaluationPeriods":  1,
					"DatapointsToAlarm":  1,
					"Threshold":          0,
					"ComparisonOperator": "GreaterThanThreshold",
					"TreatMissingData":   "notBreaching",
				}
				for k, w := range want {
					if got := rt.prop(a.id, k); !reflect.DeepEqual(got, w) {
						t.Errorf("%s = %#v, want %#v", k, got, w)
					}
				}
				checkAlarmActions(t, rt, a.id, c)
			})
		}
	}
}

// tlsOnly is the statement every queue policy starts with: no request to the
// queue without TLS, whoever makes it.
func tlsOnly(queue string) map[string]any {
	return map[string]any{
		"Sid":       "DenyInsecureTransport",
		"Effect":    "Deny",
		"Principal": "*",
		"Action":    "sqs:*",
		"Resource":  getAtt(queue, "Arn"),
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}
}

// queuePolicies maps each queue's logical ID to the IDs of the QueuePolicy
// resources naming it.
func (tp tmpl) queuePolicies() map[string][]string {
	policies := map[string][]string{}
	for _, id := range tp.resourcesOfType("AWS::SQS::QueuePolicy") {
		queues, _ := tp.prop(id, "Queues").([]any)
		for _, q := range queues {
			name, _ := get(q, "Ref").(string)
			policies[name] = append(policies[name], id)
		}
	}
	return policies
}

// TestQueuePoliciesTLSOnly: in every combination both queues have exactly
// one policy, and it first denies every sqs:* request made without TLS.
func TestQueuePoliciesTLSOnly(t *testing.T) {
	tp := loadTemplate(t)
	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			policies := rt.queuePolicies()
			for _, q := range []struct{ queue, policy string }{{queueID, queuePolicyID}, {dlqID, dlqPolicyID}} {
				if ids := policies[q.queue]; !slices.Equal(ids, []string{q.policy}) {
					t.Errorf("%s policies = %v, want exactly [%s] (TLS only; two policies on one queue overwrite each other)", q.queue, ids, q.policy)
					continue
				}
				if cond := get(rt.resource(q.policy), "Condition"); cond != nil {
					t.Errorf("%s Condition = %v, want none (the TLS rule holds in every deployment)", q.policy, cond)
				}
				doc := rt.prop(q.policy, "PolicyDocument")
				if get(doc, "Version") != "2012-10-17" {
					t.Errorf("%s Version = %v, want 2012-10-17", q.policy, get(doc, "Version"))
				}
				stmts, _ := get(doc, "Statement").([]any)
				if len(stmts) == 0 || !reflect.DeepEqual(stmts[0], tlsOnly(q.queue)) {
					t.Errorf("%s Statement[0] = %v, want %v", q.policy, stmts, tlsOnly(q.queue))
				}
			}
		})
	}
}

// statement is the shape every upstream queue-policy statement must have.
type statement struct {
	service   string // principal
	queue     string // logical ID of the queue the statement is on
	sourceArn any    // value of aws:SourceArn
}

func (s statement) want() map[string]any {
	return map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": s.service},
		"Action":    "sqs:SendMessage",
		"Resource":  getAtt(s.queue, "Arn"),
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": s.sourceArn}},
	}
}

// TestUpstreamWiring checks, for every combination, the SNS subscription, the
// EventBridge rule, and that each queue has at most one policy whose
// statements are exactly those of the enabled upstreams.
func TestUpstreamWiring(t *testing.T) {
	tp := loadTemplate(t)
	if got, _ := scalar(get(tp.param("UpstreamTopicRawDelivery"), "Default")); got != "false" {
		t.Errorf("UpstreamTopicRawDelivery Default = %q, want false", got)
	}
	if got := stringList(get(tp.param("UpstreamDetailTypes"), "Default")); len(got) != 0 {
		t.Errorf("UpstreamDetailTypes Default should be one comma-separated string, got a list %v", got)
	}
	if p := tp.param("UpstreamDetailTypes"); get(p, "Type") != "CommaDelimitedList" || get(p, "Default") != "UserDeleted,GdprErasureRequested" {
		t.Errorf("UpstreamDetailTypes = %v, want CommaDelimitedList defaulting to UserDeleted,GdprErasureRequested", p)
	}
	topicStmt := func(q string) statement { return statement{"sns.amazonaws.com", q, ref("UpstreamTopicArn")} }
	ruleStmt := func(q string) statement { return statement{"events.amazonaws.com", q, getAtt(ruleID, "Arn")} }

	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}

			// SNS -> SQS
			// (AlarmEmailSubscription, an email subscription, is TestAlarmDestinationRules' business.)
			got := slices.DeleteFunc(rt.resourcesOfType("AWS::SNS::Subscription"), func(id string) bool { return rt.prop(id, "Protocol") == "email" })
			if c.topic != slices.Equal(got, []string{subscriptionID}) || !c.topic && len(got) > 0 {
				t.Errorf("SNS subscriptions = %v, want [%s] iff UpstreamTopicArn is set (%v)", got, subscriptionID, c.topic)
			}
			if c.topic {
				want := map[string]any{
					"TopicArn":           ref("UpstreamTopicArn"),
					"Protocol":           "sqs",
					"Endpoint":           getAtt(queueID, "Arn"),
					"RawMessageDelivery": ref("UpstreamTopicRawDelivery"),
					"RedrivePolicy":      map[string]any{"deadLetterTargetArn": getAtt(dlqID, "Arn")},
				}
				if got := rt.prop(subscriptionID); !reflect.DeepEqual(got, want) {
					t.Errorf("%s Properties = %v, want %v", subscriptionID, got, want)
				}
				if got := get(rt.resource(subscriptionID), "DependsOn"); got != queuePolicyID {
					t.Errorf("%s DependsOn = %v, want %s (deliveries before the policy would be refused)", subscriptionID, got, queuePolicyID)
				}
			}

			// EventBridge -> SQS
			if got := rt.resourcesOfType("AWS::Events::Rule"); c.bus != slices.Equal(got, []string{ruleID}) || !c.bus && len(got) > 0 {
				t.Errorf("EventBridge rules = %v, want [%s] iff UpstreamEventBusName is set (%v)", got, ruleID, c.bus)
			}
			if c.bus {
				if got := rt.prop(ruleID, "EventBusName"); !reflect.DeepEqual(got, ref("UpstreamEventBusName")) {
					t.Errorf("EventBusName = %v, want !Ref UpstreamEventBusName", got)
				}
				if got := rt.prop(ruleID, "EventPattern"); !reflect.DeepEqual(got, map[string]any{"detail-type": ref("UpstreamDetailTypes")}) {
					t.Errorf("EventPattern = %v, want {detail-type: !Ref UpstreamDetailTypes}", got)
				}
				if got := rt.prop(ruleID, "State"); got != "ENABLED" {
					t.Errorf("State = %v, want ENABLED", got)
				}
				targets, _ := rt.prop(ruleID, "Targets").([]any)
				if len(targets) != 1 {
					t.Fatalf("Targets = %v, want exactly one", targets)
				}
				if got := get(targets[0], "Arn"); !reflect.DeepEqual(got, getAtt(queueID, "Arn")) {
					t.Errorf("target Arn = %v, want the erasure queue", got)
				}
				for _, k := range []string{"Input", "InputPath", "InputTransformer"} {
					if get(targets[0], k) != nil {
						t.Errorf("target has %s: the whole event must reach the queue (the function unwraps detail)", k)
					}
				}
				if got := get(targets[0], "DeadLetterConfig", "Arn"); !reflect.DeepEqual(got, getAtt(dlqID, "Arn")) {
					t.Errorf("target DeadLetterConfig.Arn = %v, want the DLQ", got)
				}
			}

			// Queue policies: one per queue (TestQueuePoliciesTLSOnly), whose
			// Allow statements are exactly those of the enabled upstreams.
			var wantQ, wantDLQ []statement
			if c.topic {
				wantQ, wantDLQ = append(wantQ, topicStmt(queueID)), append(wantDLQ, topicStmt(dlqID))
			}
			if c.bus {
				wantQ, wantDLQ = append(wantQ, ruleStmt(queueID)), append(wantDLQ, ruleStmt(dlqID))
			}
			policies := rt.queuePolicies()
			for _, q := range []struct {
				queue, policy string
				want          []statement
			}{{queueID, queuePolicyID, wantQ}, {dlqID, dlqPolicyID, wantDLQ}} {
				if ids := policies[q.queue]; !slices.Equal(ids, []string{q.policy}) {
					t.Errorf("%s policies = %v, want exactly [%s] (two policies on one queue overwrite each other)", q.queue, ids, q.policy)
					continue
				}
				all, _ := get(rt.prop(q.policy, "PolicyDocument"), "Statement").([]any)
				stmts := slices.DeleteFunc(slices.Clone(all), func(s any) bool { return get(s, "Effect") != "Allow" })
				if len(stmts) != len(q.want) {
					t.Errorf("%s has %d Allow statements, want %d (one per enabled upstream)", q.policy, len(stmts), len(q.want))
				}
				for i, w := range q.want {
					if i >= len(stmts) {
						break
					}
					got := maps.Clone(stmts[i].(map[string]any))
					delete(got, "Sid")
					if !reflect.DeepEqual(got, w.want()) {
						t.Errorf("%s Allow statement %d =\n %v\nwant\n %v", q.policy, i, got, w.want())
					}
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Sample events (sam local invoke -e events/<file>.json)

var wantEventFiles = []string{
	"sqs-eventbridge-envelope.json",
	"sqs-fifo.json",
	"sqs-gdpr-erasure.json",
	"sqs-mixed-invalid.json",
	"sqs-sns-envelope.json",
	"sqs-user-deleted.json",
}

var sqsARN = regexp.MustCompile(`^arn:aws[a-z-]*:sqs:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,80}(\.fifo)?)$`)

func loadEvent(t *testing.T, path string) events.SQSEvent {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	var ev events.SQSEvent
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("decode as events.SQSEvent: %v", err)
	}
	if dec.More() {
		t.Fatal("trailing data after the event")
	}
	return ev
}

func eventFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	// events/ also holds the message contract (erasure-event.schema.json),
	// which is not an SQS event.
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".schema.json") })
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, w := range wantEventFiles {
		if !slices.Contains(names, w) {
			t.Errorf("%s/%s missing", eventsDir, w)
		}
	}
	return files
}

func TestSampleEventsShape(t *testing.T) {
	for _, path := range eventFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ev := loadEvent(t, path)
			if len(ev.Records) == 0 {
				t.Fatal("no Records")
			}
			fifo := strings.Contains(filepath.Base(path), "fifo")
			seen := map[string]bool{}
			for i, r := range ev.Records {
				where := fmt.Sprintf("Records[%d] (%s)", i, r.MessageId)
				if r.MessageId == "" {
					t.Errorf("%s: empty messageId", where)
				} else if seen[r.MessageId] {
					t.Errorf("%s: duplicate messageId", where)
				}
				seen[r.MessageId] = true
				if r.ReceiptHandle == "" {
					t.Errorf("%s: empty receiptHandle", where)
				}
				if r.EventSource != "aws:sqs" {
					t.Errorf("%s: eventSource = %q, want aws:sqs", where, r.EventSource)
				}
				m := sqsARN.FindStringSubmatch(r.EventSourceARN)
				switch {
				case m == nil:
					t.Errorf("%s: eventSourceARN %q is not an SQS queue ARN", where, r.EventSourceARN)
				case m[1] != r.AWSRegion:
					t.Errorf("%s: awsRegion %q differs from the ARN's region %q", where, r.AWSRegion, m[1])
				}
				if r.EventSourceARN != ev.Records[0].EventSourceARN {
					t.Errorf("%s: eventSourceARN differs from Records[0]'s (a batch comes from one queue)", where)
				}
				if fifo != strings.HasSuffix(r.EventSourceARN, ".fifo") {
					t.Errorf("%s: eventSourceARN %q: FIFO file %v, but .fifo suffix %v", where, r.EventSourceARN, fifo, !fifo)
				}
				sum := md5.Sum([]byte(r.Body))
				if got := hex.EncodeToString(sum[:]); r.Md5OfBody != got {
					t.Errorf("%s: md5OfBody = %s, want %s", where, r.Md5OfBody, got)
				}
				need := []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}
				if fifo {
					need = append(need, "MessageGroupId", "MessageDeduplicationId", "SequenceNumber")
				}
				for _, a := range need {
					if r.Attributes[a] == "" {
						t.Errorf("%s: attributes.%s missing", where, a)
					}
				}
			}
		})
	}
}

// registeredAttrs are the attribute names of the local Tencent stand-in.
var registeredAttrs = []string{"sex", "city", "country", "level", "interest"}

// checkBody is a small, independent reading of the README's message
// contract, used only to keep the sample events honest: it returns why a
// body would be rejected.
// Unknown attribute names are the stand-in's verdict (Tencent error 90033).
func checkBody(body string) (accounts []string, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	var typ string
	_ = json.Unmarshal(m["Type"], &typ)
	if msg, ok := m["Message"]; ok && typ == "Notification" { // SNS envelope
		var inner string
		if err := json.Unmarshal(msg, &inner); err != nil {
			return nil, fmt.Errorf("SNS Message is not a string: %w", err)
		}
		return checkBody(inner)
	}
	if detail, ok := m["detail"]; ok && m["detail-type"] != nil { // EventBridge envelope
		return checkBody(string(detail))
	}
	var msg struct {
		Type     string    `json:"type"`
		Accounts []string  `json:"accounts"`
		Attrs    *[]string `json:"attrs"`
	}
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if msg.Type != "user.deleted" && msg.Type != "gdpr.erasure" {
		return nil, fmt.Errorf("unknown type %q", msg.Type)
	}
	if len(msg.Accounts) == 0 || len(msg.Accounts) > 10000 {
		return nil, fmt.Errorf("accounts: %d entries, want 1..10000", len(msg.Accounts))
	}
	for _, a := range msg.Accounts {
		if len(a) < 1 || len(a) > 32 || strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return nil, fmt.Errorf("account of %d bytes: want 1..32 printable ASCII", len(a))
		}
	}
	if msg.Attrs != nil {
		attrs := *msg.Attrs
		if len(attrs) == 0 || len(attrs) > 10 {
			return nil, fmt.Errorf("attrs: %d entries, want 1..10", len(attrs))
		}
		for _, a := range attrs {
			if !slices.Contains(registeredAttrs, a) {
				return nil, fmt.Errorf("unregistered attribute %q", a)
			}
		}
	}
	return msg.Accounts, nil
}

// TestSampleEventBodies: messages whose messageId starts with "bad-" are
// invalid for the reason their id names; all others are valid. Accounts of a
// message the stand-in rejects (unknown attribute) must not also appear in a
// valid message of the same batch, or the merged call would fail both.
func TestSampleEventBodies(t *testing.T) {
	reasons := []struct{ idPrefix, errContains string }{
		{"bad-json-", "invalid JSON"},
		{"bad-type-", "unknown type"},
		{"bad-account-too-long-", "account of 33 bytes"},
		{"bad-empty-accounts-", "accounts: 0 entries"},
		{"bad-unknown-attr-", "unregistered attribute"},
	}
	for _, path := range eventFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ev := loadEvent(t, path)
			validAccounts := map[string]bool{}
			var rejectedByStandIn [][]string
			badSeen := map[string]bool{}
			for _, r := range ev.Records {
				accounts, err := checkBody(r.Body)
				if !strings.HasPrefix(r.MessageId, "bad-") {
					if err != nil {
						t.Errorf("%s: want a valid message, got %v", r.MessageId, err)
					}
					for _, a := range accounts {
						validAccounts[a] = true
					}
					continue
				}
				i := slices.IndexFunc(reasons, func(x struct{ idPrefix, errContains string }) bool {
					return strings.HasPrefix(r.MessageId, x.idPrefix)
				})
				switch {
				case i < 0:
					t.Errorf("%s: unknown kind of bad message (known prefixes: %v)", r.MessageId, reasons)
				case err == nil || !strings.Contains(err.Error(), reasons[i].errContains):
					t.Errorf("%s: want an error containing %q, got %v", r.MessageId, reasons[i].errContains, err)
				default:
					badSeen[reasons[i].idPrefix] = true
				}
				if strings.HasPrefix(r.MessageId, "bad-unknown-attr-") {
					var m struct{ Accounts []string }
					_ = json.Unmarshal([]byte(r.Body), &m)
					rejectedByStandIn = append(rejectedByStandIn, m.Accounts)
				}
			}
			for _, accts := range rejectedByStandIn {
				for _, a := range accts {
					if validAccounts[a] {
						t.Errorf("account %q is in a bad-unknown-attr message and in a valid one", a)
					}
				}
			}
			if filepath.Base(path) == "sqs-mixed-invalid.json" {
				for _, r := range reasons {
					if !badSeen[r.idPrefix] {
						t.Errorf("no %s* message", r.idPrefix)
					}
				}
				if len(validAccounts) == 0 {
					t.Error("no valid message")
				}
			}
		})
	}
}
