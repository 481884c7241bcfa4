// Package config reads the function's configuration from its environment,
// once per container, and says clearly which variable is wrong.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// The environment variables the function reads. The SAM template sets
// exactly these; a test keeps the two in step.
const (
	EnvSecretID         = "SECRET_ID"
	EnvSDKAppID         = "TIM_SDKAPPID"
	EnvIdentifier       = "TIM_IDENTIFIER"
	EnvRegion           = "TIM_REGION"
	EnvBaseURL          = "TIM_BASE_URL"
	EnvAttrs            = "TIM_ATTRS"
	EnvRateLimit        = "RATE_LIMIT_PER_SECOND"
	EnvDryRun           = "DRY_RUN"
	EnvLogLevel         = "LOG_LEVEL"
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	EnvRetryBase        = "RETRY_BASE_SECONDS"
	EnvRetryMax         = "RETRY_MAX_SECONDS"
	EnvDeadLetterQueue  = "DEAD_LETTER_QUEUE_URL"
	EnvAPI              = "TIM_API"
	EnvEraseTags        = "ERASE_TAGS"
	EnvReceiptEventBus  = "RECEIPT_EVENT_BUS"
	EnvVerifyErasure    = "VERIFY_ERASURE"
)

// envLambdaLogLevel is set by Lambda itself, not by the template.
const envLambdaLogLevel = "AWS_LAMBDA_LOG_LEVEL"

// Variables lists every variable Load reads, in the order of the README's
// configuration table.
var Variables = []string{
	EnvSecretID, EnvSDKAppID, EnvIdentifier, EnvRegion, EnvBaseURL,
	EnvAttrs, EnvAPI, EnvEraseTags, EnvRateLimit, EnvRetryBase, EnvRetryMax,
	EnvDeadLetterQueue, EnvReceiptEventBus, EnvVerifyErasure, EnvDryRun, EnvLogLevel, EnvMetricsNamespace,
}

// Defaults of the optional variables.
const (
	DefaultIdentifier       = "administrator"
	defaultRateLimit        = 100
	DefaultMetricsNamespace = "AttrEraser"
	// AllAttrs in TIM_ATTRS means "every attribute name the app has".
	AllAttrs = "*"
)

// Regions maps TIM_REGION keywords to Tencent Chat REST domains.
var Regions = map[string]string{
	"china":          "console.tim.qq.com",
	"singapore":      "adminapisgp.im.qcloud.com",
	"seoul":          "adminapikr.im.qcloud.com",
	"frankfurt":      "adminapiger.im.qcloud.com",
	"silicon-valley": "adminapiusa.im.qcloud.com",
	"jakarta":        "adminapiidn.im.qcloud.com",
	"tokyo":          "adminapijpn.im.qcloud.com",
}

// Config is the validated configuration.
type Config struct {
	// SecretID names the Secrets Manager secret holding the signing key.
	SecretID string
	// SDKAppID is 0 when unset; the secret may then supply it.
	SDKAppID uint64
	// Identifier is the app admin account; the secret may override it.
	Identifier string
	// IdentifierSet tells whether TIM_IDENTIFIER was given explicitly.
	IdentifierSet bool
	// BaseURL is the Tencent Chat REST base, from TIM_BASE_URL or TIM_REGION.
	BaseURL *url.URL
	// Attrs is the default attribute set; nil means all of the app's names.
	Attrs []string
	// RateLimit is the number of calls per second this instance may make
	// to each Tencent API; every API has its own budget.
	RateLimit int
	// DryRun plans and logs calls without sending them.
	DryRun bool
	// LogLevel is the diagnostic logger's level: debug, info, warn or error.
	LogLevel slog.Level
	// MetricsNamespace is the CloudWatch namespace of the EMF metrics.
	MetricsNamespace string
	// RetryBase and RetryMax are the visibility backoff of failed messages,
	// erasure.Schedule's Base and Max: min(RetryBase * 2^(n-1), RetryMax)
	// after the n-th receive.
	RetryBase, RetryMax time.Duration
	// API is the Tencent API family.
	API tim.Family
	// EraseTags removes every tag of each account as well as its
	// attributes.
	EraseTags bool
	// VerifyErasure reads every account back after its removal and counts
	// it erased only when nothing removed is left.
	VerifyErasure bool
	// ReceiptEventBus is the EventBridge bus (name or ARN) receipts are
	// put on; empty means no receipts.
	ReceiptEventBus string
	// DeadLetterQueueURL turns the SQS hand-off on: unreached messages are
	// requeued, hopeless ones dead-lettered, failed ones delayed. Empty
	// leaves every failed message to SQS's redelivery, with no SQS call.
	DeadLetterQueueURL string
}

