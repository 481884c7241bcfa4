// Package sqstest is an in-process stand-in for Amazon SQS that the real
// aws-sdk-go-v2 client can talk to, in the spirit of net/http/httptest:
// tests exercise the code path production uses (endpoint resolution, SigV4
// signing, the AWS JSON 1.0 protocol, typed and query-compatible errors,
// the SDK's body checksums) without network access or credentials.
//
// It serves the calls attr-eraser makes: GetQueueUrl, SendMessage,
// SendMessageBatch and ChangeMessageVisibilityBatch. It validates them as
// SQS does (at most 10 entries of distinct, well-formed ids; at most 1 MiB
// per message and per call, bodies and attributes counted as SQS counts
// them; at most 10 valid message attributes per message; visibility
// timeouts within 0..43200 s; receipt handles it issued; FIFO group and
// deduplication ids) and answers with SQS's error codes. Faults can be
// injected per operation (SetFailure) or per batch entry (FailEntries).
//
// Receive plays the Lambda event source mapping: it turns stored messages
// into events.SQSMessage records with receipt handles the Server honours.
//
// What it does not do: it has no clock, so a received message stays in
// flight until its visibility timeout is set to 0, delays are recorded but
// not waited for, and deduplication lasts for the life of the Server; it has
// no ReceiveMessage, DeleteMessage, redrive policy, permissions or
// encryption; and it cannot check SigV4 signatures, only that requests are
// signed for the sqs service.
//
// A client reaches it through the SDK's standard endpoint override:
//
//	srv, err := sqstest.Start()
//	if err != nil { ... }
//	defer srv.Close()
//	url, arn := srv.AddQueue("erasures")
//	srv.SetEnv(t.Setenv)
//	cfg, _ := config.LoadDefaultConfig(ctx) // now points at the stand-in
package sqstest
