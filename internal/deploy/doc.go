// Package deploy holds no production code: its tests check the AWS SAM
// template (../../template.yaml) and the sample SQS events (../../events)
// against the invariants the function relies on — runtime and build wiring,
// the SQS event source, queue timeouts and redrive, the secret policy, the
// environment variables the config loader reads, Tencent's 100 calls/s
// budget shared by all concurrent invocations, the log group, the alarms,
// and the optional upstream wiring (SNS subscription, EventBridge rule, one
// least-privilege queue policy per queue). Conditions are evaluated for
// every combination of the optional parameters (conditions_test.go), which
// can also write each rendered template for samlint (-render DIR).
package deploy
