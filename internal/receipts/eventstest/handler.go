package eventstest

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
	targetPrefix = "AWSEvents."
	opPutEvents  = "PutEvents"
	contentType  = "application/x-amz-json-1.1"
	// maxBody is far above the largest valid request (256 KB of entries
	// plus JSON escaping), to refuse only runaway clients.
	maxBody = 4 << 20
)

// callError is an error answer: an EventBridge error code and message.
type callError struct {
	code, message string
}

// ServeHTTP answers AWS JSON 1.1 requests the way EventBridge does. A
// request not signed with SigV4 for events in Region is refused: the
// stand-in cannot check the signature, but a missing one proves the client
// skipped signing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, callError{"UnknownOperationException", "only POST / is served"})
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/"+Region+"/events/aws4_request") {
		writeError(w, callError{"MissingAuthenticationTokenException", "request is not signed with SigV4 for events in " + Region})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if op, ok := strings.CutPrefix(target, targetPrefix); !ok || op != opPutEvents {
		writeError(w, callError{"UnknownOperationException", "operation not supported by eventstest: " + strconv.Quote(target)})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != contentType {
		writeError(w, callError{"SerializationException", "Content-Type must be " + contentType + ", not " + strconv.Quote(ct)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.record("")
		writeError(w, callError{"SerializationException", "request body unreadable or too large"})
		return
	}
	s.mu.Lock()
	delay := s.latency
	s.mu.Unlock()
	if !wait(r, delay) {
		return // the client gave up first: as far as it knows, nothing was put
	}
	out, cerr := s.putEvents(body)
	if cerr != nil {
		writeError(w, *cerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// record counts a call and keeps its body.
func (s *Server) record(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.bodies = append(s.bodies, body)
}

// statusFor is the HTTP status EventBridge answers code with: 5xx for its
// own faults, which the SDK retries, 400 otherwise.
func statusFor(code string) int {
	switch code {
	case "InternalException", "InternalFailure", "InternalError":
		return http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// writeError answers as EventBridge does: the code both in
// X-Amzn-ErrorType and in __type, the message in the body.
func writeError(w http.ResponseWriter, e callError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, statusFor(e.code), map[string]string{"__type": e.code, "message": e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the stand-in's own types are marshalled; still answer.
		status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalException","message":"eventstest: marshal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-RequestId", newID())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newID returns a random UUID, the shape of EventBridge's ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
