package tim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// Defaults of a Client's zero fields.
const (
	// DefaultTimeout bounds one request. Tencent's backend gives up after
	// 3 s, so 5 s leaves room for the network without waiting forever.
	DefaultTimeout = 5 * time.Second
	// defaultMaxResponseBytes bounds how much of a response body is read;
	// real answers are a few hundred bytes.
	defaultMaxResponseBytes = 64 << 10
	// maxGetAttrBytes bounds an attribute read-back: 100 accounts with 10
	// attributes each come to about 110 KB.
	maxGetAttrBytes = 256 << 10
	// maxGetTagBytes bounds a tag read-back: 100 accounts with up to 100
	// tags of 50 bytes each come to about 0.5 MB.
	maxGetTagBytes = 1 << 20
)

// responseLimits is the body limit of the operations whose answers carry
// more than a status; the others take defaultMaxResponseBytes.
var responseLimits = map[Operation]int64{
	OpGetAttr: maxGetAttrBytes,
	OpGetTag:  maxGetTagBytes,
}

// MaxResponseBytes is the most of op's answer a Client reads, and so holds
// at once.
func MaxResponseBytes(op Operation) int64 {
	if limit, ok := responseLimits[op]; ok {
		return limit
	}
	return defaultMaxResponseBytes
}

// Credentials authenticate one request.
type Credentials struct {
	SDKAppID   uint64
	Identifier string
	UserSig    string
	// KeyVersion identifies the signing key the UserSig was made with, so
	// that a rejected signature leads to one re-read of the secret, not one
	// per failed request.
	KeyVersion string
}

// Signer supplies the credentials of each request.
type Signer interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// UserAttrs names one account and the attributes to remove from it.
type UserAttrs struct {
	Account string   `json:"To_Account"`
	Attrs   []string `json:"Attrs"`
}

// AccountError is one account the API reported failed in an ErrorList.
type AccountError struct {
	Account string `json:"To_Account"`
	Code    int    `json:"ErrorCode"`
}

// RemoveResult is the outcome of an accepted call removing attributes or
// tags. Every account it names was one of the call's.
type RemoveResult struct {
	// Failed lists the accounts the API reported failed; every account
	// of the call in neither Failed nor Absent succeeded.
	Failed []AccountError
	// Absent lists the accounts Tencent reported do not exist (70107):
	// there is nothing to erase, so they count as erased.
	Absent []string
}

// Client calls the Tencent Chat REST API. Create it once and share it: it is
// safe for concurrent use and keeps its connections alive.
type Client struct {
	// BaseURL is the scheme and host (and optional path prefix) of the API.
	BaseURL *url.URL
	// HTTPClient sends the requests; nil means a client with DefaultTimeout
	// and keep-alive connections (see NewHTTPClient). Its CheckRedirect is
	// ignored: redirects are never followed (see refuseRedirect).
	HTTPClient *http.Client
	// Signer supplies SDKAppID, admin identifier and UserSig.
	Signer Signer
	// random returns the per-request random number; nil means math/rand/v2.
	random func() uint32
	// maxResponseBytes bounds a response body; zero means the operation's
	// limit (responseLimits, else defaultMaxResponseBytes).
	maxResponseBytes int64
	// Family selects the paths of every call; zero means AllMemberPush.
	Family Family
}

// NewHTTPClient returns an HTTP client tuned for the API: a request timeout,
// enough idle connections per host that concurrent calls reuse them instead
// of opening a new TLS session each time, and no redirects followed.
func NewHTTPClient(timeout time.Duration, maxConns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: refuseRedirect}
}

// refuseRedirect makes an http.Client return a 3xx answer as it is instead
// of following it. Tencent never redirects, and following would either
// re-send the body of account IDs and the UserSig-bearing URL to whatever
// host the Location names (307, 308), or turn the POST into a GET (301,
// 302, 303) whose "OK" would prove nothing was erased.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

var defaultHTTPClient = NewHTTPClient(DefaultTimeout, 32)

// response is the common part of every answer, with the fields of each
// operation's answer; ErrorList is decoded when present. UserAttrs and
// UserTags keep no value: they decode to names and counts (readback.go).
type response struct {
	ActionStatus string            `json:"ActionStatus"`
	ErrorCode    int               `json:"ErrorCode"`
	ErrorInfo    string            `json:"ErrorInfo"`
	ErrorList    []AccountError    `json:"ErrorList"`
	AttrNames    map[string]string `json:"AttrNames"`
	UserAttrs    []readAttrs       `json:"UserAttrs"`
	UserTags     []readTags        `json:"UserTags"`
}

