package tim

import (
	"context"
	"errors"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// codeClasses is the table of Tencent error codes that fail a call or an
// account. 70107 (the account does not exist) is the one other code the
// function knows, and it is no failure: ErrorList reading counts such an
// account as erased (errorlist.go).
var codeClasses = map[int]erasure.Class{
	// The push APIs' own codes, the same in both families.
	90001: erasure.Content,       // JSON parse failed
	90009: erasure.Configuration, // the identifier is not an app admin
	90018: erasure.Content,       // too many accounts
	90033: erasure.Content,       // invalid attribute name
	91000: erasure.Retryable,     // internal error
	// Public codes.
	60007: erasure.RateLimited,
	60011: erasure.RateLimited,
	60018: erasure.RateLimited,
	60019: erasure.RateLimited,
	60008: erasure.Retryable, // timeout
	70169: erasure.Retryable, // timeout
	70001: erasure.SigExpired,
	70003: erasure.Signature,
	70009: erasure.Signature,
	70013: erasure.Signature,
	70014: erasure.Signature,
	70016: erasure.Signature,
	70020: erasure.Signature,
	60006: erasure.Configuration,
	60010: erasure.Configuration,
	60016: erasure.Configuration,
	60020: erasure.Configuration,
	60021: erasure.Configuration,
}

// ClassifyCode returns the class of a Tencent error code.
func ClassifyCode(code int) erasure.Class {
	if class, ok := codeClasses[code]; ok {
		return class
	}
	return erasure.Unknown
}

// Classify returns the class of an error returned by a Client.
func Classify(err error) erasure.Class {
	if err == nil {
		return erasure.Unknown
	}
	if errors.Is(err, context.Canceled) {
		return erasure.Cancelled
	}
	var (
		apiErr   *APIError
		httpErr  *httpError
		redirErr *redirectError
		tErr     *transportError
		credErr  *credentialsError
		decodErr *decodeError
		reqErr   *requestError
		famErr   *familyError
	)
	switch {
	case errors.As(err, &apiErr):
		return ClassifyCode(apiErr.Code)
	case errors.As(err, &redirErr):
		// Tencent never redirects: the base URL or a proxy is wrong, and
		// every call will be redirected alike.
		return erasure.Configuration
	case errors.As(err, &httpErr):
		if httpErr.StatusCode == 429 {
			// Too Many Requests from a gateway or proxy: wait like for
			// Tencent's own rate-limit codes.
			return erasure.RateLimited
		}
		if httpErr.StatusCode >= 500 {
			return erasure.Retryable
		}
		return erasure.Configuration
	case errors.As(err, &tErr):
		return erasure.Retryable
	case errors.As(err, &credErr):
		return erasure.Configuration
	case errors.As(err, &decodErr):
		// A garbled answer is most likely a proxy or a truncated response.
		return erasure.Retryable
	case errors.As(err, &reqErr):
		// What Tencent would have answered with 90001 or 90018: a call
		// of several accounts can be split.
		return erasure.Content
	case errors.As(err, &famErr):
		return erasure.Configuration
	}
	return erasure.Unknown
}
