package tim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// fakeSig is a distinctive UserSig: no error text may ever contain it.
const fakeSig = "eJyrVgrxCdZLrSjILEpVsjIyMDAwUNKBSKWUg1Ryc3My-ZEL-SECRETSIG"

// testSigner hands out fixed credentials, or err.
type testSigner struct {
	creds Credentials
	err   error
	calls atomic.Int32
}

func (s *testSigner) Credentials(context.Context) (Credentials, error) {
	s.calls.Add(1)
	return s.creds, s.err
}

func newSigner() *testSigner {
	return &testSigner{creds: Credentials{SDKAppID: 1400000000, Identifier: "administrator", UserSig: fakeSig, KeyVersion: "v7"}}
}

// captured is one request as the server saw it.
type captured struct {
	Method, Path, ContentType string
	Query                     url.Values
	Body                      []byte
}

// recorder is a real HTTP server on 127.0.0.1 that records every request
// and answers with status and body.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []captured
	status int
	body   string
}

func newRecorder(t *testing.T, status int, body string) *recorder {
	t.Helper()
	r := &recorder{status: status, body: body}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, captured{req.Method, req.URL.Path, req.Header.Get("Content-Type"), req.URL.Query(), b})
		status, body := r.status, r.body
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []captured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func newClient(t *testing.T, base string, signer Signer) *Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	hc := NewHTTPClient(2*time.Second, 4)
	t.Cleanup(hc.CloseIdleConnections)
	return &Client{BaseURL: u, HTTPClient: hc, Signer: signer}
}

const okBody = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`

func TestRemoveAttrsRequest(t *testing.T) {
	tests := []struct {
		name     string
		prefix   string
		users    []UserAttrs
		wantPath string
		wantBody string
	}{
		{
			name:     "two accounts",
			users:    []UserAttrs{{Account: "u1", Attrs: []string{"sex", "city"}}, {Account: "u2", Attrs: []string{"sex"}}},
			wantPath: "/v4/all_member_push/im_remove_attr",
			wantBody: `{"UserAttrs":[{"To_Account":"u1","Attrs":["sex","city"]},{"To_Account":"u2","Attrs":["sex"]}]}`,
		},
		{
			name:     "path prefix kept",
			prefix:   "/proxy/tim",
			users:    []UserAttrs{{Account: "a b&c", Attrs: []string{"level"}}},
			wantPath: "/proxy/tim/v4/all_member_push/im_remove_attr",
			wantBody: `{"UserAttrs":[{"To_Account":"a b\u0026c","Attrs":["level"]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, http.StatusOK, okBody)
			c := newClient(t, rec.srv.URL+tt.prefix, newSigner())
			for range 3 {
				res, err := c.RemoveAttrs(context.Background(), tt.users)
				if err != nil {
					t.Fatalf("RemoveAttrs: %v", err)
				}
				if len(res.Failed) != 0 {
					t.Fatalf("Failed = %v, want none", res.Failed)
				}
			}
			reqs := rec.requests()
			if len(reqs) != 3 {
				t.Fatalf("server saw %d requests, want 3", len(reqs))
			}
			randoms := map[string]bool{}
			for _, r := range reqs {
				if r.Method != http.MethodPost {
					t.Errorf("method = %s, want POST", r.Method)
				}
				if r.Path != tt.wantPath {
					t.Errorf("path = %q, want %q", r.Path, tt.wantPath)
				}
				if r.ContentType != "application/json" {
					t.Errorf("Content-Type = %q", r.ContentType)
				}
				q := r.Query
				for k, want := range map[string]string{
					"sdkappid": "1400000000", "identifier": "administrator",
					"usersig": fakeSig, "contenttype": "json",
				} {
					if got := q.Get(k); got != want {
						t.Errorf("query %s = %q, want %q", k, got, want)
					}
				}
				if len(q) != 5 {
					t.Errorf("query has %d parameters, want 5: %v", len(q), q)
				}
				if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
					t.Errorf("random %q is not a uint32", q.Get("random"))
				}
				randoms[q.Get("random")] = true
				if string(r.Body) != tt.wantBody {
					t.Errorf("body = %s, want %s", r.Body, tt.wantBody)
				}
			}
			if len(randoms) != 3 {
				t.Errorf("random repeated across requests: %v", randoms)
			}
		})
	}
}

