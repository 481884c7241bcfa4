// Package eventstest is an in-process stand-in for Amazon EventBridge that
// the real aws-sdk-go-v2 client can talk to, in the spirit of
// net/http/httptest: tests exercise the code path production uses
// (endpoint resolution, SigV4 signing, the AWS JSON 1.1 protocol, typed
// errors) without network access or credentials.
//
// It serves the one call attr-eraser makes, PutEvents, and validates it as
// EventBridge does: 1 to 10 entries; Source, DetailType and Detail required
// in each (an entry lacking one fails with InvalidArgument, a request in
// which every entry lacks one fails whole); Detail a JSON object
// (MalformedDetail); DetailType at most 128 characters; a bus name or ARN
// of EventBridge's pattern; and the entries at most 256 KB as EventBridge
// counts them (14 bytes for a Time, then Source, DetailType, Detail and
// Resources). It records the events it takes (Events), the raw body of
// every request (Bodies) and the number of calls (Calls).
//
// Faults can be injected on whole calls (FailCalls: an error code such as
// "ThrottlingException" or "InternalException", for the first n matching
// calls or for good) and on entries (FailEntries: a per-entry ErrorCode
// such as "InternalFailure" or "ThrottlingException" for the first n
// attempts of each matching entry, recognised across retries by its
// content, or for good).
//
// What it does not do: it has no buses, rules or targets, so like
// EventBridge it takes events for any well-formed bus name, existing or
// not; it has no permissions, global endpoints (EndpointId) or archives;
// it keeps the 256 KB request limit EventBridge had before it allowed
// 1 MB; and it cannot check SigV4 signatures, only that requests are
// signed for the events service.
//
// A client reaches it through the SDK's standard endpoint override:
//
//	srv, err := eventstest.Start()
//	if err != nil { ... }
//	defer srv.Close()
//	srv.SetEnv(t.Setenv)
//	cfg, _ := config.LoadDefaultConfig(ctx) // now points at the stand-in
package eventstest
