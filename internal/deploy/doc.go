// Package deploy holds no production code: its tests check the AWS SAM
// template (../../template.yaml) and the sample SQS events (../../events)
// against the invariants the function relies on — runtime and build wiring,
// the SQS event source, queue timeouts and redrive, the secret policy, the
// environment variables the config loader reads, and Tencent's 100 calls/s
// budget shared by all concurrent invocations.
package deploy
