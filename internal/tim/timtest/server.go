package timtest

import (
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server is the stand-in. It is an http.Handler; [Start] also gives it a
// loopback listener. All methods are safe for concurrent use.
type Server struct {
	cfg Config // defaulted copy; never written after NewServer

	mu sync.Mutex
	// names are the registered attribute names and namesJSON the AttrNames
	// object im_get_attr_name answers; SetAttrNames replaces both, never
	// modifying them in place, so a request may use them unlocked once read.
	names     map[string]bool
	namesJSON json.RawMessage
	// namesFailing, when not zero, is the error code every
	// im_get_attr_name call is answered with (FailAttrNames).
	namesFailing int
	key          []byte // replaced, never modified in place, so it may be read unlocked once fetched
	faults       Faults
	rng          *rand.Rand
	limiter      limiter
	failing      map[string]int // account -> per-account ErrorCode
	inject       []AccountError // appended to every accepted answer of a call on accounts
	redirect     redirect
	removed      map[string]map[string]struct{}
	tags         map[string]map[string]struct{} // account -> tags it still has
	attrs        map[string]map[string]string   // account -> attribute name -> value it still has
	readFaults   readFaults                     // the read-back faults (readback.go)
	shuffle      *rand.Rand                     // orders read-back answers; apart from rng, so faults keep their draws
	cleared      map[string]int                 // account -> tag removals that cleared it
	stats        Stats
	perPath      map[string]*PathStats
	calls        []Call

	url       string
	http      *http.Server
	served    chan struct{} // closed when the serving goroutine returns
	closeOnce sync.Once
}

// NewServer returns a stand-in for cfg that is not listening; use it as an
// http.Handler (for example with httptest.NewServer) or call [Start] instead.
// Zero fields get defaults (see [Config]); cfg is not validated, so an app
// the real service would refuse can be modelled on purpose.
func NewServer(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		key:     cfg.Key,
		faults:  cfg.Faults,
		rng:     newRand(cfg.Faults.Seed),
		failing: make(map[string]int),
		removed: make(map[string]map[string]struct{}),
		tags:    make(map[string]map[string]struct{}),
		attrs:   make(map[string]map[string]string),
		shuffle: rand.New(rand.NewPCG(uint64(cfg.Faults.Seed), 0x73687566666c65)), // "shuffle"
		readFaults: readFaults{
			unapplied: make(map[unappliedKey]int),
			stale:     make(map[string]staleView),
		},
		cleared: make(map[string]int),
		stats:   newStats(),
		perPath: newPathStats(),
	}
	s.names, s.namesJSON = attrNameSet(cfg.AttrNames)
	return s
}

// attrNameSet returns names as a set and as im_get_attr_name's AttrNames
// object.
func attrNameSet(names []string) (map[string]bool, json.RawMessage) {
	set := make(map[string]bool, len(names))
	byIndex := make(map[string]string, len(names))
	for i, n := range names {
		set[n] = true
		byIndex[strconv.Itoa(i)] = n
	}
	// A map of strings always marshals; the fallback only keeps the
	// answer well-formed if that ever changed.
	js, _ := json.Marshal(byIndex)
	if len(js) == 0 {
		js = json.RawMessage("{}")
	}
	return set, js
}

// SetAttrNames replaces the registered attribute names, modelling an
// operator who adds or deletes names in the console: from the next request
// on, im_get_attr_name lists names and im_remove_attr rejects any other
// name with CodeInvalidAttr. Names are not validated (see [NewServer]).
func (s *Server) SetAttrNames(names ...string) {
	set, js := attrNameSet(names)
	s.mu.Lock()
	s.names, s.namesJSON = set, js
	s.mu.Unlock()
}

// FailAttrNames makes every later im_get_attr_name call (either family)
// answer with code, for example CodeInternal, as when the lookup is down
// while removals still work. Code 0 makes it answer normally again.
func (s *Server) FailAttrNames(code int) {
	s.mu.Lock()
	s.namesFailing = code
	s.mu.Unlock()
}

// attrNames returns the registered names and their AttrNames object.
func (s *Server) attrNames() (map[string]bool, json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names, s.namesJSON
}

// Start validates cfg and serves it on a fresh port of 127.0.0.1, like
// httptest.NewServer. Close it when done.
func Start(cfg Config) (*Server, error) {
	return Listen(cfg, "127.0.0.1:0")
}

// Listen is Start on a chosen address, for `make run` where another process
// needs to know the URL in advance. Tests should use Start: a fixed port
// makes parallel runs collide.
func Listen(cfg Config, addr string) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := NewServer(cfg)
	s.url = "http://" + ln.Addr().String()
	errLog := log.New(io.Discard, "", 0)
	if cfg.Logf != nil {
		errLog = log.New(logfWriter(cfg.Logf), "timtest: ", 0)
	}
	s.http = &http.Server{
		Handler: s,
		// Bounds a client that never finishes its headers; the real
		// backend gives up after 3 s, a stand-in can be more patient.
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          errLog,
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		// Serve returns http.ErrServerClosed after Close; any other
		// error ends a server nobody can restart, so it is only logged.
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("serve: %v", err)
		}
	}()
	return s, nil
}