// Load reads and validates the configuration through getenv (os.Getenv in
// production). It reports every invalid variable, joined, not only the
// first, each an *erasure.ConfigError.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(variable, format string, args ...any) {
		errs = append(errs, &erasure.ConfigError{Variable: variable, Reason: fmt.Sprintf(format, args...)})
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	c := Config{
		SecretID:         get(EnvSecretID),
		Identifier:       get(EnvIdentifier),
		RateLimit:        defaultRateLimit,
		API:              tim.AllMemberPush,
		RetryBase:        erasure.DefaultRetryBase,
		RetryMax:         erasure.DefaultRetryMax,
		LogLevel:         slog.LevelInfo,
		MetricsNamespace: DefaultMetricsNamespace,
		VerifyErasure:    true,
	}
	if c.SecretID == "" {
		bad(EnvSecretID, "is required: the ARN or name of the signing-key secret")
	}
	if c.Identifier == "" {
		c.Identifier = DefaultIdentifier
	} else {
		c.IdentifierSet = true
		if err := erasure.ValidAccount(c.Identifier); err != nil {
			bad(EnvIdentifier, "is not a Tencent UserID: %s", erasure.Reason(err))
		}
	}
	if v := get(EnvSDKAppID); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil || id == 0 {
			bad(EnvSDKAppID, "must be a positive integer, got %q", v)
		}
		c.SDKAppID = id
	}

	base, err := baseURL(get(EnvBaseURL), get(EnvRegion))
	if err != nil {
		errs = append(errs, err)
	}
	c.BaseURL = base

	if v := get(EnvAttrs); v != "" && v != AllAttrs {
		attrs, err := parseAttrs(v)
		if err != nil {
			bad(EnvAttrs, "%v", err)
		}
		c.Attrs = attrs
	}
	if v := get(EnvRateLimit); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRateLimit {
			bad(EnvRateLimit, "must be an integer from 1 to %d (Tencent's limit per app and API), got %q", maxRateLimit, v)
		}
		c.RateLimit = n
	}
	seconds := func(name string, into *time.Duration) {
		v := get(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRetrySeconds {
			bad(name, "must be a whole number of seconds from 1 to %d (SQS's longest visibility timeout), got %q", maxRetrySeconds, v)
			return
		}
		*into = time.Duration(n) * time.Second
	}
	seconds(EnvRetryBase, &c.RetryBase)
	seconds(EnvRetryMax, &c.RetryMax)
	if c.RetryMax < c.RetryBase {
		bad(EnvRetryMax, "(%d) must not be below %s (%d)", int(c.RetryMax.Seconds()), EnvRetryBase, int(c.RetryBase.Seconds()))
	}
	if v := get(EnvDeadLetterQueue); v != "" {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad(EnvDeadLetterQueue, "must be a queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/attr-eraser-dlq")
		}
		c.DeadLetterQueueURL = v
	}
	if v := get(EnvAPI); v != "" {
		f, err := tim.ParseFamily(v)
		if err != nil {
			bad(EnvAPI, "must be %s or %s, got %q", tim.AllMemberPush, tim.TimPush, v)
		}
		c.API = f
	}
	boolean := func(name string, into *bool) {
		if v := get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(name, "must be true or false, got %q", v)
			}
			*into = b
		}
	}
	boolean(EnvEraseTags, &c.EraseTags)
	boolean(EnvVerifyErasure, &c.VerifyErasure)
	boolean(EnvDryRun, &c.DryRun)
	if v := get(EnvReceiptEventBus); v != "" {
		if !eventBus.MatchString(v) {
			bad(EnvReceiptEventBus, "must be an EventBridge bus name or ARN, got %q", v)
		}
		c.ReceiptEventBus = v
	}
	// Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; LOG_LEVEL,
	// when set, wins.
	if v := strings.ToLower(get(envLambdaLogLevel)); get(EnvLogLevel) == "" && v != "" {
		// An unexpected value keeps the default rather than failing: the
		// variable is Lambda's, not the operator's.
		if l, ok := lambdaLogLevels[v]; ok {
			c.LogLevel = l
		}
	}
	if v := strings.ToLower(get(EnvLogLevel)); v != "" {
		if l, ok := logLevels[v]; ok {
			c.LogLevel = l
		} else {
			bad(EnvLogLevel, "must be debug, info, warn or error, got %q", v)
		}
	}
	if v := get(EnvMetricsNamespace); v != "" {
		if len(v) > 255 {
			bad(EnvMetricsNamespace, "is %d characters long, at most 255", len(v))
		}
		c.MetricsNamespace = v
	}
	return c, errors.Join(errs...)
}

