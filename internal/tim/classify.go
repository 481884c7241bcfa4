package tim

import (
	"context"
	"errors"
)

// Class is what an error means for the caller: whether and how to retry.
type Class int

// The classes, from Tencent's documented codes (README, Tencent Chat facts).
const (
	// Unknown errors are not retried; the messages involved fail.
	Unknown Class = iota
	// Retryable errors (network, timeout, 5xx, 91000, 60008, 70169) are
	// retried with backoff.
	Retryable
	// RateLimited errors (60007, 60011, 60018, 60019, and HTTP 429) are
	// retried after a longer delay.
	RateLimited
	// SigExpired (70001) needs a new UserSig, then a retry.
	SigExpired
	// SignatureInvalid errors (70003, 70009, 70013, 70014, 70016, 70020)
	// need the secret re-read once; if that does not help, the
	// configuration is wrong.
	SignatureInvalid
	// Content errors (90001, 90018, 90033) reject what was sent; a call of
	// several accounts is split to find the offending ones.
	Content
	// Configuration errors (60006, 60010, 60016, 60020, 60021, 90009, and an
	// unreadable signing key) cannot be fixed by retrying in this invocation.
	Configuration
	// Cancelled means the invocation was cancelled; it is not the API's
	// fault and is not retried.
	Cancelled
)

var classNames = [...]string{
	Unknown:          "unknown",
	Retryable:        "retryable",
	RateLimited:      "rate_limited",
	SigExpired:       "usersig_expired",
	SignatureInvalid: "signature",
	Content:          "content",
	Configuration:    "configuration",
	Cancelled:        "cancelled",
}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Systemic tells whether the class fails every call alike, so that a batch
// failing only for it should make Lambda back off.
func (c Class) Systemic() bool { return c == SignatureInvalid || c == Configuration }

// codeClasses is the one table of Tencent error codes this function knows.
var codeClasses = map[int]Class{
	// im_remove_attr's own codes.
	90001: Content,       // JSON parse failed
	90009: Configuration, // the identifier is not an app admin
	90018: Content,       // too many accounts
	90033: Content,       // invalid attribute name
	91000: Retryable,     // internal error
	// Public codes.
	60007: RateLimited,
	60011: RateLimited,
	60018: RateLimited,
	60019: RateLimited,
	60008: Retryable, // timeout
	70169: Retryable, // timeout
	70001: SigExpired,
	70003: SignatureInvalid,
	70009: SignatureInvalid,
	70013: SignatureInvalid,
	70014: SignatureInvalid,
	70016: SignatureInvalid,
	70020: SignatureInvalid,
	60006: Configuration,
	60010: Configuration,
	60016: Configuration,
	60020: Configuration,
	60021: Configuration,
}

// ClassifyCode returns the class of a Tencent error code.
func ClassifyCode(code int) Class {
	return codeClasses[code]
}

// Classify returns the class of an error returned by a Client.
func Classify(err error) Class {
	if err == nil {
		return Unknown
	}
	if errors.Is(err, context.Canceled) {
		return Cancelled
	}
	var (
		apiErr   *APIError
		httpErr  *HTTPError
		redirErr *RedirectError
		tErr     *TransportError
		credErr  *CredentialsError
		decodErr *DecodeError
	)
	switch {
	case errors.As(err, &apiErr):
		return ClassifyCode(apiErr.Code)
	case errors.As(err, &redirErr):
		// Tencent never redirects: the base URL or a proxy is wrong, and
		// every call will be redirected alike.
		return Configuration
	case errors.As(err, &httpErr):
		if httpErr.StatusCode == 429 {
			// Too Many Requests from a gateway or proxy: wait like for
			// Tencent's own rate-limit codes.
			return RateLimited
		}
		if httpErr.StatusCode >= 500 {
			return Retryable
		}
		return Configuration
	case errors.As(err, &tErr):
		return Retryable
	case errors.As(err, &credErr):
		return Configuration
	case errors.As(err, &decodErr):
		// A garbled answer is most likely a proxy or a truncated response.
		return Retryable
	}
	return Unknown
}
