package timtest

import (
	"encoding/json"
	"time"
)

// getAttrName validates an im_get_attr_name body. The API takes an empty
// object; anything that is not a JSON object is a parse error, other fields
// are ignored as the real API ignores them. The names themselves are added
// by answer from the current set (SetAttrNames); FailAttrNames makes the
// call fail instead.
func (s *Server) getAttrName(body []byte, now time.Time) outcome {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		return outcome{now: now, rej: &rejection{CodeJSONParse, "request body must be a JSON object"}}
	}
	s.mu.Lock()
	code := s.namesFailing
	s.mu.Unlock()
	if code != 0 {
		return outcome{now: now, rej: &rejection{code, "attribute names unavailable (FailAttrNames)"}}
	}
	return outcome{now: now}
}
