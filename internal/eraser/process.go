package eraser

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

var (
	errFIFOBlocked = errors.New("an earlier message of this FIFO batch failed; delivered again to keep the order")
	errDryRun      = errors.New("dry run: no call was sent")
	errNotSent     = errors.New("not sent before the invocation ended")
	errCapacity    = errors.New("handed on unread: the batch holds more accounts than the function's memory allows at once")
)

// invocation is the state of one Process call: concurrent invocations share
// only the Processor, its limiter and its attribute-name cache.
type invocation struct {
	p      *Processor
	cutoff time.Time

	plan  *Plan
	parts []*part
	// explicit[m] is the attributes message m named itself; nil when it
	// relies on a default set.
	explicit [][]string
	deleted  deletedNames

	calls, retries, rateLimited, splits atomic.Int64

	// verifying tracks the read-backs started (verify.go).
	verifying sync.WaitGroup

	memory   int64 // bytes of the batch's budget taken (MemoryBudget)
	admitted int   // messages planned within it
}

type entryResult struct {
	erased bool
	absent bool // erased because Tencent has no such account
	class  erasure.Class
	err    error
}

// Process handles the messages of one batch. An ordered batch fails every
// message after the first that failed, as a FIFO source requires.
func (p *Processor) Process(ctx context.Context, batch Batch) *Report {
	start := p.now()
	run := &invocation{p: p, cutoff: p.cutoff(ctx, start)}
	report := &Report{Messages: make([]MessageResult, len(batch.Messages)), DryRun: p.DryRun}
	for i, msg := range batch.Messages {
		report.Messages[i].MessageID = msg.ID
		report.Messages[i].Lineage = msg.Lineage
	}

	for _, msg := range batch.Messages {
		// The event holds each body twice: as received and decoded.
		run.memory += 2 * int64(len(msg.Body))
	}
	requests := run.parse(ctx, batch, report)
	if handedOn := countClass(report, erasure.Capacity); handedOn > 0 {
		p.logger().WarnContext(ctx, "the batch holds more accounts than the function's memory allows at once; messages beyond it are handed on unread",
			"messages", handedOn, "memoryBudgetBytes", p.MemoryBudget)
	}
	accounts := 0
	for _, m := range report.Messages {
		accounts += len(m.Request.Accounts)
	}
	run.reserveFor(len(batch.Messages), accounts)
	run.plan = NewPlan(requests)
	run.parts = p.newParts(len(run.plan.Entries))
	calls := Pack(run.plan.Entries, erasure.MaxAccountsPerCall)
	report.Accounts = len(run.plan.Entries) + unplannedAccounts(report, requests, run.plan)
	report.PlannedCalls = len(calls) * len(run.parts)
	report.Parts = partNames(run.parts)
	report.Verification = VerificationOff
	if p.Verify && !p.DryRun {
		report.Verification = VerificationReadBack
	}

	if p.DryRun {
		run.failAll(erasure.DryRun, errDryRun)
		logPlan(ctx, p.logger(), calls)
	} else {
		run.sendAll(ctx, calls)
	}

	run.settle(report, batch.Ordered)
	report.Calls = int(run.calls.Load())
	report.Retries = int(run.retries.Load())
	report.RateLimited = int(run.rateLimited.Load())
	report.Splits = int(run.splits.Load())
	report.Duration = p.now().Sub(start)
	return report
}

// parse validates every message and resolves its attribute set. Failures
// are written into report; the requests to send are returned indexed by
// message, with their attributes resolved (a failed message has none).
func (run *invocation) parse(ctx context.Context, batch Batch, report *Report) []erasure.Request {
	requests := make([]erasure.Request, len(batch.Messages))
	run.explicit = make([][]string, len(batch.Messages))
	attrs := attrResolver{run: run, ctx: ctx}
	blocked := false
	for i, msg := range batch.Messages {
		m := &report.Messages[i]
		if blocked {
			m.Request, _, _ = run.parseOne(ctx, msg.Body, nil) // for the audit line
			m.Outcome, m.Class, m.Err = Failed, erasure.FIFOBlocked, errFIFOBlocked
			continue
		}
		req, set, err := run.parseOne(ctx, msg.Body, &attrs)
		m.Request = req // on error, the audit fields that could be read
		if err != nil {
			var invalid *erasure.Error
			if errors.As(err, &invalid) {
				m.Outcome, m.Class = Invalid, erasure.Invalid
			} else {
				m.Outcome, m.Class = Failed, classOf(err)
			}
			m.Err = err
			blocked = batch.Ordered
			continue
		}
		if !run.fits(len(req.Accounts)) {
			m.Outcome, m.Class, m.Err, m.Unreached = Failed, erasure.Capacity, errCapacity, true
			blocked = batch.Ordered
			continue
		}
		run.explicit[i] = req.Attrs
		req.Attrs = set
		requests[i] = req
	}
	return requests
}

