package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// Tencent's published check values (README, Tencent Chat facts).
const (
	vecAppID      = 1400000000
	vecKey        = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	vecIdentifier = "xiaojun"
	vecTime       = 1700000000
	vecExpire     = 15552000 * time.Second
	vecSig        = "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
)

func TestSignatureVector(t *testing.T) {
	got := Signature(vecAppID, vecIdentifier, []byte(vecKey), time.Unix(vecTime, 0), vecExpire)
	if got != vecSig {
		t.Fatalf("Signature = %q, want %q", got, vecSig)
	}
}

// decoded is the test's own view of a UserSig's JSON. Numbers are decoded as
// json.Number so the test can insist they are JSON numbers, not strings.
type decoded struct {
	Ver        string      `json:"TLS.ver"`
	Identifier string      `json:"TLS.identifier"`
	SDKAppID   json.Number `json:"TLS.sdkappid"`
	Expire     json.Number `json:"TLS.expire"`
	Time       json.Number `json:"TLS.time"`
	Sig        string      `json:"TLS.sig"`
}

// decode undoes Generate step by step without using package code, so a
// mistake in Generate cannot be mirrored by a mistake in the check.
func decode(t *testing.T, userSig string) (decoded, map[string]json.RawMessage) {
	t.Helper()
	if strings.ContainsAny(userSig, "+/=") {
		t.Fatalf("UserSig contains characters outside Tencent's alphabet: %q", userSig)
	}
	std := strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(userSig)
	z, err := base64.StdEncoding.DecodeString(std)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatalf("json: %v", err)
	}
	var d decoded
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("json: %v", err)
	}
	return d, raw
}

func TestGenerateRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		appID      uint64
		identifier string
		key        string
		issued     int64
		expire     time.Duration
	}{
		{"vector", vecAppID, vecIdentifier, vecKey, vecTime, vecExpire},
		{"admin one day", 1400000001, "administrator", "k", 1800000000, 24 * time.Hour},
		{"json-special identifier", 20000000, `a"b\c<d>&`, vecKey, 0, time.Second},
		{"max length identifier", 1, strings.Repeat("~", 32), "x", 1, 2 * time.Second},
		{"sub-second expire truncated", 1, "u", "x", 1, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us, err := Generate(tt.appID, tt.identifier, []byte(tt.key), time.Unix(tt.issued, 0), tt.expire)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			d, raw := decode(t, us)

			wantKeys := []string{"TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.expire", "TLS.time", "TLS.sig"}
			if len(raw) != len(wantKeys) {
				t.Errorf("JSON has %d fields, want %d: %v", len(raw), len(wantKeys), raw)
			}
			for _, k := range []string{"TLS.sdkappid", "TLS.expire", "TLS.time"} {
				if v := raw[k]; len(v) == 0 || v[0] == '"' {
					t.Errorf("%s = %s, want a JSON number", k, v)
				}
			}
			exp := int64(tt.expire / time.Second)
			if d.Ver != "2.0" || d.Identifier != tt.identifier ||
				d.SDKAppID.String() != fmt.Sprint(tt.appID) ||
				d.Time.String() != fmt.Sprint(tt.issued) ||
				d.Expire.String() != fmt.Sprint(exp) {
				t.Errorf("decoded %+v", d)
			}

			// Recompute the HMAC independently of Signature.
			content := fmt.Sprintf("TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n",
				tt.identifier, tt.appID, tt.issued, exp)
			mac := hmac.New(sha256.New, []byte(tt.key))
			mac.Write([]byte(content))
			if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); d.Sig != want {
				t.Errorf("TLS.sig = %q, want %q", d.Sig, want)
			}
			if tt.name == "vector" && d.Sig != vecSig {
				t.Errorf("TLS.sig = %q, want published %q", d.Sig, vecSig)
			}
		})
	}
}

func TestGenerateRejects(t *testing.T) {
	ok := struct {
		appID  uint64
		id     string
		key    []byte
		issued time.Time
		expire time.Duration
	}{vecAppID, vecIdentifier, []byte(vecKey), time.Unix(vecTime, 0), time.Hour}

	tests := []struct {
		name   string
		mutate func(appID *uint64, id *string, key *[]byte, issued *time.Time, expire *time.Duration)
		want   error
	}{
		{"zero appid", func(a *uint64, _ *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *a = 0 }, ErrNoSDKAppID},
		{"empty identifier", func(_ *uint64, i *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *i = "" }, ErrBadIdentifier},
		{"long identifier", func(_ *uint64, i *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *i = strings.Repeat("a", 33) }, ErrBadIdentifier},
		{"newline identifier", func(_ *uint64, i *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *i = "a\nTLS.sdkappid:1" }, ErrBadIdentifier},
		{"non-ascii identifier", func(_ *uint64, i *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *i = "josé" }, ErrBadIdentifier},
		{"DEL identifier", func(_ *uint64, i *string, _ *[]byte, _ *time.Time, _ *time.Duration) { *i = "a\x7f" }, ErrBadIdentifier},
		{"nil key", func(_ *uint64, _ *string, k *[]byte, _ *time.Time, _ *time.Duration) { *k = nil }, ErrNoKey},
		{"zero expire", func(_ *uint64, _ *string, _ *[]byte, _ *time.Time, e *time.Duration) { *e = 0 }, ErrBadExpire},
		{"sub-second expire", func(_ *uint64, _ *string, _ *[]byte, _ *time.Time, e *time.Duration) { *e = 999 * time.Millisecond }, ErrBadExpire},
		{"negative expire", func(_ *uint64, _ *string, _ *[]byte, _ *time.Time, e *time.Duration) { *e = -time.Hour }, ErrBadExpire},
		{"zero time", func(_ *uint64, _ *string, _ *[]byte, ts *time.Time, _ *time.Duration) { *ts = time.Time{} }, ErrBadTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, i, k, ts, e := ok.appID, ok.id, ok.key, ok.issued, ok.expire
			tt.mutate(&a, &i, &k, &ts, &e)
			us, err := Generate(a, i, k, ts, e)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Generate error = %v, want %v", err, tt.want)
			}
			if us != "" {
				t.Errorf("Generate returned a UserSig alongside an error")
			}
			if strings.Contains(err.Error(), vecKey) {
				t.Errorf("error leaks the key: %v", err)
			}
			var typed Error
			if !errors.As(err, &typed) {
				t.Errorf("error %T is not a usersig.Error", err)
			}
		})
	}
}
