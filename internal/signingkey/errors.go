package signingkey

import (
	"errors"
	"strconv"
)

// Operations named in Error.Op.
const (
	OpConfig = "config" // building the client or Provider
	OpRead   = "read"   // calling GetSecretValue
	OpParse  = "parse"  // interpreting the secret value
)

// ErrNoSecretString means the secret has no SecretString, e.g. it was stored
// as SecretBinary. The key must be stored as text.
var ErrNoSecretString = errors.New("secret has no SecretString (binary secrets are not supported)")

// ErrNotConfigured means a Provider was used without a Client or SecretID.
var ErrNotConfigured = errors.New("provider needs a Client and a SecretID")

// Error is returned for every failure to obtain the key. All of them are
// systemic (no message can be processed without a key), which is why one
// type covers them: callers classify with errors.As and still reach the
// cause (e.g. *types.ResourceNotFoundException, *ParseError) via Unwrap.
//
// The message names the secret id, which is not secret, and the cause; it
// never contains the secret value.
type Error struct {
	SecretID string // ARN or name that was read
	Op       string // OpConfig, OpRead or OpParse
	Err      error  // cause; never carries key material
}

// Error implements error.
func (e *Error) Error() string {
	msg := "signingkey: " + e.Op + " secret " + strconv.Quote(e.SecretID)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ParseError says why a secret value is not a usable key. It deliberately
// carries no part of the value, not even the offending character, because a
// malformed key is still (mostly) the key.
type ParseError struct {
	Field  string // JSON field at fault ("key", "sdkAppId", ...), "" for the value as a whole
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Field == "" {
		return "invalid secret value: " + e.Reason
	}
	return "invalid secret value: " + e.Field + ": " + e.Reason
}
