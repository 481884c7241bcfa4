package timtest

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds on an incoming UserSig. Real ones are about 200 characters and
// inflate to about 200 bytes; the bounds only stop a decompression bomb or a
// huge query from costing memory.
const (
	maxUserSigLen   = 4096
	maxUserSigJSON  = 4096
	userSigVersion  = "2.0"
	contentTypeJSON = "json"
)

// rejection is a Tencent error answer: the code and a message that names the
// problem without echoing any value from the request.
type rejection struct {
	code int
	info string
}

// fromURLSafe undoes Tencent's base64 alphabet change ('+' -> '*',
// '/' -> '-', '=' -> '_').
var fromURLSafe = strings.NewReplacer("*", "+", "-", "/", "_", "=")

// sigDoc is the JSON inside a UserSig. Numbers are kept raw so that only
// JSON integers are accepted: a generator that emitted strings or floats
// would be a bug the stand-in should catch, not forgive.
type sigDoc struct {
	Ver        *string         `json:"TLS.ver"`
	Identifier *string         `json:"TLS.identifier"`
	SDKAppID   json.RawMessage `json:"TLS.sdkappid"`
	Expire     json.RawMessage `json:"TLS.expire"`
	Time       json.RawMessage `json:"TLS.time"`
	Sig        *string         `json:"TLS.sig"`
	UserBuf    *string         `json:"TLS.userbuf"`
}

// userSig is a decoded, structurally valid UserSig.
type userSig struct {
	identifier string
	sdkAppID   uint64
	time       int64
	expire     int64
	mac        []byte
	userBuf    *string
}

// errSig is the single error decodeUserSig returns: callers only need to
// know the UserSig is malformed, and the detail must not leak its content.
var errSig = errors.New("malformed UserSig")

// decodeUserSig parses s without trusting any part of it.
func decodeUserSig(s string) (userSig, error) {
	// The standard alphabet's '+', '/' and '=' never occur in a real
	// UserSig; accepting them would hide a generator that forgot to map.
	if s == "" || len(s) > maxUserSigLen || strings.ContainsAny(s, "+/=") {
		return userSig{}, errSig
	}
	z, err := base64.StdEncoding.DecodeString(fromURLSafe.Replace(s))
	if err != nil {
		return userSig{}, errSig
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return userSig{}, errSig
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxUserSigJSON+1))
	if err != nil || len(js) > maxUserSigJSON {
		return userSig{}, errSig
	}
	var d sigDoc
	if err := json.Unmarshal(js, &d); err != nil {
		return userSig{}, errSig
	}
	if d.Ver == nil || *d.Ver != userSigVersion || d.Identifier == nil || d.Sig == nil {
		return userSig{}, errSig
	}
	var u userSig
	u.identifier = *d.Identifier
	u.userBuf = d.UserBuf
	if u.sdkAppID, err = strconv.ParseUint(string(d.SDKAppID), 10, 64); err != nil {
		return userSig{}, errSig
	}
	if u.time, err = strconv.ParseInt(string(d.Time), 10, 64); err != nil || u.time < 0 {
		return userSig{}, errSig
	}
	if u.expire, err = strconv.ParseInt(string(d.Expire), 10, 64); err != nil || u.expire < 0 {
		return userSig{}, errSig
	}
	if u.mac, err = base64.StdEncoding.DecodeString(*d.Sig); err != nil || len(u.mac) != sha256.Size {
		return userSig{}, errSig
	}
	return u, nil
}

// verify reports whether u's HMAC was made with key. The content layout is
// written out here rather than shared with package usersig so that the two
// implementations check each other.
func (u userSig) verify(key []byte) bool {
	var b strings.Builder
	b.WriteString("TLS.identifier:" + u.identifier + "\n")
	b.WriteString("TLS.sdkappid:" + strconv.FormatUint(u.sdkAppID, 10) + "\n")
	b.WriteString("TLS.time:" + strconv.FormatInt(u.time, 10) + "\n")
	b.WriteString("TLS.expire:" + strconv.FormatInt(u.expire, 10) + "\n")
	if u.userBuf != nil {
		// TLSSigAPIv2's optional user buffer is signed as its base64 text.
		b.WriteString("TLS.userbuf:" + *u.userBuf + "\n")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(b.String())) // hash.Hash.Write never fails
	return hmac.Equal(mac.Sum(nil), u.mac)
}

// expired reports whether u is past TLS.time + TLS.expire at now. The last
// second is still valid, as in Tencent's reference verifier.
func (u userSig) expired(now time.Time) bool {
	if u.expire > math.MaxInt64-u.time {
		return false // overflows: valid for longer than time.Time can say
	}
	return now.Unix() > u.time+u.expire
}

// authenticate checks the query of a request the way the real service does,
// in this order: URL parameters (60002), app (70020), UserSig format (70003),
// app and identifier match (70014, 70013), HMAC (70009), expiry (70001),
// admin rights (90009). The order only matters when several are wrong; it
// checks cheap, request-only facts before cryptography.
func authenticate(q url.Values, appID uint64, admin string, key []byte, now time.Time) *rejection {
	for _, p := range []string{"sdkappid", "identifier", "usersig", "random", "contenttype"} {
		if q.Get(p) == "" {
			return &rejection{CodeBadURL, "missing query parameter " + p}
		}
	}
	qApp, err := strconv.ParseUint(q.Get("sdkappid"), 10, 64)
	if err != nil {
		return &rejection{CodeBadURL, "sdkappid is not an unsigned integer"}
	}
	if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
		return &rejection{CodeBadURL, "random is not a 32-bit unsigned integer"}
	}
	if q.Get("contenttype") != contentTypeJSON {
		return &rejection{CodeBadURL, "contenttype must be json"}
	}
	if qApp != appID {
		return &rejection{CodeUnknownApp, "sdkappid does not exist"}
	}
	u, err := decodeUserSig(q.Get("usersig"))
	if err != nil {
		return &rejection{CodeSigMalformed, "usersig cannot be decoded"}
	}
	if u.sdkAppID != qApp {
		return &rejection{CodeSDKAppIDMismatch, "sdkappid does not match the usersig"}
	}
	if u.identifier != q.Get("identifier") {
		return &rejection{CodeIdentifierMismatch, "identifier does not match the usersig"}
	}
	if !u.verify(key) {
		return &rejection{CodeSigMismatch, "usersig verification failed"}
	}
	if u.expired(now) {
		return &rejection{CodeSigExpired, "usersig expired"}
	}
	if u.identifier != admin {
		return &rejection{CodeNeedsAdmin, "identifier is not the app admin"}
	}
	return nil
}
