package deploy

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// render resolves a template for one set of parameter values the way
// CloudFormation would (resources and outputs whose Condition is false are
// dropped, Fn::If picks its branch, AWS::NoValue removes the property or list
// element), and the tests check every combination of the optional
// parameters that the template's Rules accept (rules_test.go evaluates the
// Rules over the ones they refuse too). With -render DIR, TestConditionCombinations also writes each
// rendered template to DIR/<combination>.json, a template CloudFormation and
// cfn-lint accept as is (Transform kept, Conditions gone, each parameter's
// Default set to the combination's value), so that cfn-lint checks what each
// combination really deploys, SAM transform included (.ci/run does this):
//
//	go test ./internal/dev/deploy -run TestConditionCombinations -count=1 -render /tmp/rendered
//	cfn-lint /tmp/rendered/*.json

var renderDir = flag.String("render", "", "write each rendered condition combination to this directory (for cfn-lint)")

const (
	exampleTopicArn  = "arn:aws:sns:eu-central-1:123456789012:user-lifecycle"
	exampleAlarmArn  = "arn:aws:sns:eu-central-1:123456789012:oncall"
	exampleEmail     = "oncall@example.com"
	exampleBus       = "default"
	exampleKmsKeyArn = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	// exampleReceiptBus differs from exampleBus, so that a grant on the
	// upstream bus instead of the receipt bus shows.
	exampleReceiptBus = "privacy-receipts"
)

// combination is one assignment of the optional parameters that drive the
// template's Conditions.
type combination struct {
	name    string
	params  map[string]string // parameter -> value; others take their Default
	topic   bool              // HasUpstreamTopic
	bus     bool              // HasUpstreamEventBus
	alarm   bool              // HasAlarmTopic
	email   bool              // HasAlarmEmail
	kms     bool              // HasSigningKeyKmsKey
	receipt bool              // HasReceiptBus
}

// combinations returns every combination of the optional features that a
// deployment may use: the SNS subscription off, raw or enveloped; the
// EventBridge rule, the KMS key and the receipt bus on or off; and the alarm
// destination (AlarmTopicArn, AlarmEmail, or both: the Rules refuse neither).
func combinations() []combination {
	return slices.DeleteFunc(allCombinations(), func(c combination) bool { return !c.alarm && !c.email })
}

