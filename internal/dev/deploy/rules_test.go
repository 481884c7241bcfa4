package deploy

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

// CloudFormation evaluates a template's Rules before it creates a change
// set, and refuses the deployment when an assertion fails; nothing in this
// repository deploys, so refusedBy evaluates them here.

// refusedBy evaluates the template's Rules for the given parameter values
// (others take their Default) and returns the AssertDescription of every
// assertion that fails. Only the rule functions the template uses are
// supported (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Ref to a parameter); any
// other is an error, so that a new one is not silently taken as true.
func (tp tmpl) refusedBy(params map[string]string) ([]string, error) {
	r := &renderer{tp: tp, params: params, conds: map[string]bool{}, pending: map[string]bool{}}
	rules, _ := tp["Rules"].(map[string]any)
	var refused []string
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		rule, _ := rules[name].(map[string]any)
		if rule == nil {
			return nil, fmt.Errorf("rule %s is not a mapping", name)
		}
		for k := range rule {
			if k != "RuleCondition" && k != "Assertions" {
				return nil, fmt.Errorf("rule %s: unknown key %s", name, k)
			}
		}
		if cond, ok := rule["RuleCondition"]; ok {
			applies, err := r.ruleEval(cond)
			if err != nil {
				return nil, fmt.Errorf("rule %s RuleCondition: %w", name, err)
			}
			if !applies {
				continue
			}
		}
		assertions, _ := rule["Assertions"].([]any)
		if len(assertions) == 0 {
			return nil, fmt.Errorf("rule %s has no Assertions", name)
		}
		for i, a := range assertions {
			ok, err := r.ruleEval(get(a, "Assert"))
			if err != nil {
				return nil, fmt.Errorf("rule %s assertion %d: %w", name, i, err)
			}
			if !ok {
				desc, _ := get(a, "AssertDescription").(string)
				refused = append(refused, name+": "+desc)
			}
		}
	}
	return refused, nil
}

// ruleEval evaluates a rule-specific intrinsic function.
func (r *renderer) ruleEval(v any) (bool, error) {
	m, _ := v.(map[string]any)
	if len(m) != 1 {
		return false, fmt.Errorf("%v is not a rule function", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(args) != 2 {
				return false, errors.New("Fn::Equals needs 2 arguments")
			}
			a, err1 := r.ruleValue(args[0])
			b, err2 := r.ruleValue(args[1])
			return a == b, errors.Join(err1, err2)
		case "Fn::Not":
			if len(args) != 1 {
				return false, errors.New("Fn::Not needs 1 argument")
			}
			b, err := r.ruleEval(args[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 || len(args) > 10 {
				return false, fmt.Errorf("%s needs 2 to 10 arguments", fn)
			}
			and := fn == "Fn::And"
			acc := and
			for _, a := range args {
				b, err := r.ruleEval(a)
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
		return false, fmt.Errorf("%s: not a rule function this test evaluates", fn)
	}
	panic("unreachable")
}

// ruleValue reads a literal or a parameter Ref; in Rules, Ref names
// parameters only (no resources, no conditions).
func (r *renderer) ruleValue(v any) (string, error) {
	if name, ok := get(v, "Ref").(string); ok && r.tp.param(name) == nil {
		return "", fmt.Errorf("Ref %s: Rules may refer to parameters only", name)
	}
	return r.value(v)
}

// TestRulesEvaluator checks the evaluator itself on a made-up template, so
// that TestAlarmDestinationRules cannot pass because of it.
func TestRulesEvaluator(t *testing.T) {
	tp := tmpl{
		"Parameters": map[string]any{
			"A":   map[string]any{"Type": "String", "Default": ""},
			"B":   map[string]any{"Type": "String", "Default": ""},
			"Env": map[string]any{"Type": "String", "Default": "dev"},
		},
		"Rules": map[string]any{
			"OneOf": map[string]any{"Assertions": []any{map[string]any{
				"Assert": map[string]any{"Fn::Or": []any{
					map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("A"), ""}}}},
					map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("B"), ""}}}},
				}},
				"AssertDescription": "A or B",
			}}},
			"ProdNeedsBoth": map[string]any{
				"RuleCondition": map[string]any{"Fn::Equals": []any{ref("Env"), "prod"}},
				"Assertions": []any{map[string]any{
					"Assert": map[string]any{"Fn::And": []any{
						map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("A"), ""}}}},
						map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("B"), ""}}}},
					}},
					"AssertDescription": "prod needs A and B",
				}},
			},
		},
	}
	cases := []struct {
		params map[string]string
		want   []string
	}{
		{nil, []string{"OneOf: A or B"}},
		{map[string]string{"A": "x"}, nil},
		{map[string]string{"B": "x"}, nil},
		{map[string]string{"Env": "prod"}, []string{"OneOf: A or B", "ProdNeedsBoth: prod needs A and B"}},
		{map[string]string{"Env": "prod", "A": "x"}, []string{"ProdNeedsBoth: prod needs A and B"}},
		{map[string]string{"Env": "prod", "A": "x", "B": "y"}, nil},
	}
	for _, c := range cases {
		got, err := tp.refusedBy(c.params)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("refusedBy(%v) = %q (%v), want %q", c.params, got, err, c.want)
		}
	}
	for _, bad := range []any{
		map[string]any{"Fn::Contains": []any{[]any{"a"}, ref("A")}},                    // not evaluated here
		map[string]any{"Fn::Equals": []any{ref("NoSuchParameter"), ""}},                // Ref to nothing
		map[string]any{"Condition": "HasA"},                                            // not a rule function
		map[string]any{"Fn::Or": []any{map[string]any{"Fn::Equals": []any{"a", "a"}}}}, // one argument
	} {
		bt := tmpl{"Parameters": tp["Parameters"], "Rules": map[string]any{"R": map[string]any{
			"Assertions": []any{map[string]any{"Assert": bad, "AssertDescription": "x"}},
		}}}
		if _, err := bt.refusedBy(nil); err == nil {
			t.Errorf("refusedBy accepted Assert %v", bad)
		}
	}
}

