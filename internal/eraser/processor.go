// Package eraser is the core of the function: it turns a batch of erasure
// requests, from whatever source, into Tencent Chat removal calls (push
// attributes, and tags when they are erased too), puts receipts, hands on
// what was not erased through a Queue, and reports, message by message,
// what became of each (Status).
//
// The one promise: a message is Erased only when every part was removed for
// every one of its accounts. Every other path — invalid input, API errors,
// an approaching deadline — leaves it Failed or Invalid so that its source
// delivers it again, or hands it on durably (a requeued or dead-lettered
// copy).
package eraser

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/ratelimit"
	"github.com/attr-eraser/attr-eraser/internal/tim"
)

// API is the part of the Tencent Chat API the processor calls
// (satisfied by *tim.Client).
type API interface {
	RemoveAttrs(ctx context.Context, users []tim.UserAttrs) (tim.RemoveResult, error)
	RemoveAllTags(ctx context.Context, accounts []string) (tim.RemoveResult, error)
	AttrNames(ctx context.Context) ([]string, error)
	// GetAttrs and GetTags read accounts back to verify a removal.
	GetAttrs(ctx context.Context, users []tim.UserAttrs) (tim.ReadResult, error)
	GetTags(ctx context.Context, accounts []string) (tim.ReadResult, error)
}

// Credentials is told when Tencent rejected the credentials of a call
// (satisfied by *signingkey.Source).
type Credentials interface {
	// SignatureRejected re-reads the signing key, once however many calls
	// report the same key version.
	SignatureRejected(ctx context.Context, keyVersion string) error
	// UserSigExpired drops the cached UserSig.
	UserSigExpired()
}

// Defaults of a Processor's zero fields (the deadline's are the Budget's,
// in budget.go).
const (
	DefaultMaxInFlight = 16
	// defaultAttrNamesTTL bounds the age of the app's attribute names, so an
	// attribute added in the console is erased from a minute later on.
	defaultAttrNamesTTL = time.Minute
	// DefaultRecheckDelay is the wait before reading an account back
	// after its second removal: Tencent's read path may lag behind a write.
	DefaultRecheckDelay = time.Second
)

// memoryPerAccount is what planning and sending one account may cost: its
// place in the request, its entry and its outcome in each part stay alive
// (about 60 bytes with attributes and tags, TestMemoryPerAccount), the
// plan's index adds some 30 while it is built, and the collector needs
// room on top.
const memoryPerAccount = 160

// The APIs the processor calls, each with its own rate window: Tencent
// counts calls per second per API.
const (
	apiRemoveAttr    = string(tim.OpRemoveAttr)
	apiGetAttrName   = string(tim.OpGetAttrName)
	apiRemoveAllTags = string(tim.OpRemoveAllTags)
	apiGetAttr       = string(tim.OpGetAttr)
	apiGetTag        = string(tim.OpGetTag)
)

// Processor handles batches. Configure it once; it is safe for concurrent
// use by several invocations in one process.
type Processor struct {
	API         API
	Credentials Credentials
	// Limits paces every call of the process, each API in its own window
	// (shared by concurrent invocations); nil means unlimited (tests only:
	// Tencent allows 100 calls per second per API).
	Limits *ratelimit.Limits
	// DefaultAttrs is removed when a message names none; nil means every
	// attribute name of the app, read with im_get_attr_name and cached.
	DefaultAttrs []string
	// DefaultAttrsSetting names where DefaultAttrs came from (TIM_ATTRS),
	// so that an error about them tells the operator what to fix.
	DefaultAttrsSetting string
	// MemoryBudget bounds the bytes one batch may take: its bodies, and
	// memoryPerAccount for each account planned. Messages beyond it are
	// handed on unread (unreached, class capacity), so that no batch can
	// run the function out of memory, which its source would count as a
	// receive of every message. Zero means no bound.
	MemoryBudget int64
	// CPUShare is the share of one CPU the function runs with (Lambda
	// gives MemorySize/1769 of a vCPU). The time kept back for reporting
	// grows as it shrinks. Zero means a full CPU.
	CPUShare float64
	// EraseTags removes every tag of each account as well.
	EraseTags bool
	// Verify reads every account back after each removal answered OK,
	// and counts its part done only when nothing removed is left
	// (verify.go).
	Verify bool
	DryRun bool
	// Logger receives debug lines about calls; nil discards them.
	Logger *slog.Logger
	// Tuning is what production leaves at its defaults.
	Tuning Tuning

	attrNames attrNameCache
	// parseHook replaces erasure.Parse in tests that inject a panic.
	parseHook func(string) (erasure.Request, error)
}