func TestRandomIsUsed(t *testing.T) {
	rec := newRecorder(t, http.StatusOK, okBody)
	c := newClient(t, rec.srv.URL, newSigner())
	var n uint32 = 4294967293
	c.random = func() uint32 { n++; return n }
	for range 2 {
		if _, err := c.RemoveAttrs(context.Background(), []UserAttrs{{Account: "u", Attrs: []string{"a"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range rec.requests() {
		got = append(got, r.Query.Get("random"))
	}
	if want := []string{"4294967294", "4294967295"}; !slices.Equal(got, want) {
		t.Errorf("random = %v, want %v", got, want)
	}
}

func TestRemoveAttrsAnswers(t *testing.T) {
	type want struct {
		failed  []AccountError
		absent  []string
		errType string // "", "api", "http", "redirect", "decode"
		code    int    // APIError.Code, httpError.StatusCode or redirectError.StatusCode
		class   erasure.Class
	}
	tests := []struct {
		name   string
		status int
		body   string
		max    int64
		want   want
	}{
		{"ok", 200, okBody, 0, want{}},
		{"ok without optional fields", 200, `{"ActionStatus":"OK"}`, 0, want{}},
		{"ok with unknown fields", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Extra":{"a":[1]}}`, 0, want{}},
		{"ok with error list", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[{"To_Account":"u1","ErrorCode":91000}]}`, 0,
			want{failed: []AccountError{{"u1", 91000}}}},
		{"ok with absent account", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorList":[{"To_Account":"u1","ErrorCode":70107}]}`, 0,
			want{absent: []string{"u1"}}},
		{"ok with empty error list", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[]}`, 0, want{}},
		{"error list names another account", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":"u2","ErrorCode":70107}]}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"error list entry without account", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"ErrorCode":91000}]}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"error list account null", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[{"To_Account":null,"ErrorCode":91000}]}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"fail invalid attr", 200, `{"ActionStatus":"FAIL","ErrorCode":90033,"ErrorInfo":"attr x of u1 invalid"}`, 0, want{errType: "api", code: 90033, class: erasure.Content}},
		{"fail usersig expired", 200, `{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"UserSig of u1 has expired"}`, 0, want{errType: "api", code: 70001, class: erasure.SigExpired}},
		{"fail internal", 200, `{"ActionStatus":"FAIL","ErrorCode":91000,"ErrorInfo":""}`, 0, want{errType: "api", code: 91000, class: erasure.Retryable}},
		{"fail rate limited", 200, `{"ActionStatus":"FAIL","ErrorCode":60018}`, 0, want{errType: "api", code: 60018, class: erasure.RateLimited}},
		{"error code with OK status", 200, `{"ActionStatus":"OK","ErrorCode":90009}`, 0, want{errType: "api", code: 90009, class: erasure.Configuration}},
		{"fail without code", 200, `{"ActionStatus":"FAIL","ErrorCode":0}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"unknown status", 200, `{"ActionStatus":"MAYBE"}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"empty object", 200, `{}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"null", 200, `null`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"empty body", 200, ``, 0, want{errType: "decode", class: erasure.Retryable}},
		{"garbage", 200, `<html>oops</html>`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"truncated JSON", 200, `{"ActionStatus":"OK","Error`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"wrong types", 200, `{"ActionStatus":"OK","ErrorCode":"0"}`, 0, want{errType: "decode", class: erasure.Retryable}},
		{"http 502", 502, `<html><body>502 Bad Gateway</body></html>`, 0, want{errType: "http", code: 502, class: erasure.Retryable}},
		{"http 500 with OK body", 500, okBody, 0, want{errType: "http", code: 500, class: erasure.Retryable}},
		{"http 429", 429, ``, 0, want{errType: "http", code: 429, class: erasure.RateLimited}},
		{"http 404", 404, `not found`, 0, want{errType: "http", code: 404, class: erasure.Configuration}},
		{"http 403", 403, ``, 0, want{errType: "http", code: 403, class: erasure.Configuration}},
		// Without a Location nothing could be followed; the point is that
		// the OK body of a redirect is not taken for the answer.
		{"http 302 with OK body", 302, okBody, 0, want{errType: "redirect", code: 302, class: erasure.Configuration}},
		{"http 307 with OK body", 307, okBody, 0, want{errType: "redirect", code: 307, class: erasure.Configuration}},
		{"http 300", 300, okBody, 0, want{errType: "redirect", code: 300, class: erasure.Configuration}},
		{"http 304", 304, ``, 0, want{errType: "redirect", code: 304, class: erasure.Configuration}},
		{"body at the limit", 200, okBody + strings.Repeat(" ", 64-len(okBody)), 64, want{}},
		{"body over the limit", 200, okBody + strings.Repeat(" ", 65-len(okBody)), 64, want{errType: "decode", class: erasure.Retryable}},
		{"body over the default limit", 200, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"` + strings.Repeat("x", defaultMaxResponseBytes) + `"}`, 0, want{errType: "decode", class: erasure.Retryable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.status, tt.body)
			c := newClient(t, rec.srv.URL, newSigner())
			c.maxResponseBytes = tt.max
			res, err := c.RemoveAttrs(context.Background(), []UserAttrs{{Account: "u1", Attrs: []string{"sex"}}})
			if err != nil && strings.Contains(err.Error(), fakeSig) {
				t.Errorf("error %q contains the UserSig", err)
			}
			if got := Classify(err); err != nil && got != tt.want.class {
				t.Errorf("Classify = %v, want %v", got, tt.want.class)
			}
			switch tt.want.errType {
			case "":
				if err != nil {
					t.Fatalf("RemoveAttrs: %v", err)
				}
				if !slices.Equal(res.Failed, tt.want.failed) || !slices.Equal(res.Absent, tt.want.absent) {
					t.Errorf("result = %+v, want Failed %v, Absent %v", res, tt.want.failed, tt.want.absent)
				}
			case "api":
				var e *APIError
				if !errors.As(err, &e) {
					t.Fatalf("err = %T %v, want *APIError", err, err)
				}
				if e.Code != tt.want.code || e.KeyVersion != "v7" || e.Op != "im_remove_attr" {
					t.Errorf("APIError = %+v, want code %d, KeyVersion v7", e, tt.want.code)
				}
				if e.Info != "" && strings.Contains(e.Error(), e.Info) {
					t.Errorf("Error() %q formats ErrorInfo, which may name accounts", e)
				}
				if !strings.Contains(e.Error(), strconv.Itoa(tt.want.code)) {
					t.Errorf("Error() %q does not name the code", e)
				}
			case "http":
				var e *httpError
				if !errors.As(err, &e) {
					t.Fatalf("err = %T %v, want *httpError", err, err)
				}
				if e.StatusCode != tt.want.code {
					t.Errorf("StatusCode = %d, want %d", e.StatusCode, tt.want.code)
				}
			case "redirect":
				var e *redirectError
				if !errors.As(err, &e) {
					t.Fatalf("err = %T %v, want *redirectError", err, err)
				}
				if e.StatusCode != tt.want.code || e.Op != "im_remove_attr" {
					t.Errorf("redirectError = %+v, want status %d", e, tt.want.code)
				}
			case "decode":
				var e *decodeError
				if !errors.As(err, &e) {
					t.Fatalf("err = %T %v, want *decodeError", err, err)
				}
				if tt.max > 0 && !strings.Contains(e.Reason, "larger than") {
					t.Errorf("Reason = %q, want a size complaint", e.Reason)
				}
			}
			if err != nil && (res.Failed != nil || res.Absent != nil) {
				t.Errorf("result %+v alongside error %v", res, err)
			}
		})
	}
}

// resetServer accepts connections, reads a little, and resets them.
func resetServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1<<16)
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			_, _ = conn.Read(buf)
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// closedServer returns the URL of a port nothing listens on any more.
func closedServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// slowServer answers only after the test is over.
func slowServer(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

func TestTransportErrors(t *testing.T) {
	tests := []struct {
		name        string
		base        func(t *testing.T) string
		timeout     time.Duration
		cancel      bool
		wantClass   erasure.Class
		wantTimeout bool
	}{
		{name: "connection reset", base: resetServer, wantClass: erasure.Retryable},
		{name: "closed server", base: closedServer, wantClass: erasure.Retryable},
		{name: "client timeout", base: slowServer, timeout: 100 * time.Millisecond, wantClass: erasure.Retryable, wantTimeout: true},
		{name: "cancelled context", base: slowServer, cancel: true, wantClass: erasure.Cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base(t)
			c := newClient(t, base, newSigner())
			if tt.timeout > 0 {
				c.HTTPClient.Timeout = tt.timeout
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			for _, call := range []struct {
				op string
				fn func() error
			}{
				{"im_remove_attr", func() error {
					_, err := c.RemoveAttrs(ctx, []UserAttrs{{Account: "u1", Attrs: []string{"sex"}}})
					return err
				}},
				{"im_get_attr_name", func() error { _, err := c.AttrNames(ctx); return err }},
				{"im_remove_all_tags", func() error { _, err := c.RemoveAllTags(ctx, []string{"u1"}); return err }},
			} {
				err := call.fn()
				var te *transportError
				if !errors.As(err, &te) {
					t.Fatalf("%s: err = %T %v, want *transportError", call.op, err, err)
				}
				if te.Op != call.op {
					t.Errorf("Op = %q, want %q", te.Op, call.op)
				}
				msg := err.Error()
				for _, leak := range []string{fakeSig, "usersig", "sdkappid", "/v4/", "?", base + "/"} {
					if strings.Contains(msg, leak) {
						t.Errorf("error %q contains %q", msg, leak)
					}
				}
				var ue *url.Error
				if errors.As(err, &ue) {
					t.Errorf("error chain still holds a *url.Error (%q)", ue.URL)
				}
				if got := Classify(err); got != tt.wantClass {
					t.Errorf("Classify = %v, want %v (err %v)", got, tt.wantClass, err)
				}
				var ne net.Error
				if tt.wantTimeout && !(errors.As(err, &ne) && ne.Timeout()) {
					t.Errorf("error %v is not a timeout net.Error", err)
				}
			}
		})
	}
}

func TestSignerError(t *testing.T) {
	errNoKey := errors.New("secret unreadable")
	rec := newRecorder(t, http.StatusOK, okBody)
	signer := &testSigner{err: errNoKey}
	c := newClient(t, rec.srv.URL, signer)
	for _, call := range []func() error{
		func() error {
			_, err := c.RemoveAttrs(context.Background(), []UserAttrs{{Account: "u", Attrs: []string{"a"}}})
			return err
		},
		func() error { _, err := c.AttrNames(context.Background()); return err },
		func() error { _, err := c.RemoveAllTags(context.Background(), []string{"u"}); return err },
	} {
		err := call()
		var ce *credentialsError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %T %v, want *credentialsError", err, err)
		}
		if !errors.Is(err, errNoKey) {
			t.Errorf("err %v does not wrap the signer's error", err)
		}
		if Classify(err) != erasure.Configuration {
			t.Errorf("Classify = %v, want configuration", Classify(err))
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("server saw %d requests without credentials", n)
	}
	if signer.calls.Load() != 3 {
		t.Errorf("signer called %d times, want 3", signer.calls.Load())
	}
}

func TestAttrNames(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    []string
		wantErr erasure.Class
	}{
		{"ordered by numeric key", 200, `{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{"10":"k","2":"c","0":"a","1":"b"}}`, []string{"a", "b", "c", "k"}, ""},
		{"all ten", 200, `{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{"9":"j","8":"i","7":"h","6":"g","5":"f","4":"e","3":"d","2":"c","1":"b","0":"a"}}`,
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, ""},
		{"empty names dropped", 200, `{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{"0":"sex","1":"","2":"city"}}`, []string{"sex", "city"}, ""},
		{"none", 200, `{"ActionStatus":"OK","ErrorCode":0,"AttrNames":{}}`, []string{}, ""},
		{"missing", 200, `{"ActionStatus":"OK","ErrorCode":0}`, []string{}, ""},
		{"fail", 200, `{"ActionStatus":"FAIL","ErrorCode":90009,"ErrorInfo":"not admin"}`, nil, erasure.Configuration},
		{"http 502", 502, `bad gateway`, nil, erasure.Retryable},
		{"garbage", 200, `{"AttrNames":[1,2]}`, nil, erasure.Retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.status, tt.body)
			c := newClient(t, rec.srv.URL, newSigner())
			got, err := c.AttrNames(context.Background())
			if tt.want == nil {
				if err == nil {
					t.Fatalf("AttrNames = %q, want an error", got)
				}
				if Classify(err) != tt.wantErr {
					t.Errorf("Classify(%v) = %v, want %v", err, Classify(err), tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("AttrNames: %v", err)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("AttrNames = %q, want %q", got, tt.want)
				}
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != pathGetAttrName || string(r.Body) != "{}" {
				t.Errorf("request = %s %s %s, want POST %s {}", r.Method, r.Path, r.Body, pathGetAttrName)
			}
			if r.Query.Get("usersig") != fakeSig || r.Query.Get("contenttype") != "json" || r.Query.Get("random") == "" {
				t.Errorf("query = %v", r.Query)
			}
		})
	}
}

// TestSortedAttrNamesDeterministic checks that odd keys (non-numeric, huge,
// negative) still give one order whatever the map iteration order is.
func TestSortedAttrNamesDeterministic(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want []string
	}{
		{"numeric", map[string]string{"0": "a", "1": "b", "10": "d", "2": "c"}, []string{"a", "b", "c", "d"}},
		{"mixed", map[string]string{"9": "nine", "10": "ten", "1a": "onea", "b": "bee"}, []string{"nine", "ten", "onea", "bee"}},
		{"extreme", map[string]string{"9223372036854775807": "max", "-9223372036854775808": "min", "0": "zero"}, []string{"min", "zero", "max"}},
		{"same value, different spelling", map[string]string{"01": "x", "1": "y", "0": "w"}, []string{"w", "x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				if got := sortedAttrNames(tt.in); !slices.Equal(got, tt.want) {
					t.Fatalf("sortedAttrNames = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	api := func(code int) error { return &APIError{Op: opRemoveAttr, Code: code} }
	tests := []struct {
		name string
		err  error
		want erasure.Class
	}{
		{"nil", nil, erasure.Unknown},
		// im_remove_attr's own codes.
		{"90001 JSON parse", api(90001), erasure.Content},
		{"90009 needs admin", api(90009), erasure.Configuration},
		{"90018 too many accounts", api(90018), erasure.Content},
		{"90033 invalid attr", api(90033), erasure.Content},
		{"91000 internal", api(91000), erasure.Retryable},
		// Public codes.
		{"60007 rate limited", api(60007), erasure.RateLimited},
		{"60011 rate limited", api(60011), erasure.RateLimited},
		{"60018 rate limited", api(60018), erasure.RateLimited},
		{"60019 rate limited", api(60019), erasure.RateLimited},
		{"60008 timeout", api(60008), erasure.Retryable},
		{"70169 timeout", api(70169), erasure.Retryable},
		{"70001 usersig expired", api(70001), erasure.SigExpired},
		{"70003 signature", api(70003), erasure.Signature},
		{"70009 signature", api(70009), erasure.Signature},
		{"70013 signature", api(70013), erasure.Signature},
		{"70014 signature", api(70014), erasure.Signature},
		{"70016 signature", api(70016), erasure.Signature},
		{"70020 signature", api(70020), erasure.Signature},
		{"60006 configuration", api(60006), erasure.Configuration},
		{"60010 configuration", api(60010), erasure.Configuration},
		{"60016 configuration", api(60016), erasure.Configuration},
		{"60020 configuration", api(60020), erasure.Configuration},
		{"60021 configuration", api(60021), erasure.Configuration},
		{"unknown code 12345", api(12345), erasure.Unknown},
		{"wrapped API error", errors.Join(errors.New("ctx"), api(91000)), erasure.Retryable},
		// HTTP.
		{"http 500", &httpError{Op: opRemoveAttr, StatusCode: 500}, erasure.Retryable},
		{"http 502", &httpError{Op: opRemoveAttr, StatusCode: 502}, erasure.Retryable},
		{"http 503", &httpError{Op: opRemoveAttr, StatusCode: 503}, erasure.Retryable},
		{"http 429", &httpError{Op: opRemoveAttr, StatusCode: 429}, erasure.RateLimited},
		{"http 404", &httpError{Op: opRemoveAttr, StatusCode: 404}, erasure.Configuration},
		{"http 401", &httpError{Op: opRemoveAttr, StatusCode: 401}, erasure.Configuration},
		{"redirect 301", &redirectError{Op: opRemoveAttr, StatusCode: 301}, erasure.Configuration},
		{"redirect 302", &redirectError{Op: opRemoveAttr, StatusCode: 302}, erasure.Configuration},
		{"redirect 307", &redirectError{Op: opGetAttrName, StatusCode: 307}, erasure.Configuration},
		{"redirect 308", &redirectError{Op: opRemoveAttr, StatusCode: 308}, erasure.Configuration},
		{"wrapped redirect", errors.Join(errors.New("ctx"), &redirectError{Op: opRemoveAttr, StatusCode: 302}), erasure.Configuration},
		// Others.
		{"transport", &transportError{Op: opRemoveAttr, Err: errors.New("connection reset by peer")}, erasure.Retryable},
		{"transport deadline", &transportError{Op: opRemoveAttr, Err: context.DeadlineExceeded}, erasure.Retryable},
		{"transport cancelled", &transportError{Op: opRemoveAttr, Err: context.Canceled}, erasure.Cancelled},
		{"context.Canceled", context.Canceled, erasure.Cancelled},
		{"credentials", &credentialsError{Err: errors.New("no key")}, erasure.Configuration},
		{"credentials cancelled", &credentialsError{Err: context.Canceled}, erasure.Cancelled},
		{"decode", &decodeError{Op: opRemoveAttr, Reason: "garbled"}, erasure.Retryable},
		{"untrusted ErrorList", &decodeError{Op: opRemoveAttr, Reason: "ErrorList names an account not in the call"}, erasure.Retryable},
		{"request refused", &requestError{Op: "clear_all_tags", Reason: "101 accounts"}, erasure.Content},
		{"unknown family", &familyError{Value: "x"}, erasure.Configuration},
		{"tag removal API error", &APIError{Op: "im_remove_all_tags", Code: 90018}, erasure.Content},
		{"foreign error", errors.New("something else"), erasure.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
			var e *APIError
			if errors.As(tt.err, &e) {
				if got := ClassifyCode(e.Code); got != tt.want {
					t.Errorf("ClassifyCode(%d) = %v, want %v", e.Code, got, tt.want)
				}
			}
		})
	}
}

func TestRemoveAttrsJSONShape(t *testing.T) {
	// The body is decoded back as a generic document so field names are
	// checked independently of the struct tags.
	rec := newRecorder(t, http.StatusOK, okBody)
	c := newClient(t, rec.srv.URL, newSigner())
	users := make([]UserAttrs, 100)
	for i := range users {
		users[i] = UserAttrs{Account: "user-" + strconv.Itoa(i), Attrs: []string{"sex", "city"}}
	}
	if _, err := c.RemoveAttrs(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(rec.requests()[0].Body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 1 || len(doc["UserAttrs"]) != 100 {
		t.Fatalf("body has keys %d, UserAttrs %d", len(doc), len(doc["UserAttrs"]))
	}
	for i, ua := range doc["UserAttrs"] {
		if ua["To_Account"] != "user-"+strconv.Itoa(i) || len(ua) != 2 {
			t.Errorf("UserAttrs[%d] = %v", i, ua)
		}
	}
}

// TestNewHTTPClientRefusesRedirects checks the clients this package makes:
// a redirect is returned as it is, never followed.
func TestNewHTTPClientRefusesRedirects(t *testing.T) {
	for name, hc := range map[string]*http.Client{
		"NewHTTPClient":   NewHTTPClient(time.Second, 1),
		"package default": defaultHTTPClient,
	} {
		if hc.CheckRedirect == nil {
			t.Errorf("%s: CheckRedirect is nil, so redirects are followed", name)
			continue
		}
		if err := hc.CheckRedirect(&http.Request{}, []*http.Request{{}}); !errors.Is(err, http.ErrUseLastResponse) {
			t.Errorf("%s: CheckRedirect = %v, want http.ErrUseLastResponse", name, err)
		}
	}
}
