// The faults make stack injects into the Tencent Chat stand-in: the names
// and effects of make run's (FAULT=...), so that what make run shows in one
// invocation can be watched through the queue's retry schedule here.

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// refusedAccount is the account FAULT=content makes Tencent refuse.
const refusedAccount = "u-refused"

// fault is one FAULT: what it does, and how the stand-in is set for it.
type fault struct {
	name, does string
	// faults are the stand-in's injected faults, beside its latency.
	faults timtest.Faults
	// otherKey: the stand-in verifies UserSigs with another key than the
	// secret's (the key was changed in the console, not in the secret).
	otherKey bool
	// refuse: a front answers every attribute-removal call carrying
	// refusedAccount with 90001, as Tencent answers content it refuses.
	refuse bool
}

// faults are make run's, in its order.
var faults = []fault{
	{name: "rate-limit", does: "half the requests answered 60018 (rate limited): retries after longer waits",
		faults: timtest.Faults{Seed: 20, RateLimited60018: 0.5}},
	{name: "flaky", does: "50% of the requests fail (HTTP 502, connection reset, 91000, 60018): retries",
		faults: timtest.Faults{Seed: 10, HTTP502: 0.15, ConnReset: 0.1, Internal91000: 0.15, RateLimited60018: 0.1}},
	{name: "signature", does: "UserSigs verified with another key than the secret's: 70009, the secret re-read, every message delayed as systemic",
		otherKey: true},
	{name: "content", does: "every removal call carrying " + refusedAccount + " answered 90001: the call split down to it, its message dead-lettered (class content)",
		refuse: true},
	{name: "outage", does: "every request answered HTTP 502: each message fails and comes back on the retry schedule",
		faults: timtest.Faults{HTTP502: 1}},
}

// faultNamed returns the fault called name.
func faultNamed(name string) (fault, error) {
	var names []string
	for _, f := range faults {
		if f.name == name {
			return f, nil
		}
		names = append(names, f.name)
	}
	return fault{}, fmt.Errorf("-fault %q: want one of %s", name, strings.Join(names, ", "))
}

// refuser stands before the Tencent stand-in for FAULT=content.
type refuser struct {
	target *timtest.Server
	srv    *http.Server
	url    string
}

// startRefuser listens on a free loopback port and hands every request
// but a refused one to target.
func startRefuser(target *timtest.Server) (*refuser, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("FAULT=content: %w", err)
	}
	r := &refuser{target: target, url: "http://" + ln.Addr().String()}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }() // ends with Close
	return r, nil
}

// Close stops the front.
func (r *refuser) Close() { _ = r.srv.Close() }

// ServeHTTP implements http.Handler.
func (r *refuser) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != timtest.PathRemoveAttr && req.URL.Path != timtest.PathTimPushRemoveAttr {
		r.target.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, timtest.MaxBodyBytes))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var call struct {
		UserAttrs []struct {
			Account string `json:"To_Account"`
		} `json:"UserAttrs"`
	}
	if json.Unmarshal(body, &call) == nil {
		for i, ua := range call.UserAttrs {
			if ua.Account == refusedAccount {
				w.Header().Set("Content-Type", "application/json")
				_, _ = fmt.Fprintf(w, `{"ActionStatus":"FAIL","ErrorCode":%d,"ErrorInfo":"UserAttrs[%d].To_Account is not accepted (make stack FAULT=content)"}`,
					timtest.CodeJSONParse, i)
				return
			}
		}
	}
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	req.ContentLength = int64(len(body))
	r.target.ServeHTTP(w, req)
}
