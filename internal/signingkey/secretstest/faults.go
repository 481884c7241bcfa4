package secretstest

import "net/http"

// SetFailure makes every GetSecretValue call answer with the error type
// errType (e.g. "AccessDeniedException", "InternalServiceError") until it is
// called again with "". The HTTP status follows the real service: 5xx for
// server faults, 400 otherwise, which decides whether the SDK retries.
func (s *Server) SetFailure(errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = errType
}

// FailNext makes the next n GetSecretValue calls answer with errType, after
// which the Server behaves as before. It takes precedence over SetFailure,
// so a test can script a transient outage on top of a steady state.
func (s *Server) FailNext(n int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		n = 0
	}
	s.failNext, s.failNextType = n, errType
}

// takeFault returns the error type the current call must fail with, or "".
// Callers hold s.mu.
func (s *Server) takeFault() string {
	if s.failNext > 0 && s.failNextType != "" {
		s.failNext--
		return s.failNextType
	}
	return s.failure
}

// statusFor maps an error type to the status Secrets Manager uses for it.
func statusFor(errType string) int {
	switch errType {
	case "InternalServiceError", "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}
