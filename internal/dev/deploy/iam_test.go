package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestSQSPermissions: in every combination the function's role gets exactly
// sqsActions on the two queues, from explicit statements: no SAM SQS event
// (which attaches the managed AWSLambdaSQSQueueExecutionRole, SQS actions on
// "*"), no managed policy or SAM policy template for SQS, no wildcard.
func TestSQSPermissions(t *testing.T) {
	tp := loadTemplate(t)
	want := map[string]bool{}
	for queue, actions := range sqsActions {
		for _, a := range actions {
			want[a+" on "+queue] = true
		}
	}
	for _, c := range combinations() {
		t.Run(c.name, func(t *testing.T) {
			rt, err := tp.render(c.params)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			evs, _ := rt.prop(functionID, "Events").(map[string]any)
			for name, ev := range evs {
				if get(ev, "Type") == "SQS" {
					t.Errorf("Events.%s is a SAM SQS event (SAM adds AWSLambdaSQSQueueExecutionRole)", name)
				}
			}
			if v := rt.prop(functionID, "Role"); v != nil {
				t.Errorf("%s Role = %v: the role must be the one SAM generates from Policies", functionID, v)
			}
			got := map[string]bool{}
			policies, _ := rt.prop(functionID, "Policies").([]any)
			for i, p := range policies {
				switch pt := p.(type) {
				case string: // an AWS managed policy name or ARN
					if strings.Contains(strings.ToUpper(pt), "SQS") {
						t.Errorf("Policies[%d] = %q: a managed SQS policy", i, pt)
					}
				case map[string]any:
					stmts, isDoc := pt["Statement"].([]any)
					if !isDoc { // a SAM policy template, e.g. SQSPollerPolicy
						for name := range pt {
							if strings.HasPrefix(name, "SQS") {
								t.Errorf("Policies[%d] is the SAM policy template %s: its grants are not these", i, name)
							}
						}
						continue
					}
					for j, s := range stmts {
						actions := stringList(get(s, "Action"))
						if a, ok := get(s, "Action").(string); ok {
							actions = []string{a}
						}
						var sqs []string
						for _, a := range actions {
							if strings.HasPrefix(strings.ToLower(a), "sqs:") || a == "*" {
								sqs = append(sqs, a)
							}
						}
						if len(sqs) == 0 {
							continue
						}
						where := fmt.Sprintf("Policies[%d].Statement[%d]", i, j)
						if get(s, "Effect") != "Allow" || get(s, "Condition") != nil || get(s, "NotAction") != nil || get(s, "NotResource") != nil {
							t.Errorf("%s: want a plain Allow statement, got %v", where, s)
						}
						queue, _ := get(get(s, "Resource"), "Fn::GetAtt").([]any)
						if len(queue) != 2 || queue[1] != "Arn" {
							t.Errorf("%s: Resource = %v, want !GetAtt <queue>.Arn (one queue, no wildcard)", where, get(s, "Resource"))
							continue
						}
						for _, a := range sqs {
							got[fmt.Sprintf("%s on %v", a, queue[0])] = true
						}
					}
				default:
					t.Errorf("Policies[%d] = %v: unknown shape", i, p)
				}
			}
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Errorf("SQS grants =\n %v\nwant\n %v", g, w)
			}
		})
	}
}
