// Package deploy holds no production code: its tests check the AWS SAM
// template (../../template.yaml) and the sample SQS events (../../events)
// against the invariants the function relies on — runtime and build wiring,
// the SQS event source, queue timeouts and redrive, the secret policy, the
// environment variables the config loader reads (and that it accepts every
// value the parameters allow, each TimRegion keyword selecting its domain),
// Tencent's 100 calls/s budget shared by all concurrent invocations, the log
// group and the platform REPORT lines, the alarms (queues, pending erasures,
// erasure latency, function errors and throttles), the optional KMS
// permission for a secret under a customer managed key, the optional
// events:PutEvents permission on the receipt bus only (receipts_test.go), the
// queue policies (one per queue: TLS only, plus least-privilege grants for
// the optional SNS / EventBridge upstreams), the SQS permissions of the
// event source mapping and the function (no managed SQS policy), the retry
// schedule and the README's table of it, the DLQ retention against its age
// alarm (retry_test.go), the dashboard against the metrics the telemetry
// package writes and against the alarms (dashboard_test.go). Conditions are
// evaluated for every combination of the optional parameters
// (conditions_test.go), which can also write each rendered template for
// cfn-lint (-render DIR); the Rules, which refuse a deployment without an
// alarm destination, are evaluated too (rules_test.go).
package deploy