// Tuning holds the knobs tests and benchmarks turn; production uses the
// zero value, and every zero field takes its default.
type Tuning struct {
	// MaxInFlight bounds concurrent requests. At 100 calls/s and 100 ms of
	// latency ten are busy at any time, so the default leaves headroom.
	MaxInFlight int
	Retry       RetryPolicy
	// Deadline handling.
	MinCallBudget     time.Duration
	SafetyMargin      time.Duration
	ReservePerAccount time.Duration
	AttrNamesTTL      time.Duration
	// RecheckDelay is the wait between a second removal and its read-back,
	// for Tencent's read path to catch up; zero means DefaultRecheckDelay.
	RecheckDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (p *Processor) now() time.Time {
	if p.Tuning.Now != nil {
		return p.Tuning.Now()
	}
	return time.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (p *Processor) logger() *slog.Logger {
	return cmp.Or(p.Logger, discard)
}

func (p *Processor) defaultAttrsSetting() string {
	return cmp.Or(p.DefaultAttrsSetting, "the default attribute set")
}

// cutoff is the time after which no call may still be running, before
// the batch's size is known (Budget.Cutoff); reserveFor moves it earlier
// once it is. The zero time means no deadline.
func (p *Processor) cutoff(ctx context.Context, start time.Time) time.Time {
	deadline, _ := ctx.Deadline()
	return p.Budget().Cutoff(deadline, start, 0, 0)
}

// reserveFor moves the cutoff earlier by what the end of the invocation
// needs for messages holding accounts (Budget.Cutoff).
func (run *invocation) reserveFor(messages, accounts int) {
	if run.cutoff.IsZero() {
		return
	}
	run.cutoff = run.cutoff.Add(-run.p.Budget().ForBatch(messages, accounts))
}

// attrNameCache remembers the app's attribute names; they change only when
// an operator edits them in the console.
type attrNameCache struct {
	mu   sync.Mutex
	list attrNameList

	fetch singleflight.Group
}

// attrNameList is the app's attribute names as one read found them.
type attrNameList struct {
	names []string
	// readAt is when the read began: the list tells nothing about the
	// console before it.
	readAt time.Time
}

// freshAttrNamesAge bounds the age of the list a name a message gives is
// judged against before the message is called invalid.
const freshAttrNamesAge = 10 * time.Second

// appAttrNames returns the app's attribute names from a read begun no
// earlier than since: the cached list if it is that recent, else a new
// read. Concurrent invocations share one read, but each waits only as long
// as its own deadline allows: no lock is held across the call.
func (p *Processor) appAttrNames(ctx context.Context, run *invocation, since time.Time) (attrNameList, error) {
	c := &p.attrNames
	c.mu.Lock()
	cached := c.list
	c.mu.Unlock()
	if cached.names != nil && !cached.readAt.Before(since) {
		return cached, nil
	}
	waitCtx, cancel := run.untilCutoff(ctx)
	defer cancel()
	// The lookup runs on the budget of the invocation that started it: a
	// waiter stops at its own cutoff, and one whose leader ran out of time,
	// or whose shared read began too early, looks the names up itself,
	// once.
	for again := true; ; again = false {
		led := false
		shared := c.fetch.DoChan("", func() (any, error) {
			led = true
			list := attrNameList{readAt: p.now()}
			_, err := run.withRetries(ctx, apiGetAttrName, 0, func(ctx context.Context) error {
				var err error
				list.names, err = p.API.AttrNames(ctx)
				return err
			})
			if err != nil {
				return nil, err
			}
			c.mu.Lock()
			if !list.readAt.Before(c.list.readAt) {
				c.list = list
			}
			c.mu.Unlock()
			return list, nil
		})
		select {
		case res := <-shared:
			if res.Err == nil {
				list := res.Val.(attrNameList)
				if list.readAt.Before(since) && !led && again {
					continue
				}
				return list, nil
			}
			if class := classOf(res.Err); !led && again && (class == erasure.Deadline || class == erasure.Cancelled) {
				continue
			}
			return attrNameList{}, res.Err
		case <-waitCtx.Done():
			if ctx.Err() != nil {
				return attrNameList{}, ctx.Err()
			}
			return attrNameList{}, errDeadline
		}
	}
}

// cachedAttrNames is appAttrNames from a list at most AttrNamesTTL old.
func (p *Processor) cachedAttrNames(ctx context.Context, run *invocation) (attrNameList, error) {
	return p.appAttrNames(ctx, run, p.now().Add(-cmp.Or(p.Tuning.AttrNamesTTL, defaultAttrNamesTTL)))
}
