package secretstest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Region is the AWS region the stub claims to be in. It appears in every ARN
// the stub issues and in the AWS_REGION that Env returns, so the SDK's signing
// region and the ARNs agree.
const Region = "us-east-1"

// AccountID is the account that owns every secret in the stub. It is the
// documentation account, so it can never collide with a real one.
const AccountID = "123456789012"

// Server is a Secrets Manager stand-in. The zero value is a usable
// http.Handler (for callers who bring their own listener, e.g.
// httptest.NewServer); Start returns one that already listens.
//
// All methods are safe for concurrent use.
type Server struct {
	mu      sync.Mutex
	secrets map[string]*secret // by name
	calls   int

	// Injected faults: failNext is consumed first so a test can script
	// "fail twice, then recover" on top of a persistent failure.
	failure      string
	failNext     int
	failNextType string

	httpSrv   *http.Server
	url       string
	closeOnce sync.Once
	serveDone chan struct{}
}

// Start returns a Server listening on an ephemeral loopback port. A fixed
// port would make parallel test binaries collide.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("secretstest: listen: %w", err)
	}
	s := &Server{
		url:       "http://" + ln.Addr().String(),
		serveDone: make(chan struct{}),
	}
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(s.serveDone)
		// Serve only returns on Close (ErrServerClosed) or a dead listener;
		// either way the next request fails loudly, so there is nothing to
		// report here.
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// URL is the base URL of a started Server, e.g. "http://127.0.0.1:41234",
// or "" when the Server was not created by Start.
func (s *Server) URL() string { return s.url }

// Close stops the listener and drops open connections. It is idempotent and
// a no-op on a Server that was not created by Start.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.httpSrv == nil {
			return
		}
		_ = s.httpSrv.Close()
		<-s.serveDone
	})
}

// Env returns the environment, as "KEY=value" pairs, that points a client
// built with config.LoadDefaultConfig at this Server and keeps the SDK away
// from everything on the host that could change the outcome: real
// credentials, shared config profiles and the EC2 instance metadata service
// (which would otherwise add seconds of timeouts off EC2).
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + s.url,
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false",
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// SetEnv applies Env through set: t.Setenv in tests, a wrapper of
// os.Setenv in commands.
func (s *Server) SetEnv(set func(key, value string)) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
}

// Calls reports how many GetSecretValue requests the Server has received,
// including those it answered with an error (injected or not found), so
// tests can count every round trip the client made, retries included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}
