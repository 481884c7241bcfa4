package config_test

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// env returns a getenv over a minimal valid environment with overrides
// applied; an override of "\x00unset" removes the variable.
func env(overrides map[string]string) func(string) string {
	m := map[string]string{
		config.EnvSecretID: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:tim-key",
		config.EnvRegion:   "singapore",
	}
	for k, v := range overrides {
		if v == unset {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return func(name string) string { return m[name] }
}

const unset = "\x00unset"

// configErrors returns every *erasure.ConfigError inside err (errors.Join tree).
func configErrors(err error) []*erasure.ConfigError {
	var out []*erasure.ConfigError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if ce, ok := e.(*erasure.ConfigError); ok {
			out = append(out, ce)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

func variables(errs []*erasure.ConfigError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Variable)
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.SecretID == "" {
		t.Error("SecretID empty")
	}
	if c.SDKAppID != 0 {
		t.Errorf("SDKAppID = %d, want 0 (unset)", c.SDKAppID)
	}
	if c.Identifier != config.DefaultIdentifier || c.IdentifierSet {
		t.Errorf("Identifier = %q set=%v, want %q unset", c.Identifier, c.IdentifierSet, config.DefaultIdentifier)
	}
	if got := c.BaseURL.String(); got != "https://adminapisgp.im.qcloud.com" {
		t.Errorf("BaseURL = %q", got)
	}
	if c.Attrs != nil {
		t.Errorf("Attrs = %q, want nil (all)", c.Attrs)
	}
	if c.RateLimit != 100 {
		t.Errorf("RateLimit = %d, want 100", c.RateLimit)
	}
	if c.DryRun {
		t.Error("DryRun = true by default")
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("LogLevel = %v, want INFO", c.LogLevel)
	}
	if c.MetricsNamespace != config.DefaultMetricsNamespace {
		t.Errorf("MetricsNamespace = %q", c.MetricsNamespace)
	}
	if c.API != tim.AllMemberPush {
		t.Errorf("API = %q, want %q", c.API, tim.AllMemberPush)
	}
	if c.RetryBase != 30*time.Second || c.RetryMax != time.Hour {
		t.Errorf("RetryBase, RetryMax = %v, %v; want 30s, 1h", c.RetryBase, c.RetryMax)
	}
	if c.DeadLetterQueueURL != "" {
		t.Errorf("DeadLetterQueueURL = %q, want empty (no SQS hand-off)", c.DeadLetterQueueURL)
	}
}

// TestLoadReadsOnlyVariables checks that Load asks for exactly the variables
// it declares, so the SAM template test built on Variables stays truthful.
func TestLoadReadsOnlyVariables(t *testing.T) {
	asked := map[string]bool{}
	base := env(nil)
	_, _ = config.Load(func(name string) string {
		asked[name] = true
		return base(name)
	})
	for _, v := range config.Variables {
		if !asked[v] {
			t.Errorf("Load never reads %s", v)
		}
		delete(asked, v)
	}
	for v := range asked {
		// Variables Lambda sets itself (AWS_LAMBDA_LOG_LEVEL) are read but
		// are not the template's business.
		if !strings.HasPrefix(v, "AWS_LAMBDA_") {
			t.Errorf("Load reads %s, which is not in Variables", v)
		}
	}
	if len(config.Variables) != 17 {
		t.Errorf("len(Variables) = %d, want 17", len(config.Variables))
	}
}

func TestLoadRegions(t *testing.T) {
	tests := []struct {
		region, want string
	}{
		{"china", "https://console.tim.qq.com"},
		{"singapore", "https://adminapisgp.im.qcloud.com"},
		{"seoul", "https://adminapikr.im.qcloud.com"},
		{"frankfurt", "https://adminapiger.im.qcloud.com"},
		{"silicon-valley", "https://adminapiusa.im.qcloud.com"},
		{"tokyo", "https://adminapijpn.im.qcloud.com"},
		{"jakarta", "https://adminapiidn.im.qcloud.com"},
		{"Frankfurt", "https://adminapiger.im.qcloud.com"},
		{"  SEOUL ", "https://adminapikr.im.qcloud.com"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{config.EnvRegion: tt.region}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.BaseURL.String(); got != tt.want {
				t.Errorf("BaseURL = %q, want %q", got, tt.want)
			}
			if c.BaseURL.Scheme != "https" {
				t.Errorf("scheme = %q", c.BaseURL.Scheme)
			}
		})
	}
	if len(config.Regions) != len(tests)-2 {
		t.Errorf("Regions has %d keywords, the table %d", len(config.Regions), len(tests)-2)
	}
}

func TestLoadBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string // BaseURL.String() when valid
		wantVar string // the variable of the error when invalid
	}{
		{"http 127.0.0.1", map[string]string{config.EnvBaseURL: "http://127.0.0.1:8080"}, "http://127.0.0.1:8080", ""},
		{"http ::1", map[string]string{config.EnvBaseURL: "http://[::1]:8080"}, "http://[::1]:8080", ""},
		{"http localhost", map[string]string{config.EnvBaseURL: "http://localhost:9000"}, "http://localhost:9000", ""},
		{"https anywhere", map[string]string{config.EnvBaseURL: "https://proxy.example.com"}, "https://proxy.example.com", ""},
		{"https with prefix", map[string]string{config.EnvBaseURL: "https://proxy.example.com/tim"}, "https://proxy.example.com/tim", ""},
		{"trailing slash trimmed", map[string]string{config.EnvBaseURL: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080", ""},
		{"prefix trailing slash trimmed", map[string]string{config.EnvBaseURL: "https://proxy.example.com/tim/"}, "https://proxy.example.com/tim", ""},
		{"repeated trailing slashes trimmed", map[string]string{config.EnvBaseURL: "https://proxy.example.com/tim//"}, "https://proxy.example.com/tim", ""},
		{"base URL wins over region", map[string]string{config.EnvBaseURL: "http://127.0.0.1:1", config.EnvRegion: "nowhere"}, "http://127.0.0.1:1", ""},
		{"base URL without region", map[string]string{config.EnvBaseURL: "http://127.0.0.1:1", config.EnvRegion: unset}, "http://127.0.0.1:1", ""},
		{"empty base URL is unset", map[string]string{config.EnvBaseURL: ""}, "https://adminapisgp.im.qcloud.com", ""},
		{"blank base URL is unset", map[string]string{config.EnvBaseURL: "   "}, "https://adminapisgp.im.qcloud.com", ""},

		{"http remote host", map[string]string{config.EnvBaseURL: "http://proxy.example.com"}, "", config.EnvBaseURL},
		{"http private address", map[string]string{config.EnvBaseURL: "http://10.0.0.1:8080"}, "", config.EnvBaseURL},
		{"http localhost lookalike", map[string]string{config.EnvBaseURL: "http://localhost.example.com"}, "", config.EnvBaseURL},
		{"query", map[string]string{config.EnvBaseURL: "https://proxy.example.com?usersig=x"}, "", config.EnvBaseURL},
		{"userinfo", map[string]string{config.EnvBaseURL: "https://user:pw@proxy.example.com"}, "", config.EnvBaseURL},
		{"other scheme", map[string]string{config.EnvBaseURL: "ftp://127.0.0.1"}, "", config.EnvBaseURL},
		{"no scheme", map[string]string{config.EnvBaseURL: "proxy.example.com"}, "", config.EnvBaseURL},
		{"host:port only", map[string]string{config.EnvBaseURL: "127.0.0.1:8080"}, "", config.EnvBaseURL},
		{"unparsable", map[string]string{config.EnvBaseURL: "http://[::1"}, "", config.EnvBaseURL},

		{"no region no base", map[string]string{config.EnvRegion: unset}, "", config.EnvRegion},
		{"empty region no base", map[string]string{config.EnvRegion: ""}, "", config.EnvRegion},
		{"unknown region", map[string]string{config.EnvRegion: "mars"}, "", config.EnvRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if tt.wantVar == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if got := c.BaseURL.String(); got != tt.want {
					t.Errorf("BaseURL = %q, want %q", got, tt.want)
				}
				if c.BaseURL.RawQuery != "" || c.BaseURL.User != nil {
					t.Errorf("BaseURL carries query/userinfo: %v", c.BaseURL)
				}
				return
			}
			if got := variables(configErrors(err)); !slices.Equal(got, []string{tt.wantVar}) {
				t.Fatalf("error variables = %q (err %v), want [%s]", got, err, tt.wantVar)
			}
			if !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
			if c.BaseURL != nil {
				t.Errorf("BaseURL = %v on error, want nil", c.BaseURL)
			}
		})
	}
}