// maxRetrySeconds bounds RETRY_BASE_SECONDS and RETRY_MAX_SECONDS.
const maxRetrySeconds = int(erasure.MaxRetryDelay / time.Second)

// logLevels are the values of LOG_LEVEL, lower case.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// lambdaLogLevels maps Lambda's application log levels (TRACE, DEBUG, INFO,
// WARN, ERROR, FATAL), lower case, to the nearest slog level.
var lambdaLogLevels = map[string]slog.Level{
	"trace": slog.LevelDebug, "debug": slog.LevelDebug, "info": slog.LevelInfo,
	"warn": slog.LevelWarn, "error": slog.LevelError, "fatal": slog.LevelError,
}

// eventBus matches an EventBridge bus name or ARN.
var eventBus = regexp.MustCompile(`^([A-Za-z0-9._/-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256})$`)

// baseURL resolves the API base from TIM_BASE_URL, else TIM_REGION.
func baseURL(raw, region string) (*url.URL, error) {
	if raw == "" {
		if region == "" {
			return nil, &erasure.ConfigError{Variable: EnvRegion, Reason: "is required unless TIM_BASE_URL is set; one of china, singapore, seoul, frankfurt, silicon-valley, jakarta, tokyo"}
		}
		domain, ok := Regions[strings.ToLower(region)]
		if !ok {
			return nil, &erasure.ConfigError{Variable: EnvRegion, Reason: fmt.Sprintf("%q is not a region keyword; use china, singapore, seoul, frankfurt, silicon-valley, jakarta or tokyo", region)}
		}
		return &url.URL{Scheme: "https", Host: domain}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &erasure.ConfigError{Variable: EnvBaseURL, Reason: "must be an absolute URL such as https://adminapisgp.im.qcloud.com"}
	}
	if u.RawQuery != "" || u.User != nil {
		return nil, &erasure.ConfigError{Variable: EnvBaseURL, Reason: "must not carry a query or user info"}
	}
	switch u.Scheme {
	case "https":
	case "http":
		// Plain HTTP would expose the UserSig in the query string, so only a
		// stand-in on this machine may use it.
		if !isLoopback(u.Hostname()) {
			return nil, &erasure.ConfigError{Variable: EnvBaseURL, Reason: "may use http:// only for a loopback host; use https://"}
		}
	default:
		return nil, &erasure.ConfigError{Variable: EnvBaseURL, Reason: fmt.Sprintf("has scheme %q; use https://", u.Scheme)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseAttrs splits a comma-separated list of attribute names, each held
// to the rule of a message's attrs (erasure.ValidAttr). Like a message's,
// the count is of names as given, before duplicates collapse.
func parseAttrs(v string) ([]string, error) {
	names := strings.Split(v, ",")
	if len(names) > erasure.MaxAttrs {
		return nil, fmt.Errorf("names %d attributes, at most %d", len(names), erasure.MaxAttrs)
	}
	var attrs []string
	for i, a := range names {
		a = strings.TrimSpace(a)
		if err := erasure.ValidAttr(a); err != nil {
			return nil, fmt.Errorf("name %d of %d is invalid: %s", i+1, len(names), erasure.Reason(err))
		}
		if !slices.Contains(attrs, a) {
			attrs = append(attrs, a)
		}
	}
	return attrs, nil
}