// allCombinations is combinations plus those without any alarm destination,
// which the template's Rules must refuse.
func allCombinations() []combination {
	var out []combination
	for _, topic := range []string{"", "false", "true"} { // "": no topic; else RawMessageDelivery
		for _, bus := range []bool{false, true} {
			for _, dest := range []struct{ alarm, email bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, kr := range []struct{ kms, receipt bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
					kms := kr.kms
					c := combination{params: map[string]string{}, topic: topic != "", bus: bus, alarm: dest.alarm, email: dest.email, kms: kms, receipt: kr.receipt}
					var parts []string
					if c.topic {
						c.params["UpstreamTopicArn"] = exampleTopicArn
						c.params["UpstreamTopicRawDelivery"] = topic
						parts = append(parts, "sns-raw-"+topic)
					}
					if bus {
						c.params["UpstreamEventBusName"] = exampleBus
						parts = append(parts, "eventbridge")
					}
					if c.alarm {
						c.params["AlarmTopicArn"] = exampleAlarmArn
						parts = append(parts, "alarm-topic")
					}
					if c.email {
						c.params["AlarmEmail"] = exampleEmail
						parts = append(parts, "alarm-email")
					}
					if kms {
						c.params["SigningKeyKmsKeyArn"] = exampleKmsKeyArn
						parts = append(parts, "kms-key")
					}
					if c.receipt {
						c.params["ReceiptEventBusName"] = exampleReceiptBus
						parts = append(parts, "receipt-bus")
					}
					if len(parts) == 0 {
						parts = []string{"defaults"}
					}
					c.name = strings.Join(parts, "+")
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// noValue marks a value that AWS::NoValue removed.
type noValue struct{}

type renderer struct {
	tp      tmpl
	params  map[string]string
	conds   map[string]bool
	pending map[string]bool // conditions being evaluated, to detect cycles
}

// render resolves tp for the given parameter values.
func (tp tmpl) render(params map[string]string) (tmpl, error) {
	r := &renderer{tp: tp, params: params, conds: map[string]bool{}, pending: map[string]bool{}}
	for name := range params {
		if tp.param(name) == nil {
			return nil, fmt.Errorf("no parameter %s", name)
		}
	}
	conds, _ := tp["Conditions"].(map[string]any)
	for name := range conds {
		if _, err := r.condition(name); err != nil {
			return nil, err
		}
	}
	out := tmpl{}
	for k, v := range tp {
		switch k {
		case "Resources", "Outputs":
			section, _ := v.(map[string]any)
			kept := map[string]any{}
			for id, item := range section {
				keep, err := r.keep(item)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", k, id, err)
				}
				if !keep {
					continue
				}
				m := maps.Clone(item.(map[string]any))
				delete(m, "Condition")
				res, err := r.resolve(m)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", k, id, err)
				}
				kept[id] = res
			}
			out[k] = kept
		case "Parameters":
			ps := map[string]any{}
			for name, p := range v.(map[string]any) {
				p := maps.Clone(p.(map[string]any))
				if val, ok := params[name]; ok {
					p["Default"] = val
				}
				ps[name] = p
			}
			out[k] = ps
		case "Conditions":
			// Nothing refers to them once resolved.
		default:
			out[k] = v
		}
	}
	return out, nil
}

// keep evaluates a resource's or output's Condition.
func (r *renderer) keep(item any) (bool, error) {
	c, ok := get(item, "Condition").(string)
	if !ok {
		if get(item, "Condition") != nil {
			return false, errors.New("Condition is not a name")
		}
		return true, nil
	}
	return r.condition(c)
}

func (r *renderer) condition(name string) (bool, error) {
	if v, ok := r.conds[name]; ok {
		return v, nil
	}
	def := get(map[string]any(r.tp), "Conditions", name)
	if def == nil {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	if r.pending[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	r.pending[name] = true
	v, err := r.eval(def)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	r.conds[name] = v
	return v, nil
}

// eval evaluates a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or,
// Condition).
func (r *renderer) eval(v any) (bool, error) {
	m, _ := v.(map[string]any)
	if len(m) != 1 {
		return false, fmt.Errorf("%v is not a condition function", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return r.condition(name)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, errors.New("Fn::Equals needs 2 arguments")
			}
			a, err1 := r.value(args[0])
			b, err2 := r.value(args[1])
			return a == b, errors.Join(err1, err2)
		case "Fn::Not":
			if len(args) != 1 {
				return false, errors.New("Fn::Not needs 1 argument")
			}
			b, err := r.eval(args[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 || len(args) > 10 {
				return false, fmt.Errorf("%s needs 2 to 10 arguments", fn)
			}
			and := fn == "Fn::And"
			acc := and
			for _, a := range args {
				b, err := r.eval(a)
				if err != nil {
					return false, err
				}
				if and {
					acc = acc && b
				} else {
					acc = acc || b
				}
			}
			return acc, nil
		}
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
	panic("unreachable")
}

// value reads a literal or a parameter's value (override, else Default).
func (r *renderer) value(v any) (string, error) {
	if name, ok := get(v, "Ref").(string); ok {
		if val, ok := r.params[name]; ok {
			return val, nil
		}
		p := r.tp.param(name)
		if p == nil {
			return "", fmt.Errorf("Ref %s: not a parameter", name)
		}
		s, _ := scalar(get(p, "Default"))
		return s, nil
	}
	s, ok := scalar(v)
	if !ok {
		return "", fmt.Errorf("%v: condition operands must be literals or parameter Refs", v)
	}
	return s, nil
}

// resolve replaces Fn::If by its branch and drops AWS::NoValue.
func (r *renderer) resolve(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			if get(t, "Ref") == "AWS::NoValue" {
				return noValue{}, nil
			}
			if arg, ok := t["Fn::If"]; ok {
				args, _ := arg.([]any)
				if len(args) != 3 {
					return nil, errors.New("Fn::If needs [condition, then, else]")
				}
				name, _ := args[0].(string)
				b, err := r.condition(name)
				if err != nil {
					return nil, err
				}
				if b {
					return r.resolve(args[1])
				}
				return r.resolve(args[2])
			}
		}
		out := make(map[string]any, len(t))
		for k, c := range t {
			rc, err := r.resolve(c)
			if err != nil {
				return nil, err
			}
			if _, drop := rc.(noValue); !drop {
				out[k] = rc
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(t))
		for _, c := range t {
			rc, err := r.resolve(c)
			if err != nil {
				return nil, err
			}
			if _, drop := rc.(noValue); !drop {
				out = append(out, rc)
			}
		}
		return out, nil
	}
	return v, nil
}

var pseudoParams = []string{"AWS::AccountId", "AWS::NoValue", "AWS::NotificationARNs", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

// danglingRefs lists the Ref / Fn::GetAtt / DependsOn targets of a rendered
// template that it does not declare: a resource or output kept by one
// combination must not point at a resource another condition removed.
func (tp tmpl) danglingRefs() []string {
	res, _ := tp["Resources"].(map[string]any)
	res = maps.Clone(res)
	if res == nil {
		res = map[string]any{}
	}
	params, _ := tp["Parameters"].(map[string]any)
	// The SAM transform adds <Function>Role for a function without a Role
	// (SAM documents these generated logical IDs as referenceable).
	for _, id := range tp.resourcesOfType("AWS::Serverless::Function") {
		if tp.prop(id, "Role") == nil {
			res[id+"Role"] = map[string]any{"Type": "AWS::IAM::Role"}
		}
	}
	var bad []string
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch t := v.(type) {
		case map[string]any:
			if name, ok := t["Ref"].(string); ok && len(t) == 1 {
				_, isRes := res[name]
				_, isParam := params[name]
				if !isRes && !isParam && !slices.Contains(pseudoParams, name) {
					bad = append(bad, where+": Ref "+name)
				}
			}
			if args, ok := t["Fn::GetAtt"].([]any); ok && len(t) == 1 && len(args) == 2 {
				if name, _ := args[0].(string); res[name] == nil {
					bad = append(bad, where+": Fn::GetAtt "+name)
				}
			}
			for k, c := range t {
				walk(where+"."+k, c)
			}
		case []any:
			for i, c := range t {
				walk(fmt.Sprintf("%s[%d]", where, i), c)
			}
		}
	}
	for id, r := range res {
		deps := get(r, "DependsOn")
		if s, ok := deps.(string); ok {
			deps = []any{s}
		}
		for _, d := range stringList(deps) {
			if res[d] == nil {
				bad = append(bad, "Resources."+id+": DependsOn "+d)
			}
		}
		walk("Resources."+id, get(r, "Properties"))
	}
	outs, _ := tp["Outputs"].(map[string]any)
	for id, o := range outs {
		walk("Outputs."+id, o)
	}
	slices.Sort(bad)
	return bad
}

// TestConditionCombinations renders every combination, checks that the
// conditions evaluate as intended and that nothing dangles, and (with
// -render) writes the rendered templates for cfn-lint.
func TestConditionCombinations(t *testing.T) {
	tp := loadTemplate(t)
	if *renderDir != "" {
		if err := os.MkdirAll(*renderDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			r := &renderer{tp: tp, params: c.params, conds: map[string]bool{}, pending: map[string]bool{}}
			for name, want := range map[string]bool{
				"HasUpstreamTopic":    c.topic,
				"HasUpstreamEventBus": c.bus,
				"HasAlarmTopic":       c.alarm,
				"HasAlarmEmail":       c.email,
				"HasSigningKeyKmsKey": c.kms,
				"HasReceiptBus":       c.receipt,
			} {
				if got, err := r.condition(name); err != nil || got != want {
					t.Errorf("condition %s = %v (%v), want %v", name, got, err, want)
				}
			}
			if refused, err := tp.refusedBy(c.params); err != nil || len(refused) > 0 {
				t.Errorf("Rules refuse this combination: %v (%v)", refused, err)
			}
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if bad := rt.danglingRefs(); len(bad) > 0 {
				t.Errorf("references to undeclared names: %v", bad)
			}
			if *renderDir != "" {
				b, err := json.MarshalIndent(map[string]any(rt), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(*renderDir, c.name+".json"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
