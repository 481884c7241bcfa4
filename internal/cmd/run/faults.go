package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// faults are the values of FAULT (-fault) with what they show, in the
// order the usage lists them.
var faults = []struct{ name, shows string }{
	{"rate-limit", "Tencent's rate limit (60018): retries after longer waits"},
	{"flaky", "transient failures (502, reset, 91000, 60018): retries"},
	{"signature", "a key that no longer verifies: the secret re-read, a systemic failure"},
	{"content", "one account Tencent rejects: the call split down to it"},
	{"outage", "Tencent down (502): 6 tries, then every message back to SQS"},
	{"unverified", "one account's removal answered OK but never applied: read back, removed again, class unverified"},
}

// faultNames returns the names of faults.
func faultNames() []string {
	names := make([]string, len(faults))
	for i, f := range faults {
		names[i] = f.name
	}
	return names
}

// faultList describes faults, one per line.
func faultList() string {
	var b strings.Builder
	for _, f := range faults {
		fmt.Fprintf(&b, "\n  FAULT=%-11s %s", f.name, f.shows)
	}
	return b.String()
}

// plan is what one FAULT does to the Tencent stand-in, and what to look for
// in the output.
type plan struct {
	// Does says what the stand-in does; LookFor what the function's output
	// shows because of it. Both are printed at the top.
	Does, LookFor string
	// Faults are the stand-in's injected faults (timtest.Faults).
	Faults timtest.Faults
	// Key, when set, is the key the stand-in verifies UserSigs with
	// instead of the secret's.
	Key []byte
	// Reject, when set, is an account every attribute-removal call of which
	// is rejected as a whole with timtest.CodeJSONParse (90001).
	Reject string
	// Unapplied, when set, is an account the stand-in holds attribute
	// values for (UnappliedAttrs) and whose removals it answers OK without
	// applying (timtest.Server.IgnoreRemovals).
	Unapplied string
}

// UnappliedAttrs is the data FAULT=unverified gives its account: every
// default attribute name, with a value that says where it comes from.
func UnappliedAttrs() map[string]string {
	attrs := map[string]string{}
	for _, name := range timtest.DefaultAttrNames {
		attrs[name] = "make-run-value-of-" + name
	}
	return attrs
}

// errUnknownFault is wrapped by planFault for a name not in faultNames.
var errUnknownFault = errors.New("unknown FAULT")

