package timtest

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"time"
)

// Defaults applied by [NewServer] to zero Config fields.
const (
	// DefaultSDKAppID is the SDKAppID of Tencent's published UserSig check
	// vector, so sample events and docs can share one value.
	DefaultSDKAppID = 1400000000

	// DefaultIdentifier matches the default of TIM_IDENTIFIER (README, Configuration).
	DefaultIdentifier = "administrator"
)

// DefaultAttrNames are the attribute names registered when Config.AttrNames
// is nil. Sample events and `make run` use them.
var DefaultAttrNames = []string{"sex", "city", "country", "level", "interest"}

// Config describes the app the stand-in pretends to host and how it
// misbehaves. The zero value of each field is usable except Key.
type Config struct {
	// SDKAppID is the only app that exists; zero means DefaultSDKAppID.
	SDKAppID uint64

	// Identifier is the app admin; zero means DefaultIdentifier. A valid
	// UserSig for any other identifier is answered with CodeNeedsAdmin.
	Identifier string

	// Key is the signing key UserSigs are verified with, used as the bytes
	// given (see usersig.Signature). SetKey replaces it at run time.
	Key []byte

	// AttrNames are the registered attribute names. Nil means
	// DefaultAttrNames; an empty non-nil slice models an app with none.
	AttrNames []string

	// RateLimit is the number of calls per second admitted per API path,
	// as a sliding one-second window; zero means unlimited. Calls over it
	// are answered with CodeRateLimited and do not count toward the window,
	// so a client that backs off gets through.
	RateLimit int

	// Faults configures fault injection; SetFaults replaces it at run time.
	Faults Faults

	// Now returns the current time for UserSig expiry, the rate window and
	// the call log; nil means time.Now. Latency is always real time.
	Now func() time.Time

	// Logf, if set, receives one line per rejected or faulted request and
	// the HTTP server's own errors. Lines never contain a UserSig, a key or
	// an account. Nil means silent, because tests capture output.
	Logf func(format string, args ...any)
}

// Faults configures fault injection. Probabilities are per request and
// mutually exclusive: one uniform draw picks at most one fault, trying them
// in field order, so each happens with exactly its probability as long as
// they sum to at most 1. Faults apply to every API path after routing and
// before authentication, as a gateway or overloaded backend would.
//
// Draws come from a generator seeded with Seed and always consume the same
// amount of randomness per request, so a given seed and request order
// reproduce the same faults and latencies whatever the probabilities are.
type Faults struct {
	// Seed seeds the generator; SetFaults reseeds it.
	Seed int64

	// HTTP502 is the probability of an HTTP 502 with an HTML body, as
	// Tencent's gateway answers when the backend is unreachable.
	HTTP502 float64

	// ConnReset is the probability of closing the connection with a TCP
	// reset and no answer at all.
	ConnReset float64

	// Internal91000 is the probability of a CodeInternal answer.
	Internal91000 float64

	// RateLimited60018 is the probability of a CodeRateLimited answer
	// regardless of Config.RateLimit.
	RateLimited60018 float64

	// Latency is added to every API request before it is handled.
	Latency time.Duration

	// LatencyJitter is the upper bound of a uniform random extra latency.
	LatencyJitter time.Duration
}

// ConfigError reports an unusable Config or Faults field.
type ConfigError struct {
	// Field names the offending field, e.g. "AttrNames[2]".
	Field string
	// Reason says what is wrong with it, without echoing secrets.
	Reason string
}

// Error implements the error interface.
func (e *ConfigError) Error() string {
	return "timtest: " + e.Field + ": " + e.Reason
}

// Validate reports the first field of c that the real service could not
// have (more than 10 attribute names, an empty key, ...). [Start] and
// [Listen] call it; [NewServer] does not, so a handler can deliberately
// model an app the real service would not allow.
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.Key) == 0 {
		return &ConfigError{"Key", "is empty"}
	}
	if !validAccount(c.Identifier) {
		return &ConfigError{"Identifier", "must be 1-32 bytes of printable ASCII"}
	}
	if len(c.AttrNames) > MaxAttrNames {
		return &ConfigError{"AttrNames", "has more than 10 names"}
	}
	seen := make(map[string]bool, len(c.AttrNames))
	for i, n := range c.AttrNames {
		field := "AttrNames[" + strconv.Itoa(i) + "]"
		switch {
		case n == "" || len(n) > MaxAttrNameLen:
			return &ConfigError{field, "must be 1-50 bytes"}
		case seen[n]:
			return &ConfigError{field, "is a duplicate"}
		}
		seen[n] = true
	}
	if c.RateLimit < 0 {
		return &ConfigError{"RateLimit", "is negative"}
	}
	return c.Faults.Validate()
}

// Validate reports the first field of f that is out of range: a probability
// outside [0, 1] or NaN, probabilities summing past 1, or a negative latency.
func (f Faults) Validate() error {
	sum := 0.0
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"Faults.HTTP502", f.HTTP502},
		{"Faults.ConnReset", f.ConnReset},
		{"Faults.Internal91000", f.Internal91000},
		{"Faults.RateLimited60018", f.RateLimited60018},
	} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 1 {
			return &ConfigError{p.name, "must be a probability in [0, 1]"}
		}
		sum += p.v
	}
	if sum > 1+1e-9 {
		return &ConfigError{"Faults", "probabilities sum to more than 1"}
	}
	if f.Latency < 0 {
		return &ConfigError{"Faults.Latency", "is negative"}
	}
	if f.LatencyJitter < 0 {
		return &ConfigError{"Faults.LatencyJitter", "is negative"}
	}
	return nil
}

// withDefaults returns c with zero fields defaulted and slices copied, so
// later changes by the caller cannot reach a running server.
func (c Config) withDefaults() Config {
	if c.SDKAppID == 0 {
		c.SDKAppID = DefaultSDKAppID
	}
	if c.Identifier == "" {
		c.Identifier = DefaultIdentifier
	}
	if c.AttrNames == nil {
		c.AttrNames = DefaultAttrNames
	}
	c.AttrNames = append([]string{}, c.AttrNames...)
	c.Key = append([]byte{}, c.Key...)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validAccount reports whether s is a Tencent UserID: 1 to 32 bytes, each
// printable ASCII (0x20-0x7E).
func validAccount(s string) bool {
	if len(s) == 0 || len(s) > MaxAccountLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// NewKey returns a fresh random signing key, 64 hex digits like the keys
// Tencent's console issues. A key made per run is never written down, and a
// leak check can search output for it without false hits.
func NewKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return []byte(hex.EncodeToString(b))
}