// RemoveAttrs removes the named attributes of up to 100 accounts in one call.
func (c *Client) RemoveAttrs(ctx context.Context, users []UserAttrs) (RemoveResult, error) {
	a, err := c.resolve(OpRemoveAttr)
	if err != nil {
		return RemoveResult{}, err
	}
	body, err := json.Marshal(struct {
		UserAttrs []UserAttrs `json:"UserAttrs"`
	}{users})
	if err != nil {
		return RemoveResult{}, fmt.Errorf("tim: encode %s request: %w", a.name, err)
	}
	resp, err := c.do(ctx, a, body)
	if err != nil {
		return RemoveResult{}, err
	}
	accounts := make([]string, len(users))
	for i, u := range users {
		accounts[i] = u.Account
	}
	return removeResult(a.name, accounts, resp.ErrorList)
}

// AttrNames returns the app's attribute names, in the order of their keys.
func (c *Client) AttrNames(ctx context.Context) ([]string, error) {
	a, err := c.resolve(OpGetAttrName)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, a, []byte("{}"))
	if err != nil {
		return nil, err
	}
	return sortedAttrNames(resp.AttrNames), nil
}

// api is one operation of the client's family: where to send it and the
// name its errors carry.
type api struct {
	path, name string
	// limit bounds the answer's body.
	limit int64
}

// resolve finds op in c.Family; an unknown family fails here, before the
// signer is asked or anything is sent.
func (c *Client) resolve(op Operation) (api, error) {
	path := c.Family.Path(op)
	if path == "" {
		return api{}, &familyError{Value: string(c.Family)}
	}
	return api{path: path, name: c.Family.apiName(op), limit: cmp.Or(c.maxResponseBytes, responseLimits[op], defaultMaxResponseBytes)}, nil
}

func (c *Client) do(ctx context.Context, a api, body []byte) (response, error) {
	op := a.name
	creds, err := c.Signer.Credentials(ctx)
	if err != nil {
		return response{}, &credentialsError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(a.path, creds), bytes.NewReader(body))
	if err != nil {
		return response{}, fmt.Errorf("tim: build %s request", op)
	}
	req.Header.Set("Content-Type", "application/json")

	httpClient := defaultHTTPClient
	if c.HTTPClient != nil {
		// A shallow copy with redirects refused, whatever the caller's
		// CheckRedirect says: it shares the Transport, so connections are
		// still pooled, and the caller's client is left as it was.
		hc := *c.HTTPClient
		hc.CheckRedirect = refuseRedirect
		httpClient = &hc
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return response{}, &transportError{Op: op, Err: stripURL(err)}
	}
	defer res.Body.Close()

	limit := a.limit
	raw, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return response{}, &transportError{Op: op, Err: stripURL(err)}
	}
	// Drain a little more so the connection can go back to the pool.
	_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
	if res.StatusCode >= 300 && res.StatusCode <= 399 {
		return response{}, &redirectError{Op: op, StatusCode: res.StatusCode}
	}
	if res.StatusCode != http.StatusOK {
		return response{}, &httpError{Op: op, StatusCode: res.StatusCode}
	}
	if int64(len(raw)) > limit {
		return response{}, &decodeError{Op: op, Reason: fmt.Sprintf("response larger than %d bytes", limit)}
	}
	resp, err := decodeResponse(op, raw)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.KeyVersion = creds.KeyVersion
	}
	return resp, err
}

// decodeResponse turns a 200 answer into a response or an *APIError.
func decodeResponse(op string, raw []byte) (response, error) {
	var resp response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return response{}, &decodeError{Op: op, Reason: "response is not the expected JSON"}
	}
	switch {
	case resp.ActionStatus == "OK" && resp.ErrorCode == 0:
		return resp, nil
	case resp.ErrorCode != 0:
		return response{}, &APIError{Op: op, Code: resp.ErrorCode, Info: resp.ErrorInfo}
	default:
		return response{}, &decodeError{Op: op, Reason: fmt.Sprintf("ActionStatus %q without an error code", erasure.Truncate(resp.ActionStatus, 16))}
	}
}

func (c *Client) endpoint(path string, creds Credentials) string {
	random := c.random
	if random == nil {
		random = rand.Uint32
	}
	q := url.Values{}
	q.Set("sdkappid", strconv.FormatUint(creds.SDKAppID, 10))
	q.Set("identifier", creds.Identifier)
	q.Set("usersig", creds.UserSig)
	q.Set("random", strconv.FormatUint(uint64(random()), 10))
	q.Set("contenttype", "json")
	u := *c.BaseURL
	u.Path += path
	u.RawQuery = q.Encode()
	return u.String()
}

// stripURL drops the request URL from a transport error: it carries the
// UserSig, which must never reach a log line.
func stripURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return errTimeout{err}
	}
	return err
}

type errTimeout struct{ error }

func (errTimeout) Timeout() bool   { return true }
func (e errTimeout) Unwrap() error { return e.error }
