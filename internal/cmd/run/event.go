package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// maxEventBytes bounds the event file: Lambda's synchronous invocation
// payload limit is 6 MB.
const maxEventBytes = 6 << 20

// event is the SQS event `make run` invokes the function with.
type event struct {
	// Raw is the file's content, sent as is.
	Raw []byte
	// Messages are the records in order.
	Messages []message
}

// message is one record, as far as run needs to know it.
type message struct {
	ID string
	// Accounts are the accounts of a valid body (erasure.Parse); nil for
	// a body the function will reject as invalid.
	Accounts []string
}

// eventError is an unusable EVENT file.
type eventError struct {
	file, reason string
}

func (e *eventError) Error() string {
	return fmt.Sprintf("EVENT=%s %s\n%s", e.file, e.reason, sampleHint())
}

// sqsShape is the shape readEvent wants, for its errors.
const sqsShape = `{"Records":[{"messageId":"m-1","body":"<the message, as a string>","eventSource":"aws:sqs",...},...]}`

// sampleHint says what an SQS event looks like and lists the samples.
func sampleHint() string {
	samples, _ := filepath.Glob("events/sqs-*.json")
	if len(samples) == 0 {
		return "An SQS event is " + sqsShape + "."
	}
	for i, s := range samples {
		samples[i] = filepath.Base(s)
	}
	return "An SQS event is " + sqsShape + ", as in the samples in events/:\n  " +
		strings.Join(samples, " ") + "\ne.g. make run EVENT=events/sqs-mixed-invalid.json"
}

// readEvent reads file and checks that it is an SQS event the function can
// be invoked with: a JSON object with at least one record, each with a
// messageId, a string body and eventSource "aws:sqs". The bodies are not
// checked: an invalid body is something the function must handle, and
// events/sqs-mixed-invalid.json shows how.
func readEvent(file string) (*event, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &eventError{file, "does not exist."}
	}
	if err != nil {
		return nil, &eventError{file, "cannot be read: " + err.Error()}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxEventBytes+1))
	if err != nil {
		return nil, &eventError{file, "cannot be read: " + err.Error()}
	}
	if len(raw) > maxEventBytes {
		return nil, &eventError{file, fmt.Sprintf("is larger than %d bytes, Lambda's payload limit.", maxEventBytes)}
	}
	return parseEvent(file, raw)
}

// parseEvent checks raw as readEvent does.
func parseEvent(file string, raw []byte) (*event, error) {
	var top any
	if err := json.Unmarshal(raw, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, &eventError{file, fmt.Sprintf("is not JSON (%v, at byte %d).", err, syn.Offset)}
		}
		return nil, &eventError{file, fmt.Sprintf("is not JSON (%v).", err)}
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, &eventError{file, "is JSON but not an SQS event: it is not an object with \"Records\"."}
	}
	recs, ok := obj["Records"]
	if !ok {
		reason := "is JSON but not an SQS event: it has no \"Records\"."
		if _, ok := obj["accounts"]; ok {
			reason = "looks like one message body, not an SQS event (a body goes, as a string, in Records[].body)."
		} else if _, ok := obj["records"]; ok {
			reason = "is JSON but not an SQS event: \"Records\" is spelt with a capital R."
		}
		return nil, &eventError{file, reason}
	}
	list, ok := recs.([]any)
	switch {
	case !ok:
		return nil, &eventError{file, "is not an SQS event: \"Records\" is not an array."}
	case len(list) == 0:
		return nil, &eventError{file, "has no records: the function would have nothing to do."}
	}
	ev := &event{Raw: raw}
	for i, r := range list {
		at := fmt.Sprintf("Records[%d]", i)
		rec, ok := r.(map[string]any)
		if !ok {
			return nil, &eventError{file, "is not an SQS event: " + at + " is not an object."}
		}
		id, _ := rec["messageId"].(string)
		if id == "" {
			return nil, &eventError{file, "is not an SQS event: " + at + " has no messageId (a non-empty string)."}
		}
		body, ok := rec["body"].(string)
		if !ok {
			return nil, &eventError{file, "is not an SQS event: " + at + " has no body (a string, the message as SQS delivers it)."}
		}
		if src, _ := rec["eventSource"].(string); src != "aws:sqs" {
			return nil, &eventError{file, fmt.Sprintf("is not an SQS event: %s has eventSource %q, not \"aws:sqs\".", at, src)}
		}
		m := message{ID: id}
		if req, err := erasure.Parse(body); err == nil {
			m.Accounts = req.Accounts
		}
		ev.Messages = append(ev.Messages, m)
	}
	return ev, nil
}

// accounts returns every account of the event's valid messages, each once,
// in order of first appearance.
func (ev *event) accounts() []string {
	seen := map[string]bool{}
	var all []string
	for _, m := range ev.Messages {
		for _, a := range m.Accounts {
			if !seen[a] {
				seen[a] = true
				all = append(all, a)
			}
		}
	}
	return all
}

// loneAccount returns the first account that only one message names, so
// that rejecting it fails that message alone, or else the first account;
// ok is false when the event has no valid message.
func (ev *event) loneAccount() (account, messageID string, ok bool) {
	count := map[string]int{}
	for _, m := range ev.Messages {
		for _, a := range m.Accounts {
			count[a]++
		}
	}
	for _, m := range ev.Messages {
		for _, a := range m.Accounts {
			if count[a] == 1 {
				return a, m.ID, true
			}
		}
	}
	for _, m := range ev.Messages {
		if len(m.Accounts) > 0 {
			return m.Accounts[0], m.ID, true
		}
	}
	return "", "", false
}
