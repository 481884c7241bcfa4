// Package app assembles the function from its configuration: the one place
// that knows every concrete part. main calls it once per container; tests
// and benchmarks call it to run the real handler in process.
package app

import (
	"cmp"
	"context"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/ratelimit"
	"github.com/attr-eraser/attr-eraser/internal/receipts"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// WindowMargin lengthens the rate limiter's one-second window. Calls reach
// Tencent with uneven delays, so two calls written exactly one second apart can
// arrive less than a second apart; 40 ms absorbs that jitter (measured with
// `make bench`) at the cost of about 4 % of the ceiling.
const WindowMargin = 40 * time.Millisecond

// Options tune parts the configuration does not cover; the zero value is
// what production uses.
type Options struct {
	// Tuning is handed to the processor: retry and deadline settings in
	// tests and benchmarks.
	Tuning eraser.Tuning
	// WindowMargin replaces the rate limiter's default WindowMargin when
	// set (benchmark experiments).
	WindowMargin time.Duration
}

// New builds the handler; logs and metrics go to out (stdout in Lambda). A
// configuration or setup error does not stop the function: it is logged
// once here, and every invocation then reports all its messages failed, in
// the response, the audit lines and the metrics, so nothing is acknowledged.
// Where the queue wiring is usable (DEAD_LETTER_QUEUE_URL set and an AWS
// configuration loaded), those messages are still delayed by the retry
// schedule, so that a fix within a day loses none of them.
func New(ctx context.Context, cfg config.Config, cfgErr error, out io.Writer, opts Options) *sqsq.Handler {
	logger := telemetry.NewLogger(out, cfg.LogLevel)
	metrics := &telemetry.Metrics{Out: out, Namespace: cfg.MetricsNamespace, FunctionName: lambdacontext.FunctionName}
	budget := opts.Tuning.Budget(CPUShare(lambdacontext.MemoryLimitInMB))
	// One AWS configuration (credentials, Region, endpoints) for every
	// client: Secrets Manager, and SQS and EventBridge when configured.
	awsCfg, awsErr := awsconfig.LoadDefaultConfig(ctx)
	unconfigured := func(msg string, err error) *sqsq.Handler {
		logger.ErrorContext(ctx, msg+"; every message will be reported failed", "error", err)
		h := &sqsq.Handler{Eraser: &eraser.Handler{
			Logger:     logger,
			ConfigErr:  err,
			Observers:  []eraser.Observer{&telemetry.Audit{Out: out, Logger: logger, Keys: noAuditKey{err}}, metrics},
			TimeBudget: budget,
		}}
		// Without a delay, each message would come back every visibility
		// timeout and reach the DLQ within hours.
		if cfg.DeadLetterQueueURL != "" && awsErr == nil {
			queue := sqsq.New(awsCfg, cfg.DeadLetterQueueURL)
			queue.Logger = logger
			h.Queue = queue
			h.Deleter = queue
			h.Eraser.Backoff = erasure.Schedule{Base: cfg.RetryBase, Max: cfg.RetryMax}
		}
		return h
	}
	if cfgErr != nil {
		return unconfigured("invalid configuration", cfgErr)
	}
	if awsErr != nil {
		return unconfigured("cannot load the AWS configuration", awsErr)
	}
	keys, err := signingkey.New(awsCfg, cfg.SecretID)
	if err != nil {
		return unconfigured("cannot create the Secrets Manager client", err)
	}
	keys.Logger = logger
	source := &signingkey.Source{
		Keys:       keys,
		UserSigs:   &usersig.Cache{},
		SDKAppID:   cfg.SDKAppID,
		Identifier: cfg.Identifier,
	}

	p := &eraser.Processor{
		API: &tim.Client{
			BaseURL: cfg.BaseURL,
			Family:  cfg.API,
			// Attribute and tag calls each keep up to MaxInFlight
			// removals and as many read-backs busy.
			HTTPClient: tim.NewHTTPClient(tim.DefaultTimeout, 4*eraser.DefaultMaxInFlight),
			Signer:     source,
		},
		Credentials:         source,
		Limits:              ratelimit.NewLimits(cfg.RateLimit, time.Second+cmp.Or(opts.WindowMargin, WindowMargin)),
		DefaultAttrs:        cfg.Attrs,
		DefaultAttrsSetting: config.EnvAttrs,
		EraseTags:           cfg.EraseTags,
		Verify:              cfg.VerifyErasure,
		DryRun:              cfg.DryRun,
		Logger:              logger,
		Tuning:              opts.Tuning,
		MemoryBudget:        BatchMemoryBudget(lambdacontext.MemoryLimitInMB, cfg.VerifyErasure),
		CPUShare:            CPUShare(lambdacontext.MemoryLimitInMB),
	}

	h := &eraser.Handler{
		Processor: p,
		Logger:    logger,
		Observers: []eraser.Observer{
			&telemetry.Audit{Out: out, Logger: logger, Keys: source},
			metrics,
		},
	}
	// The lineage of copies is signed and verified with a key derived from
	// the audit key, which survives rotations of the signing key.
	lineage := &sqsq.Lineage{Keys: source}
	lambdaHandler := &sqsq.Handler{Eraser: h, Lineage: lineage}
	if cfg.DeadLetterQueueURL != "" {
		queue := sqsq.New(awsCfg, cfg.DeadLetterQueueURL)
		queue.Logger = logger
		queue.Lineage = lineage
		lambdaHandler.Queue = queue
		// Where the SQS-side handling is on, the function is deployed on
		// a mapping, and must see ReportBatchItemFailures on it.
		lambdaHandler.Wiring = sqsq.NewWiring(awsCfg)
		lambdaHandler.Deleter = queue
		lambdaHandler.OnUnwired = metrics.Unwired
		h.Backoff = erasure.Schedule{Base: cfg.RetryBase, Max: cfg.RetryMax}
	}
	if cfg.ReceiptEventBus != "" {
		h.Receipts = receipts.New(awsCfg, cfg.ReceiptEventBus, source)
	}
	return lambdaHandler
}

// noAuditKey stands in for the key source when the function cannot run:
// its messages were never parsed, so there is nothing to hash.
type noAuditKey struct{ err error }

func (n noAuditKey) AuditKey(context.Context) ([]byte, error) { return nil, n.err }

// The function's memory, from Lambda's MemorySize: the Go runtime is held
// to a share of it, so that the collector works harder before the process
// nears the size Lambda kills it at (its binary, stacks and the runtime
// need the rest), and a batch may plan only what fits in that share beside
// the process's own baseline.
const (
	goMemoryShare  = 0.6
	baselineMemory = 16 << 20
)

// GoMemoryLimit is the limit for runtime/debug.SetMemoryLimit in a
// function of memoryMB; 0 when the size is unknown (outside Lambda).
func GoMemoryLimit(memoryMB int) int64 {
	return int64(goMemoryShare * float64(int64(memoryMB)<<20))
}

// BatchMemoryBudget is eraser.Processor.MemoryBudget in a function of
// memoryMB, with read-backs when verify is set; 0 (no bound) when the size
// is unknown.
func BatchMemoryBudget(memoryMB int, verify bool) int64 {
	held := int64(baselineMemory)
	if verify {
		held += readBackMemory()
	}
	return max(GoMemoryLimit(memoryMB)-held, 0)
}

// readBackMemory is what the read-backs in flight may hold at once: each
// part (attributes, tags) keeps up to MaxInFlight of them, each a whole
// answer (20 MiB).
func readBackMemory() int64 {
	return eraser.DefaultMaxInFlight * (tim.MaxResponseBytes(tim.OpGetAttr) + tim.MaxResponseBytes(tim.OpGetTag))
}

// FullCPUMemoryMB is the MemorySize at which Lambda gives one full vCPU.
const FullCPUMemoryMB = 1769

// CPUShare is the share of one CPU Lambda gives a function of memoryMB (at
// most 1: the function's work is mostly one goroutine at a time); 0 when
// the size is unknown.
func CPUShare(memoryMB int) float64 {
	return min(float64(memoryMB)/FullCPUMemoryMB, 1)
}
