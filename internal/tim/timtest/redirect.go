package timtest

import "net/http"

// redirectBody is the body of a redirect: an OK answer, so a client that
// decodes a 3xx body as the call's result instead of refusing it is caught.
const redirectBody = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`

// SetRedirect makes later API requests (every path, after routing and before
// faults and authentication) be answered with HTTP status and a Location
// header of location, as a misconfigured TIM_BASE_URL or proxy would; the
// real service never redirects. Nothing is removed. Status 0 turns it off;
// any other status outside 300-399 is refused and the old setting kept.
// location is sent verbatim; an empty one sends no Location header.
func (s *Server) SetRedirect(status int, location string) error {
	if status != 0 && (status < 300 || status > 399) {
		return &ConfigError{"redirect status", "must be 0 or 300-399"}
	}
	s.mu.Lock()
	s.redirect = redirect{status: status, location: location}
	s.mu.Unlock()
	return nil
}

// redirect is the setting of SetRedirect; a zero status means off.
type redirect struct {
	status   int
	location string
}

// answerRedirect records a redirect and writes it. The location is not
// logged: the stand-in's log lines name outcomes, not request data.
func (s *Server) answerRedirect(w http.ResponseWriter, rt route, rd redirect) {
	s.record(rt, outcome{now: s.cfg.Now(), status: rd.status})
	s.logf("%s: redirected with HTTP %d", rt.path, rd.status)
	if rd.location != "" {
		w.Header().Set("Location", rd.location)
	}
	if rd.status == http.StatusNotModified {
		w.WriteHeader(rd.status) // a 304 may not carry a body
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rd.status)
	_, _ = w.Write([]byte(redirectBody))
}