// URL returns the base URL, e.g. "http://127.0.0.1:40123", to use as
// TIM_BASE_URL; it is empty for a server made by NewServer.
func (s *Server) URL() string { return s.url }

// Close stops listening and closes every connection, cancelling requests in
// flight. It is idempotent and a no-op for a server made by NewServer.
func (s *Server) Close() {
	if s.http == nil {
		return
	}
	s.closeOnce.Do(func() {
		_ = s.http.Close()
		<-s.served
	})
}

// SetKey replaces the signing key, modelling a key rotation in the console:
// from the next request on, UserSigs made with the old key get
// CodeSigMismatch.
func (s *Server) SetKey(key []byte) {
	k := append([]byte{}, key...)
	s.mu.Lock()
	s.key = k
	s.mu.Unlock()
}

// SetFaults replaces the fault configuration and reseeds the generator with
// f.Seed, so the faults from here on are reproducible on their own. An
// invalid f is refused and the old configuration kept.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.rng = newRand(f.Seed)
	s.mu.Unlock()
	return nil
}

// FailAccounts makes later calls on accounts (removing attributes or tags,
// in either family) report accounts in ErrorList with code (for example
// CodeNoSuchAccount) while the rest of the call succeeds; their attributes
// are not recorded as removed and their tags are not cleared. Code 0 makes
// the accounts succeed again.
func (s *Server) FailAccounts(code int, accounts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range accounts {
		if code == CodeOK {
			delete(s.failing, a)
		} else {
			s.failing[a] = code
		}
	}
}

// ServeHTTP answers one request as the real service would; see the package
// documentation and the Code* constants.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()

	rt, ok := routes[r.URL.Path]
	if !ok {
		s.httpError(w, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.httpError(w, http.StatusMethodNotAllowed)
		return
	}

	s.mu.Lock()
	s.perPath[rt.path].Requests++
	rd := s.redirect
	s.mu.Unlock()
	if rd.status != 0 {
		// Before the fault draw, like the routing above: a redirect
		// comes from whatever sits in front of the API, and taking no
		// draw keeps the faults of a seed the same with or without it.
		s.answerRedirect(w, rt, rd)
		return
	}

	s.mu.Lock()
	delay, fault := draw(s.rng, s.faults)
	s.mu.Unlock()
	if !sleep(r.Context(), delay) {
		return // the client gave up; there is no one to answer
	}
	if fault != FaultNone {
		s.injectFault(w, rt, fault)
		return
	}

	now := s.cfg.Now()
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if rej := authenticate(r.URL.Query(), s.cfg.SDKAppID, s.cfg.Identifier, key, now); rej != nil {
		s.answer(w, rt, outcome{now: now, rej: rej})
		return
	}

	s.mu.Lock()
	// Per path, so each family's API has its own window, as each is its
	// own API to Tencent.
	admitted := s.limiter.allow(rt.path, now, s.cfg.RateLimit)
	s.mu.Unlock()
	if !admitted {
		s.answer(w, rt, outcome{now: now, rateLimited: true,
			rej: &rejection{CodeRateLimited, "request frequency exceeds the limit"}})
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		s.answer(w, rt, outcome{now: now, rej: &rejection{CodeJSONParse, "request body unreadable or too large"}})
		return
	}
	switch rt.op {
	case OpRemoveAttr:
		s.answer(w, rt, s.removeAttr(body, now))
	case OpRemoveAllTags:
		s.answer(w, rt, s.removeAllTags(body, now))
	case OpGetAttr, OpGetTag:
		s.answer(w, rt, s.readBack(body, now))
	default:
		s.answer(w, rt, s.getAttrName(body, now))
	}
}

// injectFault carries out an injected fault and records it.
func (s *Server) injectFault(w http.ResponseWriter, rt route, fault FaultKind) {
	now := s.cfg.Now()
	switch fault {
	case FaultHTTP502:
		s.record(rt, outcome{now: now, status: http.StatusBadGateway, fault: fault})
		writeBadGateway(w)
	case FaultConnReset:
		// Recorded first: after the reset the client may already be
		// asking for Stats.
		s.record(rt, outcome{now: now, status: 0, fault: fault})
		if !resetConn(w) {
			// Not hijackable: a 502 is the nearest thing.
			writeBadGateway(w)
		}
	case FaultInternal:
		s.answer(w, rt, outcome{now: now, fault: fault, rej: &rejection{CodeInternal, "internal server error"}})
	default:
		s.answer(w, rt, outcome{now: now, fault: fault, rej: &rejection{CodeRateLimited, "request frequency exceeds the limit"}})
	}
}

// httpError answers a request that never reaches the API with a plain-text
// HTTP error, as Tencent's gateway does.
func (s *Server) httpError(w http.ResponseWriter, status int) {
	s.mu.Lock()
	s.stats.HTTPStatus[status]++
	s.mu.Unlock()
	http.Error(w, http.StatusText(status), status)
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// logfWriter adapts Config.Logf to the io.Writer that http.Server's
// ErrorLog needs.
type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", p)
	return len(p), nil
}