// fits reserves memory for planning accounts more accounts and tells
// whether the batch's budget allows it.
func (run *invocation) fits(accounts int) bool {
	need := int64(accounts) * memoryPerAccount
	// The first message always goes ahead, so that a batch makes progress
	// whatever the estimate says.
	if run.p.MemoryBudget > 0 && run.admitted > 0 && run.memory+need > run.p.MemoryBudget {
		return false
	}
	run.memory += need
	run.admitted++
	return true
}

// parseOne parses one body and, unless attrs is nil, resolves the
// attributes to remove. A panic fails this message only.
func (run *invocation) parseOne(ctx context.Context, body string, attrs *attrResolver) (req erasure.Request, set []string, err error) {
	defer func() {
		if v := recover(); v != nil {
			req, set, err = erasure.Request{}, nil, recovered(ctx, run.p.logger(), "parsing a message", v)
		}
	}()
	if req, err = run.p.parse(body); err != nil || attrs == nil {
		return req, nil, err
	}
	set, err = attrs.resolve(req)
	return req, set, err
}

// parse is erasure.Parse, or a test's replacement.
func (p *Processor) parse(body string) (erasure.Request, error) {
	if p.parseHook != nil {
		return p.parseHook(body)
	}
	return erasure.Parse(body)
}

// attrResolver decides the attributes each message removes, checking names
// against the app's before they cost a call. It reads the app's names at
// most once per invocation from the cache, once more fresh when a message
// gives a name the list lacks, and only if a message needs them.
type attrResolver struct {
	run *invocation
	ctx context.Context

	fetched  bool
	list     attrNameList
	namesErr error

	defaultsChecked bool
	defaultsErr     error
}

func (a *attrResolver) names() (attrNameList, error) {
	if !a.fetched {
		a.fetched = true
		a.list, a.namesErr = a.run.p.cachedAttrNames(a.ctx, a.run)
	}
	return a.list, a.namesErr
}

// fresh returns a list at most freshAttrNamesAge old.
func (a *attrResolver) fresh() (attrNameList, error) {
	since := a.run.p.now().Add(-freshAttrNamesAge)
	if a.namesErr == nil && !a.list.readAt.Before(since) {
		return a.list, nil
	}
	a.list, a.namesErr = a.run.p.appAttrNames(a.ctx, a.run, since)
	return a.list, a.namesErr
}

// resolve returns the attributes req removes: its own, else TIM_ATTRS,
// else every name of the app.
func (a *attrResolver) resolve(req erasure.Request) ([]string, error) {
	switch {
	case req.Attrs != nil:
		return req.Attrs, a.checkNamed(req.Attrs)
	case a.run.p.DefaultAttrs != nil:
		return a.run.p.DefaultAttrs, a.checkDefaults()
	}
	all, err := a.names()
	if err != nil {
		return nil, fmt.Errorf("read the app's attribute names: %w", err)
	}
	if len(all.names) == 0 {
		return nil, errors.New("the app has no attribute names and the message names none")
	}
	return all.names, nil
}

// checkNamed rejects a message naming an attribute the app does not have,
// judged against a list at most freshAttrNamesAge old: the cached one may
// predate a name added in the console. While the names cannot be read the
// message is held, never sent unchecked: merged with another message
// naming the same account, an unknown name would fail that one too.
func (a *attrResolver) checkNamed(attrs []string) error {
	list, err := a.names()
	if err == nil && missingName(attrs, list.names) >= 0 {
		list, err = a.fresh()
	}
	if err != nil {
		return &namesError{reason: "held: the app's attribute names could not be read to check the message's attrs", err: err}
	}
	if i := missingName(attrs, list.names); i >= 0 {
		return &erasure.Error{Field: fmt.Sprintf("attrs[%d]", i), Reason: "is not an attribute name of this app"}
	}
	return nil
}

