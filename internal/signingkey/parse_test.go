package signingkey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/signingkey"
)

// secret is the key material used throughout the tests; leaks are detected by
// looking for any 4-byte window of it.
const secret = "Q7zX9wVbK3yM4t"

func assertNoLeak(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{secret}
	}
	for _, sec := range secrets {
		for i := 0; i+4 <= len(sec); i++ {
			if strings.Contains(s, sec[i:i+4]) {
				t.Fatalf("%s leaks part of the secret (%q): %s", what, sec[i:i+4], s)
			}
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      signingkey.Key
		wantField string // set for errors
		wantErr   bool
	}{
		{name: "bare", in: secret, want: signingkey.Key{Secret: []byte(secret)}},
		{name: "bare with surrounding whitespace", in: " \t" + secret + "\r\n", want: signingkey.Key{Secret: []byte(secret)}},
		{name: "json full", in: `{"key":"` + secret + `","sdkAppId":1400000000,"identifier":"administrator","auditKey":"audit"}`,
			want: signingkey.Key{Secret: []byte(secret), SDKAppID: 1400000000, Identifier: "administrator", AuditKey: []byte("audit")}},
		{name: "json key only", in: `{"key":"` + secret + `"}`, want: signingkey.Key{Secret: []byte(secret)}},
		{name: "json appId as numeric string", in: `{"key":"` + secret + `","sdkAppId":" 1400000001 "}`,
			want: signingkey.Key{Secret: []byte(secret), SDKAppID: 1400000001}},
		{name: "json nulls are absent", in: `{"key":"` + secret + `","sdkAppId":null,"identifier":null,"auditKey":null}`,
			want: signingkey.Key{Secret: []byte(secret)}},
		{name: "json unknown fields ignored", in: `{"note":{"a":[1,2]},"key":"` + secret + `","extra":true}`,
			want: signingkey.Key{Secret: []byte(secret)}},
		{name: "json with whitespace", in: "\n  {\n \"key\" : \" " + secret + "\\n\" }\n", want: signingkey.Key{Secret: []byte(secret)}},
		{name: "json escapes", in: `{"key":"\u0051` + secret[1:] + `"}`, want: signingkey.Key{Secret: []byte(secret)}},

		{name: "empty", in: "", wantErr: true},
		{name: "whitespace only", in: " \n\t ", wantErr: true},
		{name: "json missing key", in: `{"sdkAppId":1400000000,"identifier":"` + secret + `"}`, wantField: "key", wantErr: true},
		{name: "json empty key", in: `{"key":""}`, wantField: "key", wantErr: true},
		{name: "json blank key", in: `{"key":"   "}`, wantField: "key", wantErr: true},
		{name: "json null key", in: `{"key":null}`, wantField: "key", wantErr: true},
		{name: "json key not a string", in: `{"key":12345678901234}`, wantField: "key", wantErr: true},
		{name: "malformed json", in: `{"key":"` + secret + `"`, wantErr: true},
		{name: "malformed json, secret first", in: `{` + secret + `}`, wantErr: true},
		{name: "trailing garbage", in: `{"key":"x"} ` + secret, wantErr: true},
		{name: "appId negative", in: `{"key":"` + secret + `","sdkAppId":-1}`, wantField: "sdkAppId", wantErr: true},
		{name: "appId fractional", in: `{"key":"` + secret + `","sdkAppId":1.4e9}`, wantField: "sdkAppId", wantErr: true},
		{name: "appId zero", in: `{"key":"` + secret + `","sdkAppId":0}`, wantField: "sdkAppId", wantErr: true},
		{name: "appId not numeric", in: `{"key":"` + secret + `","sdkAppId":"` + secret + `"}`, wantField: "sdkAppId", wantErr: true},
		{name: "appId overflow", in: `{"key":"` + secret + `","sdkAppId":99999999999999999999}`, wantField: "sdkAppId", wantErr: true},
		{name: "appId bool", in: `{"key":"` + secret + `","sdkAppId":true}`, wantField: "sdkAppId", wantErr: true},
		{name: "identifier too long", in: `{"key":"k","identifier":"` + strings.Repeat("a", 33) + `"}`, wantField: "identifier", wantErr: true},
		{name: "identifier not printable", in: `{"key":"k","identifier":"adm\u00e9"}`, wantField: "identifier", wantErr: true},
		{name: "identifier not a string", in: `{"key":"k","identifier":7}`, wantField: "identifier", wantErr: true},
		{name: "auditKey not a string", in: `{"key":"k","auditKey":{"v":"` + secret + `"}}`, wantField: "auditKey", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signingkey.Parse(tt.in)
			if tt.wantErr {
				var pe *signingkey.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse error = %v (%T), want *ParseError", err, err)
				}
				if pe.Field != tt.wantField {
					t.Errorf("Field = %q, want %q", pe.Field, tt.wantField)
				}
				assertNoLeak(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if string(got.Secret) != string(tt.want.Secret) || got.SDKAppID != tt.want.SDKAppID ||
				got.Identifier != tt.want.Identifier || string(got.AuditKey) != string(tt.want.AuditKey) {
				t.Errorf("Parse = {%q %d %q %q}, want {%q %d %q %q}",
					got.Secret, got.SDKAppID, got.Identifier, got.AuditKey,
					tt.want.Secret, tt.want.SDKAppID, tt.want.Identifier, tt.want.AuditKey)
			}
			if (got.AuditKey == nil) != (tt.want.AuditKey == nil) {
				t.Errorf("AuditKey nil = %v, want %v", got.AuditKey == nil, tt.want.AuditKey == nil)
			}
		})
	}
}
