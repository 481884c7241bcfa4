package secretstest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

const (
	targetPrefix     = "secretsmanager."
	opGetSecretValue = "GetSecretValue"
	maxBody          = 64 << 10
	contentType      = "application/x-amz-json-1.1"
)

// ServeHTTP answers awsJson1.1 requests the way Secrets Manager does. Any
// request not signed with SigV4 is refused: the stub cannot check the
// signature, but a missing one proves the client skipped the signing step.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "only POST / is served")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request is not signed with SigV4")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || op != opGetSecretValue {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "operation not supported by secretstest: "+strconv.Quote(target))
		return
	}
	s.getSecretValue(w, r)
}

type getSecretValueInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type getSecretValueOutput struct {
	ARN           string      `json:"ARN"`
	Name          string      `json:"Name"`
	SecretString  *string     `json:"SecretString,omitempty"`
	SecretBinary  string      `json:"SecretBinary,omitempty"` // base64, as the blob type is on the wire
	VersionID     string      `json:"VersionId"`
	VersionStages []string    `json:"VersionStages"`
	CreatedDate   json.Number `json:"CreatedDate"` // epoch seconds, the awsJson timestamp format
}

func (s *Server) getSecretValue(w http.ResponseWriter, r *http.Request) {
	var in getSecretValueInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&in); err != nil {
		s.count()
		writeError(w, http.StatusBadRequest, "SerializationException", "request body is not valid JSON")
		return
	}

	s.mu.Lock()
	s.calls++
	if fault := s.takeFault(); fault != "" {
		s.mu.Unlock()
		writeError(w, statusFor(fault), fault, "secretstest: injected "+fault)
		return
	}
	if in.SecretID == "" {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	sec, ok := s.lookup(in.SecretID)
	var (
		v      version
		stages []string
	)
	if ok {
		v, stages, ok = sec.pick(in.VersionID, in.VersionStage)
	}
	var out getSecretValueOutput
	if ok {
		out = getSecretValueOutput{
			ARN:           sec.arn,
			Name:          sec.name,
			SecretString:  v.str,
			VersionID:     v.id,
			VersionStages: stages,
			CreatedDate:   json.Number(strconv.FormatFloat(float64(v.created.UnixMilli())/1000, 'f', 3, 64)),
		}
		if v.bin != nil {
			out.SecretBinary = base64.StdEncoding.EncodeToString(v.bin)
		}
	}
	s.mu.Unlock()

	if !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) count() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
}

// writeError sends the error both as X-Amzn-ErrorType and as __type: the
// SDK prefers the header, other clients read the body, and the real service
// sends both.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("X-Amzn-ErrorType", errType)
	writeJSON(w, status, map[string]string{"__type": errType, "Message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own fixed types are marshalled, so this is unreachable;
		// still answer rather than leave the client hanging.
		status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalServiceError"}`)
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
