package eventstest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Region is the AWS region the stand-in claims to be in: it is the
// AWS_REGION that Env returns, and the region requests must be signed for.
const Region = "us-east-1"

// AccountID owns the stand-in's buses. It is the documentation account, so
// it can never collide with a real one.
const AccountID = "123456789012"

// BusARN is the ARN of the bus name in the stand-in's region and account.
func BusARN(name string) string {
	return "arn:aws:events:" + Region + ":" + AccountID + ":event-bus/" + name
}

// Event is an event the Server took, as it was sent.
type Event struct {
	// ID is the EventId the Server answered with.
	ID string
	// EventBus is the EventBusName as sent, a name or an ARN; "default"
	// when the entry had none.
	EventBus   string
	Source     string
	DetailType string
	Detail     string
	Resources  []string
	// Time is the entry's Time; zero when it had none.
	Time time.Time
}

// Server is an EventBridge stand-in. The zero value is a usable
// http.Handler (for callers who bring their own listener); Start returns
// one that already listens. All methods are safe for concurrent use.
type Server struct {
	mu     sync.Mutex
	events []Event
	bodies []string
	calls  int

	callRules  []*callRule
	entryRules []*entryRule
	latency    time.Duration

	httpSrv   *http.Server
	url       string
	closeOnce sync.Once
	serveDone chan struct{}
}

// Start returns a Server listening on an ephemeral loopback port, so
// parallel test binaries cannot collide.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("eventstest: listen: %w", err)
	}
	s := &Server{
		url:       "http://" + ln.Addr().String(),
		serveDone: make(chan struct{}),
	}
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.serveDone)
		// Serve returns only on Close or a dead listener; either way the
		// next request fails loudly.
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
// credentials, shared config profiles and the EC2 instance metadata service.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + s.url,
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

// Calls reports how many PutEvents requests the Server has received,
// including those it answered with an error, so tests count every round
// trip, retries included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Events returns the events the Server took, in the order it took them.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.events)
	for i := range out {
		out[i].Resources = slices.Clone(out[i].Resources)
	}
	return out
}

// Bodies returns the raw body of every PutEvents request received, in
// order, answered with an error or not: what a client put on the wire.
func (s *Server) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}
