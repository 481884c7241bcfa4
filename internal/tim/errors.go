package tim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// APIError is an answer with ActionStatus FAIL and a Tencent error code.
//
// Error() names the operation and the code only: ErrorInfo may echo an
// account ID, so it is kept in Info for debugging and never formatted.
type APIError struct {
	Op   string
	Code int
	Info string
	// KeyVersion is Credentials.KeyVersion of the rejected request, so a
	// signature error can name the key that failed.
	KeyVersion string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("tim: %s: error code %d (%s)", e.Op, e.Code, Classify(e))
}

// httpError is an answer with an HTTP status other than 200.
type httpError struct {
	Op         string
	StatusCode int
}

func (e *httpError) Error() string {
	return fmt.Sprintf("tim: %s: HTTP status %d", e.Op, e.StatusCode)
}

// redirectError is an answer with a 3xx HTTP status. Tencent never
// redirects, so it comes from a wrong base URL or a proxy; the redirect is
// never followed (see Client.HTTPClient) and its body never decoded. It
// holds no Location and no URL: both may carry the UserSig.
type redirectError struct {
	Op         string
	StatusCode int
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("tim: %s: HTTP status %d, a redirect, not followed", e.Op, e.StatusCode)
}

// transportError is a failure to get an answer at all: connection refused
// or reset, timeout, cancelled context. Err never carries the request URL.
type transportError struct {
	Op  string
	Err error
}

func (e *transportError) Error() string { return fmt.Sprintf("tim: %s: %v", e.Op, e.Err) }

// Unwrap returns the underlying network error.
func (e *transportError) Unwrap() error { return e.Err }

// decodeError is a 200 answer that is not the JSON the API documents, or
// whose ErrorList contradicts the call (see removeResult).
type decodeError struct {
	Op     string
	Reason string
}

func (e *decodeError) Error() string { return fmt.Sprintf("tim: %s: %s", e.Op, e.Reason) }

// requestError is a call the Client refused to send because the API would
// reject what it carries, such as too many accounts. Nothing was sent.
type requestError struct {
	Op     string
	Reason string
}

func (e *requestError) Error() string { return fmt.Sprintf("tim: %s: not sent: %s", e.Op, e.Reason) }

// credentialsError is a failure to produce the request's credentials,
// usually because the signing key could not be read.
type credentialsError struct {
	Err error
}

func (e *credentialsError) Error() string { return fmt.Sprintf("tim: credentials: %v", e.Err) }

// Unwrap returns the cause.
func (e *credentialsError) Unwrap() error { return e.Err }

// sortedAttrNames orders im_get_attr_name's {"0":"sex","1":"city"} by key.
func sortedAttrNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// A total order, so the result does not depend on map iteration: numeric
	// keys first, by value (cmp.Compare, not a-b, which can overflow), then
	// the others as strings.
	slices.SortFunc(keys, func(a, b string) int {
		ai, aerr := strconv.Atoi(a)
		bi, berr := strconv.Atoi(b)
		switch {
		case aerr == nil && berr == nil:
			if c := cmp.Compare(ai, bi); c != 0 {
				return c
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		}
		return strings.Compare(a, b)
	})
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		if v := m[k]; v != "" {
			names = append(names, v)
		}
	}
	return names
}