func TestLoadBaseURLErrorDoesNotEchoSecrets(t *testing.T) {
	const secret = "SUPERSECRETUSERSIG"
	for _, raw := range []string{
		"https://proxy.example.com?usersig=" + secret,
		"https://u:" + secret + "@proxy.example.com",
	} {
		_, err := config.Load(env(map[string]string{config.EnvBaseURL: raw}))
		if err == nil {
			t.Fatalf("Load(%q) succeeded", raw)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q echoes the secret", err)
		}
	}
}

func TestLoadValues(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c config.Config)
		wantVar string
	}{
		{"secret id trimmed", map[string]string{config.EnvSecretID: "  tim-key \n"},
			func(t *testing.T, c config.Config) { eq(t, "SecretID", c.SecretID, "tim-key") }, ""},
		{"secret id missing", map[string]string{config.EnvSecretID: unset}, nil, config.EnvSecretID},
		{"secret id blank", map[string]string{config.EnvSecretID: "  "}, nil, config.EnvSecretID},

		{"sdkappid", map[string]string{config.EnvSDKAppID: "1400000000"},
			func(t *testing.T, c config.Config) { eq(t, "SDKAppID", c.SDKAppID, uint64(1400000000)) }, ""},
		{"sdkappid empty is unset", map[string]string{config.EnvSDKAppID: ""},
			func(t *testing.T, c config.Config) { eq(t, "SDKAppID", c.SDKAppID, uint64(0)) }, ""},
		{"sdkappid zero", map[string]string{config.EnvSDKAppID: "0"}, nil, config.EnvSDKAppID},
		{"sdkappid negative", map[string]string{config.EnvSDKAppID: "-1"}, nil, config.EnvSDKAppID},
		{"sdkappid text", map[string]string{config.EnvSDKAppID: "abc"}, nil, config.EnvSDKAppID},
		{"sdkappid float", map[string]string{config.EnvSDKAppID: "1.4e9"}, nil, config.EnvSDKAppID},
		{"sdkappid overflow", map[string]string{config.EnvSDKAppID: "18446744073709551616"}, nil, config.EnvSDKAppID},

		{"identifier", map[string]string{config.EnvIdentifier: "admin"},
			func(t *testing.T, c config.Config) {
				eq(t, "Identifier", c.Identifier, "admin")
				eq(t, "IdentifierSet", c.IdentifierSet, true)
			}, ""},
		{"identifier 32 bytes", map[string]string{config.EnvIdentifier: strings.Repeat("a", 32)},
			func(t *testing.T, c config.Config) { eq(t, "Identifier", c.Identifier, strings.Repeat("a", 32)) }, ""},
		{"identifier empty is default", map[string]string{config.EnvIdentifier: ""},
			func(t *testing.T, c config.Config) {
				eq(t, "Identifier", c.Identifier, "administrator")
				eq(t, "IdentifierSet", c.IdentifierSet, false)
			}, ""},
		{"identifier 33 bytes", map[string]string{config.EnvIdentifier: strings.Repeat("a", 33)}, nil, config.EnvIdentifier},
		{"identifier control char", map[string]string{config.EnvIdentifier: "ad\x01min"}, nil, config.EnvIdentifier},
		{"identifier non-ASCII", map[string]string{config.EnvIdentifier: "adminé"}, nil, config.EnvIdentifier},

		{"attrs unset is all", map[string]string{config.EnvAttrs: unset},
			func(t *testing.T, c config.Config) { isNil(t, c.Attrs) }, ""},
		{"attrs star is all", map[string]string{config.EnvAttrs: "*"},
			func(t *testing.T, c config.Config) { isNil(t, c.Attrs) }, ""},
		{"attrs spaced star is all", map[string]string{config.EnvAttrs: " * "},
			func(t *testing.T, c config.Config) { isNil(t, c.Attrs) }, ""},
		{"attrs one", map[string]string{config.EnvAttrs: "sex"},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, "sex") }, ""},
		{"attrs list trimmed", map[string]string{config.EnvAttrs: " sex , city,country "},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, "sex", "city", "country") }, ""},
		{"attrs duplicates collapse", map[string]string{config.EnvAttrs: "sex,city,sex"},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, "sex", "city") }, ""},
		{"attrs ten", map[string]string{config.EnvAttrs: "a0,a1,a2,a3,a4,a5,a6,a7,a8,a9"},
			func(t *testing.T, c config.Config) { eq(t, "len(Attrs)", len(c.Attrs), 10) }, ""},
		{"attrs 50 bytes", map[string]string{config.EnvAttrs: strings.Repeat("x", 50)},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, strings.Repeat("x", 50)) }, ""},
		{"attrs eleven", map[string]string{config.EnvAttrs: "a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10"}, nil, config.EnvAttrs},
		{"attrs 51 bytes", map[string]string{config.EnvAttrs: "sex," + strings.Repeat("x", 51)}, nil, config.EnvAttrs},
		{"attrs empty name", map[string]string{config.EnvAttrs: "sex,,city"}, nil, config.EnvAttrs},
		{"attrs trailing comma", map[string]string{config.EnvAttrs: "sex,"}, nil, config.EnvAttrs},
		{"attrs only comma", map[string]string{config.EnvAttrs: ","}, nil, config.EnvAttrs},
		{"attrs blank name", map[string]string{config.EnvAttrs: "sex, ,city"}, nil, config.EnvAttrs},
		{"attrs non-ASCII", map[string]string{config.EnvAttrs: "性别,city"},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, "性别", "city") }, ""},
		{"attrs inner space", map[string]string{config.EnvAttrs: "home city"},
			func(t *testing.T, c config.Config) { sliceEq(t, c.Attrs, "home city") }, ""},
		{"attrs control character", map[string]string{config.EnvAttrs: "sex,ci\x01ty"}, nil, config.EnvAttrs},
		{"attrs inner tab", map[string]string{config.EnvAttrs: "home\tcity"}, nil, config.EnvAttrs},
		{"attrs U+FFFD", map[string]string{config.EnvAttrs: "ci\uFFFDty"}, nil, config.EnvAttrs},
		{"attrs invalid UTF-8", map[string]string{config.EnvAttrs: "ci\xffty"}, nil, config.EnvAttrs},
		// As in a message's attrs, the count is of names as given.
		{"attrs eleven with a duplicate", map[string]string{config.EnvAttrs: "a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a0"}, nil, config.EnvAttrs},

		{"api default", map[string]string{config.EnvAPI: unset},
			func(t *testing.T, c config.Config) { eq(t, "API", c.API, tim.AllMemberPush) }, ""},
		{"api empty is default", map[string]string{config.EnvAPI: " "},
			func(t *testing.T, c config.Config) { eq(t, "API", c.API, tim.AllMemberPush) }, ""},
		{"api all_member_push", map[string]string{config.EnvAPI: "all_member_push"},
			func(t *testing.T, c config.Config) { eq(t, "API", c.API, tim.AllMemberPush) }, ""},
		{"api timpush", map[string]string{config.EnvAPI: "timpush"},
			func(t *testing.T, c config.Config) { eq(t, "API", c.API, tim.TimPush) }, ""},
		{"api upper case", map[string]string{config.EnvAPI: "TIMPUSH"},
			func(t *testing.T, c config.Config) { eq(t, "API", c.API, tim.TimPush) }, ""},
		{"api unknown", map[string]string{config.EnvAPI: "v5"}, nil, config.EnvAPI},
		{"api path", map[string]string{config.EnvAPI: "v4/timpush"}, nil, config.EnvAPI},
		{"erase tags", map[string]string{config.EnvEraseTags: "true"},
			func(t *testing.T, c config.Config) { eq(t, "EraseTags", c.EraseTags, true) }, ""},
		{"erase tags default", map[string]string{config.EnvEraseTags: unset},
			func(t *testing.T, c config.Config) { eq(t, "EraseTags", c.EraseTags, false) }, ""},
		{"erase tags not a bool", map[string]string{config.EnvEraseTags: "yes please"}, nil, config.EnvEraseTags},
		{"verify erasure default", map[string]string{config.EnvVerifyErasure: unset},
			func(t *testing.T, c config.Config) { eq(t, "VerifyErasure", c.VerifyErasure, true) }, ""},
		{"verify erasure off", map[string]string{config.EnvVerifyErasure: "false"},
			func(t *testing.T, c config.Config) { eq(t, "VerifyErasure", c.VerifyErasure, false) }, ""},
		{"verify erasure on", map[string]string{config.EnvVerifyErasure: "TRUE"},
			func(t *testing.T, c config.Config) { eq(t, "VerifyErasure", c.VerifyErasure, true) }, ""},
		{"verify erasure not a bool", map[string]string{config.EnvVerifyErasure: "maybe"}, nil, config.EnvVerifyErasure},
		{"receipt bus name", map[string]string{config.EnvReceiptEventBus: "privacy-receipts"},
			func(t *testing.T, c config.Config) { eq(t, "ReceiptEventBus", c.ReceiptEventBus, "privacy-receipts") }, ""},
		{"receipt bus arn", map[string]string{config.EnvReceiptEventBus: "arn:aws:events:eu-west-1:123456789012:event-bus/privacy"},
			func(t *testing.T, c config.Config) {
				eq(t, "ReceiptEventBus", c.ReceiptEventBus, "arn:aws:events:eu-west-1:123456789012:event-bus/privacy")
			}, ""},
		{"receipt bus bad", map[string]string{config.EnvReceiptEventBus: "no spaces allowed"}, nil, config.EnvReceiptEventBus},

		{"retry schedule", map[string]string{config.EnvRetryBase: "1", config.EnvRetryMax: "43200"},
			func(t *testing.T, c config.Config) {
				eq(t, "RetryBase", c.RetryBase, time.Second)
				eq(t, "RetryMax", c.RetryMax, 12*time.Hour)
			}, ""},
		{"retry base zero", map[string]string{config.EnvRetryBase: "0"}, nil, config.EnvRetryBase},
		{"retry base fraction", map[string]string{config.EnvRetryBase: "0.5"}, nil, config.EnvRetryBase},
		{"retry max over 12 h", map[string]string{config.EnvRetryMax: "43201"}, nil, config.EnvRetryMax},
		{"retry max below base", map[string]string{config.EnvRetryBase: "60", config.EnvRetryMax: "30"}, nil, config.EnvRetryMax},
		{"dead-letter queue", map[string]string{config.EnvDeadLetterQueue: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"},
			func(t *testing.T, c config.Config) {
				eq(t, "DeadLetterQueueURL", c.DeadLetterQueueURL, "https://sqs.us-east-1.amazonaws.com/123456789012/dlq")
			}, ""},
		{"dead-letter queue not a URL", map[string]string{config.EnvDeadLetterQueue: "attr-eraser-dlq"}, nil, config.EnvDeadLetterQueue},

		{"rate 1", map[string]string{config.EnvRateLimit: "1"},
			func(t *testing.T, c config.Config) { eq(t, "RateLimit", c.RateLimit, 1) }, ""},
		{"rate 100", map[string]string{config.EnvRateLimit: "100"},
			func(t *testing.T, c config.Config) { eq(t, "RateLimit", c.RateLimit, 100) }, ""},
		{"rate 42 trimmed", map[string]string{config.EnvRateLimit: " 42 "},
			func(t *testing.T, c config.Config) { eq(t, "RateLimit", c.RateLimit, 42) }, ""},
		{"rate empty is default", map[string]string{config.EnvRateLimit: ""},
			func(t *testing.T, c config.Config) { eq(t, "RateLimit", c.RateLimit, 100) }, ""},
		{"rate 0", map[string]string{config.EnvRateLimit: "0"}, nil, config.EnvRateLimit},
		{"rate 101", map[string]string{config.EnvRateLimit: "101"}, nil, config.EnvRateLimit},
		{"rate negative", map[string]string{config.EnvRateLimit: "-5"}, nil, config.EnvRateLimit},
		{"rate fraction", map[string]string{config.EnvRateLimit: "2.5"}, nil, config.EnvRateLimit},
		{"rate text", map[string]string{config.EnvRateLimit: "fast"}, nil, config.EnvRateLimit},

		{"dry run true", map[string]string{config.EnvDryRun: "true"},
			func(t *testing.T, c config.Config) { eq(t, "DryRun", c.DryRun, true) }, ""},
		{"dry run TRUE", map[string]string{config.EnvDryRun: "TRUE"},
			func(t *testing.T, c config.Config) { eq(t, "DryRun", c.DryRun, true) }, ""},
		{"dry run 1", map[string]string{config.EnvDryRun: "1"},
			func(t *testing.T, c config.Config) { eq(t, "DryRun", c.DryRun, true) }, ""},
		{"dry run false", map[string]string{config.EnvDryRun: "false"},
			func(t *testing.T, c config.Config) { eq(t, "DryRun", c.DryRun, false) }, ""},
		{"dry run empty", map[string]string{config.EnvDryRun: ""},
			func(t *testing.T, c config.Config) { eq(t, "DryRun", c.DryRun, false) }, ""},
		{"dry run yes", map[string]string{config.EnvDryRun: "yes"}, nil, config.EnvDryRun},
		{"dry run garbage", map[string]string{config.EnvDryRun: "maybe"}, nil, config.EnvDryRun},

		{"log debug", map[string]string{config.EnvLogLevel: "debug"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelDebug) }, ""},
		{"log info", map[string]string{config.EnvLogLevel: "info"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelInfo) }, ""},
		{"log warn", map[string]string{config.EnvLogLevel: "warn"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelWarn) }, ""},
		{"log error", map[string]string{config.EnvLogLevel: "error"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelError) }, ""},
		{"log upper case", map[string]string{config.EnvLogLevel: "WARN"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelWarn) }, ""},
		{"log empty is info", map[string]string{config.EnvLogLevel: ""},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelInfo) }, ""},
		{"log warning", map[string]string{config.EnvLogLevel: "warning"}, nil, config.EnvLogLevel},
		{"log trace", map[string]string{config.EnvLogLevel: "trace"}, nil, config.EnvLogLevel},

		{"lambda log level TRACE", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelDebug) }, ""},
		{"lambda log level WARN", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "WARN"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelWarn) }, ""},
		{"lambda log level FATAL", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "FATAL"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelError) }, ""},
		{"lambda log level unknown keeps info", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "verbose"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelInfo) }, ""},
		{"LOG_LEVEL wins over lambda", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "DEBUG", config.EnvLogLevel: "error"},
			func(t *testing.T, c config.Config) { eq(t, "LogLevel", c.LogLevel, slog.LevelError) }, ""},

		{"namespace", map[string]string{config.EnvMetricsNamespace: "Team/Eraser"},
			func(t *testing.T, c config.Config) { eq(t, "MetricsNamespace", c.MetricsNamespace, "Team/Eraser") }, ""},
		{"namespace 255", map[string]string{config.EnvMetricsNamespace: strings.Repeat("n", 255)},
			func(t *testing.T, c config.Config) { eq(t, "len(MetricsNamespace)", len(c.MetricsNamespace), 255) }, ""},
		{"namespace 256", map[string]string{config.EnvMetricsNamespace: strings.Repeat("n", 256)}, nil, config.EnvMetricsNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if tt.wantVar == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tt.check(t, c)
				return
			}
			var ce *erasure.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Load error %v is not a *erasure.ConfigError", err)
			}
			if got := variables(configErrors(err)); !slices.Equal(got, []string{tt.wantVar}) {
				t.Fatalf("error variables = %q, want only %s (err: %v)", got, tt.wantVar, err)
			}
			if ce.Variable != tt.wantVar || ce.Reason == "" {
				t.Errorf("error = %+v, want variable %s with a reason", ce, tt.wantVar)
			}
			if !strings.HasPrefix(err.Error(), "configuration: "+tt.wantVar+" ") {
				t.Errorf("message %q does not start with the variable", err)
			}
		})
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		config.EnvSecretID:         unset,
		config.EnvSDKAppID:         "x",
		config.EnvIdentifier:       strings.Repeat("i", 40),
		config.EnvRegion:           "atlantis",
		config.EnvAttrs:            "a,,b",
		config.EnvRateLimit:        "1000",
		config.EnvDryRun:           "perhaps",
		config.EnvLogLevel:         "loud",
		config.EnvMetricsNamespace: strings.Repeat("n", 300),
		config.EnvRetryBase:        "soon",
		config.EnvDeadLetterQueue:  "dlq",
	}))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	got := variables(configErrors(err))
	want := []string{
		config.EnvSecretID, config.EnvIdentifier, config.EnvSDKAppID, config.EnvRegion,
		config.EnvAttrs, config.EnvRateLimit, config.EnvDryRun, config.EnvLogLevel, config.EnvMetricsNamespace,
		config.EnvRetryBase, config.EnvDeadLetterQueue,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
	for _, v := range want {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("joined error does not mention %s", v)
		}
	}
	var ce *erasure.ConfigError
	if !errors.As(err, &ce) {
		t.Error("errors.As(*erasure.ConfigError) fails on the joined error")
	}
}