// missingName is the index of the first of attrs that known lacks, or -1.
func missingName(attrs, known []string) int {
	for i, name := range attrs {
		if !slices.Contains(known, name) {
			return i
		}
	}
	return -1
}

// checkDefaults checks TIM_ATTRS once per invocation. A name the app lacks
// would be rejected for every account of every message using it, so those
// messages fail as configuration (systemic) before any call is sent.
func (a *attrResolver) checkDefaults() error {
	if a.defaultsChecked {
		return a.defaultsErr
	}
	a.defaultsChecked = true
	known, err := a.names()
	if err != nil {
		a.defaultsErr = fmt.Errorf("read the app's attribute names to check %s: %w", a.run.p.defaultAttrsSetting(), err)
		return a.defaultsErr
	}
	var unknown []string
	for _, name := range a.run.p.DefaultAttrs {
		if !slices.Contains(known.names, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		// Attribute names are the app's schema, not personal data: naming
		// them tells the operator what to fix.
		setting := a.run.p.defaultAttrsSetting()
		a.defaultsErr = &erasure.ConfigError{Variable: setting, Reason: fmt.Sprintf("names attributes the app does not have: %s", strings.Join(unknown, ","))}
		a.run.p.logger().ErrorContext(a.ctx, "invalid configuration: messages without attrs fail until it is fixed",
			"variable", setting, "error", a.defaultsErr)
	}
	return a.defaultsErr
}

// sendAll sends the planned calls of every part, each part with at most
// MaxInFlight calls in flight: the parts have separate rate windows, so one
// must not wait for the other's slots.
func (run *invocation) sendAll(ctx context.Context, calls [][]Entry) {
	var wg sync.WaitGroup
	for _, pt := range run.parts {
		work := make(chan []int)
		for range min(cmp.Or(run.p.Tuning.MaxInFlight, DefaultMaxInFlight), len(calls)) {
			wg.Go(func() {
				for idx := range work {
					run.sendRecovering(ctx, pt, idx)
				}
			})
		}
		wg.Go(func() {
			defer close(work)
			next := 0
			for _, call := range calls {
				idx := make([]int, len(call))
				for j := range idx {
					idx[j] = next + j
				}
				next += len(call)
				work <- idx
			}
		})
	}
	wg.Wait()
	// Every read-back was started by a removal above, or by another
	// read-back still running.
	run.verifying.Wait()
}

// sendRecovering sends one planned call of pt. A panic fails only the
// entries of that call not yet decided, and the other workers go on.
func (run *invocation) sendRecovering(ctx context.Context, pt *part, idx []int) {
	defer func() {
		if v := recover(); v != nil {
			pt.failUndecided(idx, erasure.Internal, recovered(ctx, run.p.logger(), "sending a call", v))
		}
	}()
	run.send(ctx, pt, idx, 0)
}

// failAll marks every entry not yet decided as failed, in every part.
func (run *invocation) failAll(class erasure.Class, err error) {
	for _, pt := range run.parts {
		pt.failUndecided(nil, class, err)
	}
}

// result is entry i's outcome over every part: erased when each part is,
// else the first part's failure.
func (run *invocation) result(i int) (res entryResult, started bool) {
	res = entryResult{erased: true}
	for _, pt := range run.parts {
		r := pt.result(i)
		started = started || pt.started[i]
		switch {
		case !r.erased && res.erased:
			res = r
		case r.erased && res.erased:
			res.absent = res.absent || r.absent
		}
	}
	return res, started
}

// settle maps entry results back to messages.
func (run *invocation) settle(report *Report, ordered bool) {
	for _, pt := range run.parts {
		pt.failPending(nil, erasure.Deadline, errNotReadBack)
	}
	run.failAll(erasure.Deadline, errNotSent)
	for mi, err := range run.deleted.rejected {
		m := &report.Messages[mi]
		m.Outcome, m.Class, m.Err = Failed, erasure.Content, err
	}
	planned := make([]bool, len(report.Messages))
	reached := make([]bool, len(report.Messages))
	undone := make([]map[string]bool, len(report.Messages)) // parts not done, by message
	for i := range run.plan.Entries {
		res, started := run.result(i)
		for mi := range run.plan.Messages(i) {
			planned[mi] = true
			reached[mi] = reached[mi] || started
			for _, pt := range run.parts {
				if !pt.done(i) {
					if undone[mi] == nil {
						undone[mi] = map[string]bool{}
					}
					undone[mi][pt.name] = true
				}
			}
		}
		if res.class == erasure.Unverified {
			report.AccountsUnverified++
		}
		if res.erased {
			report.AccountsErased++
			if report.Verification == VerificationReadBack {
				// Only a clean read-back makes a part done.
				report.AccountsVerified++
				for mi := range run.plan.Messages(i) {
					report.Messages[mi].Verified++
				}
			}
			if res.absent {
				report.AccountsAbsent++
				for mi := range run.plan.Messages(i) {
					report.Messages[mi].Absent++
				}
			}
			continue
		}
		for mi := range run.plan.Messages(i) {
			m := &report.Messages[mi]
			if m.Outcome == "" {
				m.Outcome, m.Class, m.Err = Failed, res.class, res.err
			}
		}
	}
	firstFailed := -1
	for i := range report.Messages {
		m := &report.Messages[i]
		if m.Outcome == "" {
			m.Outcome = Erased
		}
		if planned[i] {
			for _, pt := range run.parts {
				if !undone[i][pt.name] {
					m.Done = append(m.Done, pt.name)
				}
			}
		}
		m.Unreached = m.Unreached || (m.Outcome == Failed && m.Class == erasure.Deadline && !reached[i])
		if m.Outcome != Erased && firstFailed < 0 {
			firstFailed = i
		}
	}
	if ordered && firstFailed >= 0 {
		// Nothing after the first failure may be acknowledged or handed
		// on: an invalid or content message there is blocked too, and
		// judged once it is first in line.
		for i := firstFailed + 1; i < len(report.Messages); i++ {
			m := &report.Messages[i]
			if m.Outcome == Erased || m.Outcome == Invalid || m.Class == erasure.Content {
				m.Outcome, m.Class, m.Err = Failed, erasure.FIFOBlocked, errors.Join(errFIFOBlocked, m.Err)
			}
		}
	}
	report.Systemic = systemic(report.Messages)
}

// systemic tells whether every valid message failed, all for a reason that
// fails every message alike. Invalid messages and those held back by the
// FIFO rule do not count: one bad message must not keep Lambda from backing
// off when the key is wrong.
func systemic(messages []MessageResult) bool {
	found := false
	for _, m := range messages {
		switch {
		case m.Class == erasure.FIFOBlocked || m.Outcome == Invalid:
		case m.Outcome == Erased || !m.Class.Systemic():
			return false
		default:
			found = true
		}
	}
	return found
}

// logPlan writes the calls a dry run would have made: sizes, never IDs.
func logPlan(ctx context.Context, logger *slog.Logger, calls [][]Entry) {
	accounts := 0
	for i, call := range calls {
		attrs := map[string]bool{}
		for _, e := range call {
			for _, a := range e.Attrs {
				attrs[a] = true
			}
		}
		accounts += len(call)
		logger.InfoContext(ctx, "dry run: planned call", "call", i+1, "accounts", len(call), "attrNames", len(attrs))
	}
	logger.InfoContext(ctx, "dry run: nothing sent, nothing acknowledged", "calls", len(calls), "accounts", accounts)
}

// unplannedAccounts counts the distinct accounts of the valid messages that
// failed before planning (their attributes could not be resolved) and that
// no planned message names too, so that Report.Accounts counts every valid
// message's accounts. Left out: messages handed on unread (capacity:
// bounding their memory is why they were not read) and those blocked
// unread behind a FIFO failure (their body may not even be valid). The set
// costs less than planning the same accounts would have, and lives only
// here.
func unplannedAccounts(report *Report, requests []erasure.Request, plan *Plan) int {
	extra := map[string]bool{}
	for i := range report.Messages {
		m := &report.Messages[i]
		if requests[i].Accounts != nil || m.Outcome == Invalid || m.Class == erasure.Capacity || m.Class == erasure.FIFOBlocked {
			continue
		}
		for _, a := range m.Request.Accounts {
			extra[a] = true
		}
	}
	if len(extra) == 0 {
		return 0
	}
	for _, e := range plan.Entries {
		delete(extra, e.Account)
	}
	return len(extra)
}

func countClass(report *Report, class erasure.Class) int {
	n := 0
	for _, m := range report.Messages {
		if m.Class == class {
			n++
		}
	}
	return n
}
