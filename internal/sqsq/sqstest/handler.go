package sqstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const (
	targetPrefix = "AmazonSQS."
	contentType  = "application/x-amz-json-1.0"
	// maxRequest is above the largest valid call (1 MiB of payload, at
	// most doubled by JSON escapes or grown a third by base64), to refuse
	// only runaway clients.
	maxRequest = 4 << 20
)

// callError is an error answer: an SQS code and its message.
type callError struct {
	code, message string
}

// operation answers one decoded request body.
type operation func(s *Server, base string, body []byte) (any, *callError)

var operations = map[string]operation{
	"GetQueueUrl":                  (*Server).getQueueURL,
	"GetQueueAttributes":           (*Server).getQueueAttributes,
	"SendMessage":                  (*Server).sendMessage,
	"SendMessageBatch":             (*Server).sendMessageBatch,
	"ChangeMessageVisibilityBatch": (*Server).changeMessageVisibilityBatch,
}

// ServeHTTP answers AWS JSON 1.0 requests the way SQS does. A request not
// signed with SigV4 for sqs is refused: the stand-in cannot check the
// signature, but a missing one proves the client skipped signing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, errorFor("UnsupportedOperation"), "only POST / is served")
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/"+Region+"/sqs/aws4_request") {
		writeError(w, sqsError{query: "MissingAuthenticationToken", status: http.StatusForbidden},
			"request is not signed with SigV4 for sqs in "+Region)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, _ := strings.CutPrefix(target, targetPrefix)
	op, ok := operations[name]
	if !ok || !strings.HasPrefix(target, targetPrefix) {
		writeError(w, errorFor("UnsupportedOperation"), "operation not supported by sqstest: "+strconv.Quote(target))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != contentType {
		writeError(w, sqsError{query: "InvalidParameterValue", status: http.StatusBadRequest}, "Content-Type must be "+contentType+", not "+strconv.Quote(ct))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))

	s.mu.Lock()
	if s.calls == nil {
		s.calls = make(map[string]int)
	}
	s.calls[name]++
	fault := s.failures[name]
	delay := s.latency[name]
	s.mu.Unlock()
	if !wait(r, delay) {
		return // the client gave up first: as far as it knows, SQS did nothing
	}

	switch {
	case err != nil:
		writeError(w, sqsError{query: "InvalidParameterValue", status: http.StatusBadRequest}, "request body unreadable or too large")
		return
	case fault != "":
		writeError(w, errorFor(fault), "sqstest: injected "+fault)
		return
	}
	base := s.url
	if base == "" {
		base = "http://" + r.Host
	}
	out, cerr := op(s, base, body)
	if cerr != nil {
		writeError(w, errorFor(cerr.code), cerr.message)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decode reads a request body; SQS answers a malformed one like this.
func decode(body []byte, v any) *callError {
	if err := json.Unmarshal(body, v); err != nil {
		return &callError{"InvalidParameterValue", "request body is not valid JSON for this operation"}
	}
	return nil
}

// writeError answers as SQS does in JSON: the shape in __type and the query
// code, with whose fault, in x-amzn-query-error. The SDK resolves the type
// from __type and reports the query code.
func writeError(w http.ResponseWriter, e sqsError, message string) {
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", e.query+";"+fault)
	typ := e.query
	if e.shape != "" {
		typ = "com.amazonaws.sqs#" + e.shape
	}
	writeJSON(w, e.status, map[string]string{"__type": typ, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the stand-in's own types are marshalled; still answer.
		status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalError","message":"sqstest: marshal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-RequestId", requestID())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
