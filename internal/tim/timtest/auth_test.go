package timtest

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// wrap encodes doc the way a UserSig is encoded, without package usersig, so
// documents the generator would never produce can be tried.
func wrap(doc string) string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write([]byte(doc))
	_ = zw.Close()
	return strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString(z.Bytes()))
}

// mac is the TLS.sig for the given content under testKey.
func mac(content string) string {
	m := hmac.New(sha256.New, []byte(testKey))
	m.Write([]byte(content))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestDecodeUserSig(t *testing.T) {
	goodSig := mac("TLS.identifier:administrator\nTLS.sdkappid:1400000000\nTLS.time:1800000000\nTLS.expire:3600\n")
	bufSig := mac("TLS.identifier:administrator\nTLS.sdkappid:1400000000\nTLS.time:1800000000\nTLS.expire:3600\nTLS.userbuf:YWJj\n")
	doc := func(fields string) string { return wrap("{" + fields + "}") }
	const base = `"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":1400000000,"TLS.time":1800000000,"TLS.expire":3600`

	tests := []struct {
		name     string
		usersig  string
		wantOK   bool // decodes
		verifies bool // HMAC checks out with testKey
	}{
		{"hand-made valid", doc(base + `,"TLS.sig":"` + goodSig + `"`), true, true},
		{"fields reordered", doc(`"TLS.sig":"` + goodSig + `",` + base), true, true},
		{"with userbuf", doc(base + `,"TLS.userbuf":"YWJj","TLS.sig":"` + bufSig + `"`), true, true},
		{"userbuf not signed", doc(base + `,"TLS.userbuf":"YWJj","TLS.sig":"` + goodSig + `"`), true, false},
		{"wrong version", doc(strings.Replace(base, "2.0", "1.0", 1) + `,"TLS.sig":"` + goodSig + `"`), false, false},
		{"appid as string", doc(strings.Replace(base, `1400000000`, `"1400000000"`, 1) + `,"TLS.sig":"` + goodSig + `"`), false, false},
		{"time as float", doc(strings.Replace(base, `1800000000`, `1.8e9`, 1) + `,"TLS.sig":"` + goodSig + `"`), false, false},
		{"negative expire", doc(strings.Replace(base, `3600`, `-1`, 1) + `,"TLS.sig":"` + goodSig + `"`), false, false},
		{"missing sig", doc(base), false, false},
		{"missing time", doc(`"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":1400000000,"TLS.expire":3600,"TLS.sig":"` + goodSig + `"`), false, false},
		{"short sig", doc(base + `,"TLS.sig":"AAAA"`), false, false},
		{"not JSON", wrap("TLS.ver=2.0"), false, false},
		{"JSON array", wrap("[]"), false, false},
		{"decompression bomb", wrap(`{"pad":"` + strings.Repeat("x", 1<<20) + `"}`), false, false},
		{"not zlib", strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString([]byte("hello"))), false, false},
		{"standard alphabet", strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(doc(base + `,"TLS.sig":"` + goodSig + `"`)), false, false},
		{"empty", "", false, false},
		{"too long", strings.Repeat("A", maxUserSigLen+4), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "standard alphabet" && !strings.ContainsAny(tt.usersig, "+/=") {
				t.Skip("this document happens to need no mapped characters")
			}
			u, err := decodeUserSig(tt.usersig)
			if (err == nil) != tt.wantOK {
				t.Fatalf("decode error = %v, want ok=%v", err, tt.wantOK)
			}
			if err != nil {
				return
			}
			if u.identifier != testAdmin || u.sdkAppID != testAppID || u.time != 1800000000 || u.expire != 3600 {
				t.Errorf("decoded %+v", u)
			}
			if got := u.verify([]byte(testKey)); got != tt.verifies {
				t.Errorf("verify = %v, want %v", got, tt.verifies)
			}
		})
	}
}

func TestExpiredOverflow(t *testing.T) {
	u := userSig{time: 1 << 62, expire: 1 << 62}
	if u.expired(time.Unix(1<<40, 0)) {
		t.Errorf("an overflowing validity counted as expired")
	}
}

// FuzzDecodeUserSig checks that no UserSig, however mangled, panics the
// verifier or decodes to something inconsistent.
func FuzzDecodeUserSig(f *testing.F) {
	f.Add(wrap(`{"TLS.ver":"2.0","TLS.identifier":"a","TLS.sdkappid":1,"TLS.time":1,"TLS.expire":1,"TLS.sig":"` + mac("") + `"}`))
	f.Add("eJyrVkrOz1WyUkpKLFGqBQAdJgRZ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := decodeUserSig(s)
		if err != nil {
			return
		}
		if u.time < 0 || u.expire < 0 || len(u.mac) != sha256.Size {
			t.Errorf("decoded an invalid UserSig: %+v", u)
		}
		_ = u.verify(nil)
		_ = u.expired(time.Now())
	})
}

// FuzzRemoveAttr checks that no body panics the handler or is half applied.
func FuzzRemoveAttr(f *testing.F) {
	f.Add([]byte(`{"UserAttrs":[{"To_Account":"u1","Attrs":["sex"]}]}`))
	f.Add([]byte(`{"UserAttrs":[{"To_Account":"u1","Attrs":["sex"]},{"To_Account":"u2","Attrs":["x"]}]}`))
	f.Add([]byte(`{"UserAttrs":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := NewServer(Config{Key: []byte(testKey)})
		o := s.removeAttr(body, epoch)
		if o.rej == nil && (len(o.removals) == 0 || o.accounts > MaxAccountsPerCall) {
			t.Errorf("accepted %q with %d removals", body, len(o.removals))
		}
		for _, r := range o.removals {
			if o.rej == nil && (!validAccount(r.account) || len(r.attrs) == 0) {
				t.Errorf("accepted invalid entry %+v", r)
			}
		}
	})
}
