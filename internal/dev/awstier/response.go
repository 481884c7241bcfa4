package awstier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

// Verdict is what Lambda's event source mapping makes of one invocation
// with ReportBatchItemFailures on.
type Verdict struct {
	// Failed are the message IDs it leaves in the queue, in batch order;
	// every other message is deleted.
	Failed []string
	// BatchError says why the whole batch failed: a function error, or a
	// response Lambda cannot trust. Empty when the function's answer was
	// taken.
	BatchError string
}

// Judge applies Lambda's partial batch response rules
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
//
//   - A function error fails the whole batch. Lambda's Invoke API marks
//     it with X-Amz-Function-Error; the emulator does not set the header
//     and answers with the {"errorMessage","errorType"} object only, so
//     both are checked, and so is an HTTP status other than 200 (the
//     emulator's answer to a timeout or a crash).
//   - A null or empty response, or a null or empty batchItemFailures, is
//     complete success.
//   - Invalid JSON, an itemIdentifier that is missing, null, empty, not a
//     string, or not the ID of a message of the batch, fails the whole
//     batch. A response that is JSON but not an object is treated the same
//     way: it cannot be a batch response.
func Judge(res localrun.Response, invokeErr error, records []events.SQSMessage) Verdict {
	all := func(format string, args ...any) Verdict {
		ids := make([]string, len(records))
		for i, r := range records {
			ids[i] = r.MessageId
		}
		return Verdict{Failed: ids, BatchError: fmt.Sprintf(format, args...)}
	}
	switch {
	case invokeErr != nil:
		return all("invoke: %v", invokeErr)
	case res.Status != http.StatusOK:
		return all("HTTP %d: %.300s", res.Status, res.Payload)
	case res.FunctionError != "":
		return all("function error (%s): %.300s", res.FunctionError, res.Payload)
	}
	payload := bytes.TrimSpace(res.Payload)
	if len(payload) == 0 || string(payload) == "null" {
		return Verdict{}
	}
	if !json.Valid(payload) {
		return all("invalid JSON response: %.300s", payload)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil {
		return all("response is not a JSON object: %.300s", payload)
	}
	if obj["errorMessage"] != nil || obj["errorType"] != nil {
		return all("function error: %.300s", payload)
	}
	raw := bytes.TrimSpace(obj["batchItemFailures"])
	if len(raw) == 0 || string(raw) == "null" {
		return Verdict{}
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return all("batchItemFailures is not a list of objects: %.300s", raw)
	}
	inBatch := make(map[string]bool, len(records))
	for _, r := range records {
		inBatch[r.MessageId] = true
	}
	failed := map[string]bool{}
	for i, e := range entries {
		var id string
		if err := json.Unmarshal(e["itemIdentifier"], &id); err != nil || id == "" {
			return all("batchItemFailures[%d]: no itemIdentifier string", i)
		}
		if !inBatch[id] {
			return all("batchItemFailures[%d]: itemIdentifier %q is not a message of the batch", i, id)
		}
		failed[id] = true
	}
	var v Verdict
	for _, r := range records {
		if failed[r.MessageId] {
			v.Failed = append(v.Failed, r.MessageId)
			delete(failed, r.MessageId) // a duplicate ID in the batch counts once
		}
	}
	return v
}