// TestLoadErrorMessages checks that a rejection says what is wrong and
// where, not only which variable.
func TestLoadErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // the whole message
	}{
		{"attrs empty name", map[string]string{config.EnvAttrs: "sex,,city"},
			"configuration: TIM_ATTRS name 2 of 3 is invalid: empty, need 1 to 50 bytes"},
		{"attrs long name", map[string]string{config.EnvAttrs: "sex," + strings.Repeat("x", 51)},
			"configuration: TIM_ATTRS name 2 of 2 is invalid: 51 bytes, at most 50"},
		{"attrs control character", map[string]string{config.EnvAttrs: "ci\x01ty"},
			"configuration: TIM_ATTRS name 1 of 1 is invalid: control character U+0001 at offset 2"},
		{"attrs U+FFFD", map[string]string{config.EnvAttrs: "sex,ci\uFFFDty"},
			"configuration: TIM_ATTRS name 2 of 2 is invalid: invalid UTF-8 or U+FFFD at offset 2"},
		{"attrs too many", map[string]string{config.EnvAttrs: "a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10"},
			"configuration: TIM_ATTRS names 11 attributes, at most 10"},
		{"api unknown", map[string]string{config.EnvAPI: "v5"},
			`configuration: TIM_API must be all_member_push or timpush, got "v5"`},
		{"retry max", map[string]string{config.EnvRetryMax: "43201"},
			`configuration: RETRY_MAX_SECONDS must be a whole number of seconds from 1 to 43200 (SQS's longest visibility timeout), got "43201"`},
		{"rate limit", map[string]string{config.EnvRateLimit: "101"},
			`configuration: RATE_LIMIT_PER_SECOND must be an integer from 1 to 100 (Tencent's limit per app and API), got "101"`},
		{"log level", map[string]string{config.EnvLogLevel: "Loud"},
			`configuration: LOG_LEVEL must be debug, info, warn or error, got "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Load error = %v, want %s", err, tt.want)
			}
		})
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func isNil(t *testing.T, s []string) {
	t.Helper()
	if s != nil {
		t.Errorf("Attrs = %q, want nil", s)
	}
}

func sliceEq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("Attrs = %q, want %q", got, want)
	}
}
