package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// version is the TLSSigAPI wire-format version this package speaks.
const version = "2.0"

// urlSafe maps the standard base64 alphabet to Tencent's variant. Tencent
// chose '*', '-' and '_' so a UserSig can sit in a query string unescaped.
var urlSafe = strings.NewReplacer("+", "*", "/", "-", "=", "_")

// zwriters recycles zlib writers. A fresh writer allocates about 800 KB of
// compressor state, which dwarfs everything else Generate does; tests and
// benchmarks that sign per request would otherwise be dominated by it.
var zwriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

// document is the JSON wrapped inside a UserSig. Field order follows
// Tencent's reference implementations; the verifier parses JSON so the order
// does not matter to it, but matching it keeps output comparable by eye.
type document struct {
	Ver        string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   uint64 `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	Sig        string `json:"TLS.sig"`
}

// Signature returns the standard-base64 HMAC-SHA256 that a UserSig carries as
// TLS.sig. It is exported so tests and tools can check it against Tencent's
// published vector; it does not validate its inputs, so production code
// should call [Generate]. The key is used as given: Tencent's console shows
// it as hex, but the reference implementations sign with those ASCII bytes,
// not with the decoded ones. Issue time and validity are truncated to whole
// seconds, as the wire format requires.
func Signature(sdkAppID uint64, identifier string, key []byte, issued time.Time, expire time.Duration) string {
	return signature(sdkAppID, identifier, key, issued.Unix(), int64(expire/time.Second))
}

func signature(sdkAppID uint64, identifier string, key []byte, t, exp int64) string {
	// Built with a fixed layout rather than fmt so the exact bytes signed are
	// visible in one place.
	var b strings.Builder
	b.WriteString("TLS.identifier:")
	b.WriteString(identifier)
	b.WriteString("\nTLS.sdkappid:")
	b.WriteString(strconv.FormatUint(sdkAppID, 10))
	b.WriteString("\nTLS.time:")
	b.WriteString(strconv.FormatInt(t, 10))
	b.WriteString("\nTLS.expire:")
	b.WriteString(strconv.FormatInt(exp, 10))
	b.WriteString("\n")

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(b.String())) // hash.Hash.Write never fails
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Generate returns a UserSig for identifier in app sdkAppID, valid for expire
// from issued. It fails only on unusable inputs (see the Err* values); the
// returned error never contains the key.
func Generate(sdkAppID uint64, identifier string, key []byte, issued time.Time, expire time.Duration) (string, error) {
	if err := validate(sdkAppID, identifier, key, issued, expire); err != nil {
		return "", err
	}
	t, exp := issued.Unix(), int64(expire/time.Second)
	doc := document{
		Ver:        version,
		Identifier: identifier,
		SDKAppID:   sdkAppID,
		Expire:     exp,
		Time:       t,
		Sig:        signature(sdkAppID, identifier, key, t, exp),
	}

	// HTML escaping is off to match the reference implementations byte for
	// byte; it would not change what a JSON parser reads.
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		// Unreachable for this fixed struct of strings and integers; kept
		// so a future field cannot turn into a silent empty UserSig.
		return "", err
	}

	var z bytes.Buffer
	zw, ok := zwriters.Get().(*zlib.Writer)
	if !ok {
		zw = zlib.NewWriter(nil)
	}
	defer zwriters.Put(zw)
	zw.Reset(&z)
	// Writes to a bytes.Buffer cannot fail; the errors are still checked for
	// the same future-proofing reason. The encoder's trailing newline is not
	// part of the document.
	if _, err := zw.Write(bytes.TrimSuffix(js.Bytes(), []byte("\n"))); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return urlSafe.Replace(base64.StdEncoding.EncodeToString(z.Bytes())), nil
}

func validate(sdkAppID uint64, identifier string, key []byte, issued time.Time, expire time.Duration) error {
	switch {
	case sdkAppID == 0:
		return ErrNoSDKAppID
	case erasure.ValidAccount(identifier) != nil:
		return ErrBadIdentifier
	case len(key) == 0:
		return ErrNoKey
	case expire < time.Second:
		return ErrBadExpire
	case issued.Unix() < 0:
		return ErrBadTime
	}
	return nil
}
