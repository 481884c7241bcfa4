// Package awstier is the real-AWS-semantics test tier: the built function
// runs under the Lambda Runtime Interface Emulator, one emulator per
// concurrent instance, fed by a poller that does what Lambda's SQS event
// source mapping does, against queues, a secret, an SNS topic and an
// EventBridge bus in moto_server, with the Tencent Chat stand-in shared by
// every instance as the real API is shared by a deployment.
//
// The queues, the event source mapping and the retry schedule are read
// from template.yaml and scaled in time by one factor (see Scale), so the
// numbers live in the template only. The scenarios are the package's tests;
// without moto_server on PATH they are skipped loudly, and fail under
// CI=true.
package awstier