// TestAlarmDestinationRules: the stack cannot be deployed without somewhere
// for the alarms to go. The Rules refuse exactly the combinations with
// neither AlarmTopicArn nor AlarmEmail, and in every combination they accept,
// every alarm notifies (on ALARM and on OK) exactly the destinations set.
func TestAlarmDestinationRules(t *testing.T) {
	tp := loadTemplate(t)
	rules, _ := tp["Rules"].(map[string]any)
	if len(rules) == 0 {
		t.Fatal("template has no Rules: a deployment without an alarm destination would not be refused")
	}
	for name, rule := range rules {
		assertions, _ := get(rule, "Assertions").([]any)
		for i, a := range assertions {
			if d, _ := get(a, "AssertDescription").(string); d == "" {
				t.Errorf("rule %s assertion %d has no AssertDescription (CloudFormation shows it on refusal)", name, i)
			}
		}
	}
	for _, p := range []string{"AlarmTopicArn", "AlarmEmail"} {
		if d, ok := get(tp.param(p), "Default").(string); !ok || d != "" {
			t.Errorf("parameter %s Default = %v, want \"\" (the Rules, not a placeholder, demand a value)", p, get(tp.param(p), "Default"))
		}
	}
	allowed := 0
	for _, c := range allCombinations() {
		t.Run(c.name, func(t *testing.T) {
			refused, err := tp.refusedBy(c.params)
			if err != nil {
				t.Fatalf("evaluate Rules: %v", err)
			}
			wantRefused := !c.alarm && !c.email
			if got := len(refused) > 0; got != wantRefused {
				t.Fatalf("refused = %v (%q), want %v (AlarmTopicArn set %v, AlarmEmail set %v)", got, refused, wantRefused, c.alarm, c.email)
			}
			if wantRefused {
				return
			}
			allowed++
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			var want []any
			if c.alarm {
				want = append(want, ref("AlarmTopicArn"))
			}
			if c.email {
				want = append(want, ref(alarmEmailTopicID))
			}
			alarms := rt.resourcesOfType("AWS::CloudWatch::Alarm")
			if len(alarms) == 0 {
				t.Fatal("no alarms")
			}
			for _, id := range alarms {
				for _, k := range []string{"AlarmActions", "OKActions"} {
					if got, _ := rt.prop(id, k).([]any); len(got) == 0 || !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s = %v, want %v", id, k, rt.prop(id, k), want)
					}
				}
			}
			// The email topic and its subscription exist iff AlarmEmail is set.
			wantTopics := []string(nil)
			if c.email {
				wantTopics = []string{alarmEmailTopicID}
			}
			if got := rt.resourcesOfType("AWS::SNS::Topic"); !slices.Equal(got, wantTopics) {
				t.Errorf("SNS topics = %v, want %v", got, wantTopics)
			}
			var subs []string
			for _, id := range rt.resourcesOfType("AWS::SNS::Subscription") {
				if rt.prop(id, "Protocol") == "email" {
					subs = append(subs, id)
				}
			}
			if c.email {
				want := map[string]any{"TopicArn": ref(alarmEmailTopicID), "Protocol": "email", "Endpoint": ref("AlarmEmail")}
				if len(subs) != 1 || !reflect.DeepEqual(rt.prop(subs[0]), want) {
					t.Errorf("email subscriptions %v, want one with %v", subs, want)
				}
			} else if len(subs) > 0 {
				t.Errorf("email subscriptions %v without AlarmEmail", subs)
			}
		})
	}
	if allowed == 0 {
		t.Error("no combination is allowed")
	}
}

// TestAlarmEmailPattern: AlarmEmail accepts empty or one address.
func TestAlarmEmailPattern(t *testing.T) {
	tp := loadTemplate(t)
	re := compilePattern(t, tp, "AlarmEmail")
	for s, ok := range map[string]bool{
		"":                                  true,
		exampleEmail:                        true,
		"first.last+alarms@sub.example.org": true,
		"oncall":                            false,
		"oncall@example":                    false,
		"a@b.c, d@e.f":                      false,
		"on call@example.com":               false,
	} {
		if re.MatchString(s) != ok {
			t.Errorf("AlarmEmail AllowedPattern matches %q = %v, want %v", s, !ok, ok)
		}
	}
}

// compilePattern compiles a parameter's AllowedPattern.
func compilePattern(t *testing.T, tp tmpl, param string) *regexp.Regexp {
	t.Helper()
	pattern, _ := get(tp.param(param), "AllowedPattern").(string)
	re, err := regexp.Compile(pattern)
	if err != nil || pattern == "" {
		t.Fatalf("%s AllowedPattern %q: %v", param, pattern, err)
	}
	return re
}