// planFault returns the plan of the fault name for ev. The seeds of the
// probabilistic faults are chosen for the sample events, which make one
// attribute-name call, one removal call and its read-back: with seed 20,
// rate-limit makes 4 rate-limited tries in all; with seed 10, flaky makes
// 9 failed tries (502, 91000, 60018, resets) over the three calls. Every
// call still succeeds within its 6 tries. A larger event
// draws differently, and may see a call fail for good.
func planFault(name string, ev *event) (plan, error) {
	switch name {
	case "rate-limit":
		return plan{
			Does:    "the Tencent stand-in answers half the requests with 60018 (rate limited), fixed seed",
			LookFor: `"retries" and "rateLimited" > 0 in the summary, the waits (durationMs), and every message still erased`,
			Faults:  timtest.Faults{Seed: 20, RateLimited60018: 0.5},
		}, nil
	case "flaky":
		return plan{
			Does:    "the Tencent stand-in fails 50% of the requests: HTTP 502, connection reset, 91000, 60018, fixed seed",
			LookFor: `"retries" > 0 in the summary and every message still erased; the stand-in's call list shows each fault`,
			Faults:  timtest.Faults{Seed: 10, HTTP502: 0.15, ConnReset: 0.1, Internal91000: 0.15, RateLimited60018: 0.1},
		}, nil
	case "signature":
		return plan{
			Does: "the Tencent stand-in verifies UserSigs with another key than the secret's (the key was changed in the console, not in the secret)",
			LookFor: `70009 from Tencent, the function re-reading the secret (2 reads below), class "signature" on every message, ` +
				`"systemic":true and the invocation's error, so that Lambda backs off`,
			Key: []byte("attr-eraser-development-key-changed-in-the-console"),
		}, nil
	case "outage":
		return plan{
			Does:    "every request to the Tencent stand-in gets HTTP 502 (Tencent's gateway with its backend down)",
			LookFor: `6 tries per call ("retries" in the summary), class "retryable" on every message, all of them in batchItemFailures for SQS to redeliver`,
			Faults:  timtest.Faults{HTTP502: 1},
		}, nil
	case "unverified":
		account, id, ok := ev.loneAccount()
		if !ok {
			return plan{}, errors.New("FAULT=unverified needs an account of the event, and this event has no valid message")
		}
		return plan{
			Does: fmt.Sprintf("the Tencent stand-in holds attribute values for %s and answers OK to every removal of its data "+
				"without applying it (verification, VERIFY_ERASURE=true by default, exists to catch this)", account),
			LookFor: fmt.Sprintf(`read-back calls (im_get_attr) in the stand-in's list below, a second removal of %s and a second read-back `+
				`about 1 s later, then %s failed with class "unverified" and "verified" short of "accounts" on its audit line; `+
				`the other messages erased with "verification":"read-back"; no attribute value anywhere in the output`, account, id),
			Unapplied: account,
		}, nil
	case "content":
		account, id, ok := ev.loneAccount()
		if !ok {
			return plan{}, errors.New("FAULT=content rejects the calls carrying one account of the event, and this event has no valid message")
		}
		return plan{
			Does: fmt.Sprintf("every attribute-removal call carrying %s is answered 90001 as a whole, "+
				"Tencent's answer to content it cannot accept (by a front that run puts before the stand-in)", account),
			LookFor: fmt.Sprintf(`"splits" > 0 in the summary: the call is split in halves until %s is alone, `+
				`and %s fails with class "content"; the other accounts are erased`, account, id),
			Reject: account,
		}, nil
	}
	return plan{}, fmt.Errorf("%w %q; the faults are:%s", errUnknownFault, name, faultList())
}

// front sits between the function and the Tencent stand-in for
// FAULT=content: it answers every attribute-removal call carrying its
// account with a whole-call 90001, and hands every other request to the
// stand-in unchanged.
type front struct {
	account string
	target  atomic.Pointer[timtest.Server]

	mu       sync.Mutex
	rejected []timtest.Call // the calls it answered, in the stand-in's terms

	srv    *http.Server
	url    string
	served chan struct{}
	once   sync.Once
}

// startFront listens on a free loopback port; set the stand-in with
// target.Store before the function calls it.
func startFront(account string) (*front, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("FAULT=content: %w", err)
	}
	f := &front{account: account, url: "http://" + ln.Addr().String(), served: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.served)
		_ = f.srv.Serve(ln) // ends with Close
	}()
	return f, nil
}

// Rejected returns the calls the front answered itself, oldest first.
func (f *front) Rejected() []timtest.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rejected)
}

// Close stops the front.
func (f *front) Close() {
	f.once.Do(func() {
		_ = f.srv.Close()
		<-f.served
	})
}

// ServeHTTP implements http.Handler.
func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := f.target.Load()
	if target == nil {
		http.Error(w, "stand-in not ready", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path != timtest.PathRemoveAttr && r.URL.Path != timtest.PathTimPushRemoveAttr {
		target.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, timtest.MaxBodyBytes))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var req struct {
		UserAttrs []struct {
			Account string `json:"To_Account"`
		} `json:"UserAttrs"`
	}
	if json.Unmarshal(body, &req) == nil {
		for i, ua := range req.UserAttrs {
			if ua.Account == f.account {
				f.mu.Lock()
				f.rejected = append(f.rejected, timtest.Call{Time: time.Now(), Path: r.URL.Path,
					Accounts: len(req.UserAttrs), HTTPStatus: http.StatusOK, ErrorCode: timtest.CodeJSONParse})
				f.mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				// The stand-in's own answer to content it cannot accept;
				// like Tencent's, it names the position, not the account.
				_, _ = fmt.Fprintf(w, `{"ActionStatus":"FAIL","ErrorCode":%d,"ErrorInfo":"UserAttrs[%d].To_Account is not accepted (make run FAULT=content)"}`,
					timtest.CodeJSONParse, i)
				return
			}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	target.ServeHTTP(w, r)
}
