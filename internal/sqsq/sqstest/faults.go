package sqstest

import (
	"net/http"
	"time"
)

// Entry is a batch entry as FailEntries sees it.
type Entry struct {
	Op       string // "SendMessageBatch" or "ChangeMessageVisibilityBatch"
	QueueURL string
	// Body is set for SendMessageBatch, ReceiptHandle for
	// ChangeMessageVisibilityBatch.
	Body          string
	ReceiptHandle string
}

// SetFailure makes every call of op (e.g. "SendMessageBatch") fail with the
// AWS error code until it is called again with "". code is either SQS's
// shape name or its query code ("QueueDoesNotExist" or
// "AWS.SimpleQueueService.NonExistentQueue"), or any other code
// ("AccessDenied", "InternalError"). The HTTP status follows SQS (5xx for
// its own faults), which decides whether the SDK retries.
func (s *Server) SetFailure(op, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.failures, op)
		return
	}
	if s.failures == nil {
		s.failures = make(map[string]string)
	}
	s.failures[op] = code
}

// FailEntries makes every valid batch entry that match selects fail with
// code, as a BatchResultErrorEntry, while the rest of its call succeeds. A
// nil match stops it. match runs with the Server's lock held: it must not
// call the Server.
func (s *Server) FailEntries(code string, match func(Entry) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entryCode, s.entryFilter = code, match
}

// injectedEntryFault returns the code e must fail with, or "". Callers hold
// s.mu.
func (s *Server) injectedEntryFault(e Entry) string {
	if s.entryFilter != nil && s.entryFilter(e) {
		return s.entryCode
	}
	return ""
}

// sqsError is how SQS reports a code: the Smithy shape in __type and the
// query code in x-amzn-query-error, which the SDK reports as ErrorCode.
type sqsError struct {
	shape, query string
	status       int
}

// sqsErrors are the errors SQS models, as its API model declares them.
var sqsErrors = []sqsError{
	{"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400},
	{"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400},
	{"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400},
	{"InvalidAddress", "InvalidAddress", 404},
	{"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400},
	{"InvalidSecurity", "InvalidSecurity", 403},
	{"KmsAccessDenied", "KMS.AccessDeniedException", 400},
	{"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400},
	{"OverLimit", "OverLimit", 403},
	{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400},
	{"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404},
	{"RequestThrottled", "RequestThrottled", 403},
	{"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400},
	{"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400},
}

// errorFor describes code, one of sqsErrors by either name or any other.
func errorFor(code string) sqsError {
	for _, e := range sqsErrors {
		if code == e.shape || code == e.query {
			return e
		}
	}
	return sqsError{query: code, status: statusFor(code)}
}

// statusFor is the status of an error SQS does not model.
func statusFor(code string) int {
	switch code {
	case "InternalError", "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "AccessDenied", "AccessDeniedException":
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// senderFault tells whether SQS blames the caller for code.
func senderFault(code string) bool {
	return errorFor(code).status < 500
}

// SetLatency makes every call of op (e.g. "ChangeMessageVisibilityBatch")
// wait d before it is carried out and answered; 0 stops it. A call whose
// client gives up during the wait is not carried out, as a call SQS never
// got.
func (s *Server) SetLatency(op string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latency == nil {
		s.latency = make(map[string]time.Duration)
	}
	s.latency[op] = d
}

// wait waits d, and tells whether the request's client is still there.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
