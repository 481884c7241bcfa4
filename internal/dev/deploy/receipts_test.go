package deploy

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Receipts (RECEIPT_EVENT_BUS): with ReceiptEventBusName set, the function
// puts one event per finished message on that bus, so its role may
// events:PutEvents there and nowhere else; without it, no EventBridge
// permission at all.

// receiptBusArn is the ARN of the bus ReceiptEventBusName names, in the
// stack's account and Region.
const receiptBusArn = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${" + receiptBusParam + "}"

// receiptPolicy is the function's policy when ReceiptEventBusName is set.
var receiptPolicy = map[string]any{
	"Version": "2012-10-17",
	"Statement": []any{map[string]any{
		"Sid":      "PutReceipts",
		"Effect":   "Allow",
		"Action":   "events:PutEvents",
		"Resource": map[string]any{"Fn::Sub": receiptBusArn},
	}},
}

// examplePseudo are the pseudo parameters of a made-up stack, to resolve
// Fn::Sub strings.
var examplePseudo = map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-central-1", "AWS::AccountId": "123456789012"}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// sub resolves a Fn::Sub string of parameter and pseudo-parameter names
// (no GetAtt, no variable map) for the given parameter values.
func (tp tmpl) sub(t *testing.T, s string, params map[string]string) string {
	t.Helper()
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := examplePseudo[name]; ok {
			return v
		}
		if v, ok := params[name]; ok {
			return v
		}
		if p := tp.param(name); p != nil {
			d, _ := scalar(get(p, "Default"))
			return d
		}
		t.Errorf("Fn::Sub %q: ${%s} is neither a parameter nor a known pseudo parameter", s, name)
		return m
	})
}

// eventsStatements returns every statement of the function's inline
// policies that grants an EventBridge action (events:*, or "*"), with where
// it is.
func (tp tmpl) eventsStatements(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	policies, _ := tp.prop(functionID, "Policies").([]any)
	for i, p := range policies {
		switch pt := p.(type) {
		case string:
			if strings.Contains(strings.ToLower(pt), "eventbridge") || strings.Contains(strings.ToLower(pt), "events") {
				out[fmt.Sprintf("Policies[%d] (managed %s)", i, pt)] = pt
			}
		case map[string]any:
			stmts, isDoc := pt["Statement"].([]any)
			if !isDoc { // a SAM policy template
				for name := range pt {
					if strings.Contains(name, "EventBridge") || strings.HasPrefix(name, "Events") {
						out[fmt.Sprintf("Policies[%d] (SAM template %s)", i, name)] = pt
					}
				}
				continue
			}
			for j, s := range stmts {
				actions := stringList(get(s, "Action"))
				if a, ok := get(s, "Action").(string); ok {
					actions = []string{a}
				}
				if get(s, "NotAction") != nil || slices.ContainsFunc(actions, func(a string) bool {
					return a == "*" || strings.HasPrefix(strings.ToLower(a), "events:")
				}) {
					out[fmt.Sprintf("Policies[%d].Statement[%d]", i, j)] = s
				}
			}
		}
	}
	return out
}

// TestReceiptPermission: in every combination, the role may put events
// exactly when ReceiptEventBusName is set, with one plain Allow of
// events:PutEvents on that bus's ARN (this account, this Region), and has
// no other EventBridge grant.
func TestReceiptPermission(t *testing.T) {
	tp := loadTemplate(t)
	p := tp.param(receiptBusParam)
	if p == nil {
		t.Fatalf("parameter %s missing", receiptBusParam)
	}
	if get(p, "Type") != "String" || get(p, "Default") != "" {
		t.Errorf("%s Type = %v, Default = %#v; want String defaulting to \"\" (no receipts)", receiptBusParam, get(p, "Type"), get(p, "Default"))
	}
	if got := tp.prop(functionID, "Environment", "Variables", "RECEIPT_EVENT_BUS"); !reflect.DeepEqual(got, ref(receiptBusParam)) {
		t.Errorf("RECEIPT_EVENT_BUS = %v, want !Ref %s (the bus the policy grants)", got, receiptBusParam)
	}
	sawOn, sawOff := false, false
	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			stmts := rt.eventsStatements(t)
			if !c.receipt {
				sawOff = true
				if len(stmts) > 0 {
					t.Errorf("EventBridge grants without %s: %v", receiptBusParam, stmts)
				}
				return
			}
			sawOn = true
			if len(stmts) != 1 {
				t.Fatalf("EventBridge grants = %v, want exactly one (PutEvents on the receipt bus)", stmts)
			}
			for where, s := range stmts {
				want := receiptPolicy["Statement"].([]any)[0]
				if !reflect.DeepEqual(s, want) {
					t.Errorf("%s =\n %v\nwant\n %v", where, s, want)
					continue
				}
				sub, _ := get(s, "Resource", "Fn::Sub").(string)
				if got, want := rt.sub(t, sub, c.params), "arn:aws:events:eu-central-1:123456789012:event-bus/"+c.params[receiptBusParam]; got != want {
					t.Errorf("%s Resource resolves to %q, want %q", where, got, want)
				}
			}
		})
	}
	if !sawOn || !sawOff {
		t.Errorf("combinations cover %s set %v, unset %v; want both", receiptBusParam, sawOn, sawOff)
	}
}

// TestReceiptBusPattern: ReceiptEventBusName takes a bus name (the ARN is
// built from it in this account and Region): never an ARN, nor a wildcard
// that would widen the grant to other buses.
func TestReceiptBusPattern(t *testing.T) {
	tp := loadTemplate(t)
	re := compilePattern(t, tp, receiptBusParam)
	for s, ok := range map[string]bool{
		"":                                     true,
		"default":                              true,
		exampleReceiptBus:                      true,
		"aws.partner/example.com/123/receipts": true,
		"arn:aws:events:eu-central-1:123456789012:event-bus/receipts": false,
		"*":              false,
		"receipts*":      false,
		"privacy bus":    false,
		"receipts,other": false,
	} {
		if re.MatchString(s) != ok {
			t.Errorf("%s AllowedPattern matches %q = %v, want %v", receiptBusParam, s, !ok, ok)
		}
	}
}
