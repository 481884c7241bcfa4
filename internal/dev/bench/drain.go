// Row 7 of `make bench`: how fast a backlog drains at the deployment's
// parameters, with MaxConcurrency instances sharing Tencent's 100 calls/s.
//
// The queue is in process (memQueue). It plays SQS and the Lambda event
// source mapping together: moto cannot move thousands of messages a second
// on two cores, and what is measured is the function at its parameters, not
// SQS. Everything else is real: one app.New per instance, the hand-off
// (requeue, dead letter, delay) wired to the queue, and one Tencent
// stand-in shared by every instance.

package bench

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"gopkg.in/yaml.v3"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// Limits of Lambda and its SQS event source mapping that decide a batch.
const (
	// MaxEventBytes is Lambda's synchronous payload limit ("Request must
	// be smaller than 6291456 bytes"): the event source mapping stops
	// filling a batch before its event would pass it.
	MaxEventBytes = 6 << 20
	// maxBatchSize and maxBatchingWindow are the event source mapping's.
	maxBatchSize      = 10_000
	maxBatchingWindow = 300 * time.Second
	// maxTimeout is Lambda's longest function timeout.
	maxTimeout = 900 * time.Second
	// minConcurrency and maxConcurrency bound ScalingConfig.MaximumConcurrency.
	minConcurrency, maxConcurrency = 2, 1000
	// minMemorySize and maxMemorySize bound a function's MemorySize, in MB.
	minMemorySize, maxMemorySize = 128, 10_240
)

// DrainLatency is added to every Tencent request, as in row 1.
const DrainLatency = 30 * time.Millisecond

// What the queue writes into each record. Only lengths matter: they decide
// how many small messages fit in one 6 MB event.
const (
	// ReceiptHandleBytes is the length of the receipt handles the queue
	// issues: SQS allows up to 1,024 bytes; real ones are a few hundred.
	ReceiptHandleBytes = 300
	drainQueueARN      = "arn:aws:sqs:eu-central-1:123456789012:attr-eraser-ErasureQueue"
	drainRegion        = "eu-central-1"
	drainSenderID      = "AIDAIENQZJOLO23YVJ4VO"
	drainFunctionARN   = "arn:aws:lambda:eu-central-1:123456789012:function:attr-eraser"
)

// emptyEventBytes is the JSON of an event with no record: {"Records":[]}.
var emptyEventBytes = len(`{"Records":[]}`)

// ---------------------------------------------------------------------------
// Parameters, read from template.yaml.

// DrainParams are the deployment settings one drain runs with.
type DrainParams struct {
	// BatchSize and Window are the event source mapping's BatchSize and
	// MaximumBatchingWindowInSeconds.
	BatchSize int
	Window    time.Duration
	// Timeout is the function's; each invocation's context deadline.
	Timeout time.Duration
	// MemorySize is the function's, in MB: rows 9 and 10 run the
	// bootstrap in a Lambda-sized group of it (row 7 runs in process,
	// unconfined).
	MemorySize int
	// MaxConcurrency is ScalingConfig.MaximumConcurrency: the instances.
	MaxConcurrency int
	// RatePerInstance is RATE_LIMIT_PER_SECOND.
	RatePerInstance int
	// Visibility is the queue's VisibilityTimeout: when a message neither
	// acknowledged nor delayed by the hand-off comes back.
	Visibility time.Duration
	// MaxReceiveCount is the redrive policy's; 0 means none.
	MaxReceiveCount int
	// Backoff is the hand-off's delay schedule (RETRY_BASE_SECONDS,
	// RETRY_MAX_SECONDS).
	Backoff erasure.Schedule
	// Env holds the function's behaviour settings from the template
	// (behaviourVariables); the bench sets the endpoints itself.
	Env map[string]string
	// Notes say which values are not the template's own and why.
	Notes []string
}

// behaviourVariables are the function's variables a drain takes from the
// template: what it erases and how. The others name endpoints, identities
// and AWS resources the bench replaces with its stand-ins (or has none of,
// like the receipt event bus).
var behaviourVariables = []string{config.EnvAttrs, config.EnvAPI, config.EnvEraseTags, config.EnvVerifyErasure, config.EnvDryRun, config.EnvLogLevel}

// DrainOverrides replace template values (the bench command's flags). Zero
// fields, and a negative Window, keep the template's.
type DrainOverrides struct {
	BatchSize, MaxConcurrency, MemorySize int
	Timeout, Window                       time.Duration
}

// ReadDrainParams reads the drain's parameters from the SAM template at
// path: the function with an SQS event, its event source mapping and its
// queue. Values may be literals, a !Ref to a parameter's Default, or a
// !FindInMap (keyed by MaxConcurrency, say); o replaces them, and a
// MaxConcurrency given in o also keys the mappings that depend on it.
func ReadDrainParams(path string, o DrainOverrides) (DrainParams, error) {
	t, err := loadTemplate(path)
	if err != nil {
		return DrainParams{}, err
	}
	fn, evProps, err := t.sqsMapping()
	if err != nil {
		return DrainParams{}, fmt.Errorf("%s: %w", path, err)
	}
	r := &paramReader{t: t}
	var p DrainParams

	mc := dig(evProps, "ScalingConfig", "MaximumConcurrency")
	p.MaxConcurrency = r.overrideInt("MaximumConcurrency", mc, o.MaxConcurrency, -1)
	if ref, ok := refName(mc); ok && o.MaxConcurrency > 0 {
		t.refs[ref] = strconv.Itoa(o.MaxConcurrency) // !FindInMap keyed by it follow
	}
	p.BatchSize = r.overrideInt("BatchSize", dig(evProps, "BatchSize"), o.BatchSize, 10) // SAM's default
	p.Window = r.overrideSeconds("MaximumBatchingWindowInSeconds", dig(evProps, "MaximumBatchingWindowInSeconds"), o.Window, 0, o.Window >= 0)
	timeout := cmp.Or(dig(fn, "Properties", "Timeout"), dig(t.root, "Globals", "Function", "Timeout"))
	p.Timeout = r.overrideSeconds("Timeout", timeout, o.Timeout, 3, o.Timeout > 0) // SAM's default: 3 s
	memory := cmp.Or(dig(fn, "Properties", "MemorySize"), dig(t.root, "Globals", "Function", "MemorySize"))
	p.MemorySize = r.overrideInt("MemorySize", memory, o.MemorySize, 128) // SAM's default

	p.RatePerInstance = r.rate(t.env(fn, config.EnvRateLimit), p.MaxConcurrency)
	r.queue(cmp.Or(evProps["EventSourceArn"], evProps["Queue"]), &p)
	if o.Timeout > 0 || o.Window >= 0 {
		r.followTimeout(&p)
	}
	p.Backoff = erasure.Schedule{
		Base: r.optionalSeconds("retry base", t.retry(fn, config.EnvRetryBase, "RetryBase"), erasure.DefaultRetryBase),
		Max:  r.optionalSeconds("retry max", t.retry(fn, config.EnvRetryMax, "RetryMax"), erasure.DefaultRetryMax),
	}
	p.Env = r.env(fn)
	p.Notes = r.notes
	if err := errors.Join(append(r.errs, p.validate())...); err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// validate rejects what Lambda would not deploy.
func (p DrainParams) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.BatchSize < 1 || p.BatchSize > maxBatchSize {
		bad("BatchSize %d: Lambda allows 1 to %d", p.BatchSize, maxBatchSize)
	}
	if p.Window < 0 || p.Window > maxBatchingWindow || p.Window%time.Second != 0 {
		bad("batching window %v: Lambda allows whole seconds from 0 to %v", p.Window, maxBatchingWindow)
	}
	if p.BatchSize > 10 && p.Window < time.Second {
		bad("BatchSize %d needs a batching window of at least 1 s (Lambda's rule for standard queues)", p.BatchSize)
	}
	if p.Timeout < time.Second || p.Timeout > maxTimeout || p.Timeout%time.Second != 0 {
		bad("Timeout %v: Lambda allows whole seconds from 1 s to %v", p.Timeout, maxTimeout)
	}
	if p.MemorySize < minMemorySize || p.MemorySize > maxMemorySize {
		bad("MemorySize %d MB: Lambda allows %d to %d", p.MemorySize, minMemorySize, maxMemorySize)
	}
	if p.MaxConcurrency < minConcurrency || p.MaxConcurrency > maxConcurrency {
		bad("MaximumConcurrency %d: Lambda allows %d to %d", p.MaxConcurrency, minConcurrency, maxConcurrency)
	}
	if p.RatePerInstance < 1 {
		bad("RATE_LIMIT_PER_SECOND %d: at least 1 (MaximumConcurrency at most %d)", p.RatePerInstance, RateLimit)
	}
	return errors.Join(errs...)
}

// paramReader resolves template values, collecting errors and notes.
type paramReader struct {
	t     *cfnTemplate
	errs  []error
	notes []string
}

// whole resolves v to a whole number; an absent v is def, or an error when
// def < 0 (required).
func (r *paramReader) whole(name string, v any, def int) int {
	if v == nil {
		if def < 0 {
			r.errs = append(r.errs, fmt.Errorf("%s is not in the template; give it on the command line", name))
		}
		return def
	}
	s, err := r.t.resolve(v)
	if err == nil {
		var n int
		if n, err = strconv.Atoi(s); err == nil {
			return n
		}
	}
	r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
	return 0
}

// overrideInt is over when set, else the template's value.
func (r *paramReader) overrideInt(name string, v any, over, def int) int {
	if over > 0 {
		return over
	}
	return r.whole(name, v, def)
}

// overrideSeconds is over when set, else the template's value in seconds.
func (r *paramReader) overrideSeconds(name string, v any, over time.Duration, def int, set bool) time.Duration {
	if set {
		return over
	}
	return time.Duration(r.whole(name, v, def)) * time.Second
}

// optionalSeconds is v in seconds, or def with a note when the template
// does not say or says something that cannot be read.
func (r *paramReader) optionalSeconds(name string, v any, def time.Duration) time.Duration {
	if v != nil {
		if s, err := r.t.resolve(v); err == nil {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("%s %.0f s (default)", name, def.Seconds()))
	return def
}

// rate is the template's RATE_LIMIT_PER_SECOND for n instances. When it
// cannot be read, or would let n instances pass Tencent's limit (a literal
// written for another MaxConcurrency), it is floor(100/n), the template's
// rule.
func (r *paramReader) rate(v any, n int) int {
	rule := RateLimit / max(n, 1)
	if v == nil {
		r.notes = append(r.notes, fmt.Sprintf("%s not in the template: floor(100/%d) = %d", config.EnvRateLimit, n, rule))
		return rule
	}
	s, err := r.t.resolve(v)
	rate, convErr := strconv.Atoi(s)
	switch {
	case err != nil:
	case convErr != nil:
		err = convErr
	case rate < 1:
		err = fmt.Errorf("%d calls/s", rate)
	case rate*n > RateLimit:
		err = fmt.Errorf("%d calls/s x %d instances > %d", rate, n, RateLimit)
	}
	if err != nil {
		r.notes = append(r.notes, fmt.Sprintf("the template's %s does not hold for MaxConcurrency %d (%v): floor(100/%d) = %d",
			config.EnvRateLimit, n, err, n, rule))
		return rule
	}
	return rate
}

// env resolves the function's behaviourVariables; one that cannot be read
// is left to config's default, with a note.
func (r *paramReader) env(fn map[string]any) map[string]string {
	env := map[string]string{}
	for _, name := range behaviourVariables {
		v := r.t.env(fn, name)
		if v == nil {
			continue
		}
		s, err := r.t.resolve(v)
		if err != nil {
			r.notes = append(r.notes, fmt.Sprintf("%s: %v; the function's default", name, err))
			continue
		}
		env[name] = s
	}
	return env
}

// followTimeout keeps the queue's visibility timeout at least 6 x Timeout
// + window (AWS's rule for event source mappings, and the template's) when
// the command line changes them: a message whose invocation outlives it
// would be delivered twice.
func (r *paramReader) followTimeout(p *DrainParams) {
	if rule := 6*p.Timeout + p.Window; p.Visibility < rule {
		r.notes = append(r.notes, fmt.Sprintf("visibility timeout %.0f s (6 x Timeout + window; the template's is %.0f s)", rule.Seconds(), p.Visibility.Seconds()))
		p.Visibility = rule
	}
}

// queue reads the visibility timeout and redrive policy of the queue the
// event source mapping reads (!GetAtt Queue.Arn); SQS's defaults otherwise.
func (r *paramReader) queue(ref any, p *DrainParams) {
	p.Visibility = 30 * time.Second
	var props any
	if id, ok := getAttResource(ref); ok {
		props = dig(r.t.root, "Resources", id, "Properties")
	}
	if props == nil {
		r.notes = append(r.notes, "queue not found in the template: visibility 30 s, no redrive policy")
		return
	}
	if v := dig(props, "VisibilityTimeout"); v != nil {
		p.Visibility = time.Duration(r.whole("VisibilityTimeout", v, 30)) * time.Second
	}
	if v := dig(props, "RedrivePolicy", "maxReceiveCount"); v != nil {
		p.MaxReceiveCount = r.whole("maxReceiveCount", v, 0)
	}
}

// cfnTemplate is a CloudFormation template as plain values, its short-form
// intrinsics in long form ({"Ref": x}, {"Fn::FindInMap": [...]}).
type cfnTemplate struct {
	root any
	// refs replace parameters' Defaults (MaxConcurrency from a flag).
	refs map[string]string
}

func loadTemplate(path string) (*cfnTemplate, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfnTemplate{root: cfnValue(&doc), refs: map[string]string{}}, nil
}

// cfnValue turns a YAML node into maps, slices and scalars, expanding
// CloudFormation's short-form tags: !Ref x -> {"Ref": x}, !GetAtt a.b ->
// {"Fn::GetAtt": [a, b]}, !FindInMap [...] -> {"Fn::FindInMap": [...]}.
func cfnValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return cfnIntrinsic(n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfnValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = cfnValue(c)
		}
		return s
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return v
}

func cfnIntrinsic(n *yaml.Node) any {
	name := "Fn::" + n.Tag[1:]
	if n.Tag == "!Ref" || n.Tag == "!Condition" {
		name = n.Tag[1:]
	}
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!GetAtt" {
			res, attr, _ := strings.Cut(n.Value, ".")
			return map[string]any{name: []any{res, attr}}
		}
		return map[string]any{name: n.Value}
	}
	c := *n
	c.Tag = ""
	return map[string]any{name: cfnValue(&c)}
}

// dig walks maps by key; a missing step yields nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func refName(v any) (string, bool) {
	s, ok := dig(v, "Ref").(string)
	return s, ok
}

func getAttResource(v any) (string, bool) {
	a, _ := dig(v, "Fn::GetAtt").([]any)
	if len(a) == 0 {
		return "", false
	}
	s, ok := a[0].(string)
	return s, ok
}

// resolve evaluates a literal, a !Ref to a parameter (its Default, or a
// value in refs) or a !FindInMap to a string. Anything else (!If, !Sub, a
// pseudo parameter) is an error: the command line must give the value.
func (t *cfnTemplate) resolve(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, float64, bool:
		return fmt.Sprint(x), nil
	case map[string]any:
		if name, ok := refName(x); ok {
			return t.param(name)
		}
		if args, ok := x["Fn::FindInMap"].([]any); ok && len(args) == 3 {
			return t.findInMap(args)
		}
	}
	return "", fmt.Errorf("cannot evaluate %v", v)
}

func (t *cfnTemplate) param(name string) (string, error) {
	if v, ok := t.refs[name]; ok {
		return v, nil
	}
	def := dig(t.root, "Parameters", name, "Default")
	if def == nil {
		return "", fmt.Errorf("!Ref %s: no such parameter with a Default", name)
	}
	return t.resolve(def)
}

func (t *cfnTemplate) findInMap(args []any) (string, error) {
	keys := make([]string, 3)
	for i, a := range args {
		s, err := t.resolve(a)
		if err != nil {
			return "", err
		}
		keys[i] = s
	}
	v := dig(t.root, "Mappings", keys[0], keys[1], keys[2])
	if v == nil {
		return "", fmt.Errorf("!FindInMap %v: no such entry", keys)
	}
	return t.resolve(v)
}

// sqsMapping finds the function that reads an SQS queue and its mapping's
// properties: an AWS::Lambda::EventSourceMapping resource from a queue, or
// else a SAM event of Type SQS (the first in name order, for a stable
// answer). Both name the queue: EventSourceArn or Queue.
func (t *cfnTemplate) sqsMapping() (fn, props map[string]any, err error) {
	res, _ := dig(t.root, "Resources").(map[string]any)
	ids := slices.Sorted(maps.Keys(res))
	for _, id := range ids {
		p, _ := dig(res[id], "Properties").(map[string]any)
		queue, _ := getAttResource(p["EventSourceArn"])
		if dig(res[id], "Type") != "AWS::Lambda::EventSourceMapping" || dig(res, queue, "Type") != "AWS::SQS::Queue" {
			continue
		}
		name, ok := refName(p["FunctionName"])
		if !ok {
			name, _ = getAttResource(p["FunctionName"])
		}
		if fn, _ = res[name].(map[string]any); fn != nil {
			return fn, p, nil
		}
	}
	for _, id := range ids {
		if dig(res[id], "Type") != "AWS::Serverless::Function" {
			continue
		}
		evs, _ := dig(res[id], "Properties", "Events").(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(evs)) {
			if dig(evs[name], "Type") == "SQS" {
				fn, _ = res[id].(map[string]any)
				props, _ = dig(evs[name], "Properties").(map[string]any)
				return fn, props, nil
			}
		}
	}
	return nil, nil, errors.New("no function reads an SQS queue (AWS::Lambda::EventSourceMapping, or a SAM event of Type SQS)")
}

// env is the function's environment variable name, or Globals' one.
func (t *cfnTemplate) env(fn map[string]any, name string) any {
	return cmp.Or(dig(fn, "Properties", "Environment", "Variables", name),
		dig(t.root, "Globals", "Function", "Environment", "Variables", name))
}

// retry is a retry setting: the function's variable, else a parameter
// named like it (RetryBase, RetryBaseSeconds), else nil.
func (t *cfnTemplate) retry(fn map[string]any, variable, param string) any {
	if v := t.env(fn, variable); v != nil {
		return v
	}
	params, _ := dig(t.root, "Parameters").(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if strings.HasPrefix(name, param) {
			return map[string]any{"Ref": name}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Shapes.

// DrainShape is one kind of backlog: messages of AccountsPerMessage
// distinct accounts each.
type DrainShape struct {
	Name               string
	AccountsPerMessage int
	// OneRound makes the backlog one full batch per instance, whatever
	// the minimum: the largest messages measure how long one batch takes
	// and whether it fits in one invocation, not a rate.
	OneRound bool
	tag      string
}

// The drain shapes, by the names -drain-shapes takes.
var (
	DrainSingle  = DrainShape{Name: "1 acc/msg", AccountsPerMessage: 1, tag: "s"}
	DrainHundred = DrainShape{Name: "100 acc/msg", AccountsPerMessage: 100, tag: "h"}
	DrainLargest = DrainShape{Name: "10,000 acc/msg", AccountsPerMessage: erasure.MaxAccountsPerRequest, OneRound: true, tag: "l"}
	DrainShapes  = map[string]DrainShape{"single": DrainSingle, "hundred": DrainHundred, "largest": DrainLargest}
)

// body is message m of the backlog; accounts never repeat across messages.
func (s DrainShape) body(m int) string {
	return Shape{AccountsPerMessage: s.AccountsPerMessage}.Body(s.tag, m)
}

// untimed is the shape of messages sent around the timed backlog: the
// same, with other accounts (prefix tells them apart).
func (s DrainShape) untimed(prefix string) DrainShape {
	s.tag = prefix + s.tag
	return s
}

// owns tells whether account is one of s's: Account(tag, n) is a prefix
// made of the tag, followed by n.
func (s DrainShape) owns(account string) bool {
	return strings.HasPrefix(account, strings.TrimSuffix(Account(s.tag, 0), "0"))
}

// untimedAccounts is the least primer and trailer: one second of calls at
// the ceiling fills every instance's rate window.
const untimedAccounts = int(Ceiling)

// backlog returns the bodies of a backlog and the messages of its first
// full batch. It holds at least minAccounts, in whole rounds of full
// batches (one per instance), cut exactly as the queue will cut them when
// more messages follow, so that every instance has the same work and no
// batch waits for the window to fill.
func backlog(s DrainShape, p DrainParams, minAccounts int) (bodies []string, perBatch int) {
	batches, inBatch, size := 0, 0, emptyEventBytes
	closeBatch := func() bool {
		batches++
		perBatch = cmp.Or(perBatch, inBatch)
		inBatch, size = 0, emptyEventBytes
		return batches%p.MaxConcurrency == 0 && len(bodies)*s.AccountsPerMessage >= minAccounts
	}
	for m := 0; ; m++ {
		body := s.body(m)
		n := firstRecordBytes(body)
		if inBatch > 0 && size+1+n > MaxEventBytes && closeBatch() {
			return bodies, perBatch
		}
		size += n
		if inBatch > 0 {
			size++ // the comma
		}
		inBatch++
		bodies = append(bodies, body)
		if inBatch == p.BatchSize && closeBatch() {
			return bodies, perBatch
		}
	}
}

// firstRecordBytes is the JSON size of body's record on its first receive.
// Ids, receipt handles and timestamps have fixed lengths, so it depends on
// the body only.
func firstRecordBytes(body string) int {
	now := time.Now()
	m := &qMessage{id: messageID(0), body: body, md5: md5Hex(body), sent: now, firstReceive: now, receives: 1, receipt: receiptHandle(0)}
	return recordBytes(m.record())
}

// ---------------------------------------------------------------------------
// The queue: SQS and the event source mapping, in memory.

// qMessage is one message of the queue.
type qMessage struct {
	id, body, md5 string
	attrs         map[string]events.SQSMessageAttribute
	sent          time.Time
	firstReceive  time.Time
	receives      int
	receipt       string    // of the latest receive
	visibleAt     time.Time // while hidden
	// timed: an original of the timed backlog, not yet received.
	timed bool
	// deleted: gone, though still in ready (skipped when reached).
	deleted bool
}

// memQueue is a standard queue with its dead-letter queue, and the receive
// side of the event source mapping. It implements sqsq.HandOffer for the
// function's hand-off. It is safe for concurrent use.
type memQueue struct {
	visibility time.Duration
	maxReceive int
	now        func() time.Time
	// lineageKey signs the copies' lineage as sqsq does, so that the
	// function trusts it; set before the drain starts.
	lineageKey []byte

	mu     sync.Mutex
	ready  []*qMessage        // visible, in arrival order
	hidden map[*qMessage]bool // received or delayed
	// receipts holds each message's latest receipt handle, visible or
	// not: SQS deletes with it until the message is received again.
	receipts map[string]*qMessage
	live     int // messages in ready or hidden, not deleted
	dlq      []*qMessage
	seq      int
	changed  chan struct{} // closed at every change a poller may wait for
	// nextReveal is no later than the earliest hidden message's time
	// (zero: none hidden), so most receives skip scanning them.
	nextReveal time.Time

	// The clock runs from the timed backlog's first receive to the end of
	// the last batch holding its first receives: timedLeft counts the
	// originals not yet received, timedOut the batches holding some.
	timedLeft, timedOut  int
	clockStart, clockEnd time.Time
	stats                queueStats
}

// queueStats counts what the hand-off and the redrive policy did, and the
// largest event.
type queueStats struct {
	Requeued, DeadLettered, Delayed int
	Redriven                        int // moved to the DLQ by maxReceiveCount
	MaxEventBytes                   int
}

func newMemQueue(visibility time.Duration, maxReceive int, now func() time.Time) *memQueue {
	return &memQueue{visibility: visibility, maxReceive: maxReceive, now: now,
		hidden: map[*qMessage]bool{}, receipts: map[string]*qMessage{}, changed: make(chan struct{})}
}

// changedLocked wakes every poller waiting for the queue.
func (q *memQueue) changedLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// send adds a message at the back, visible at once.
func (q *memQueue) send(body string, attrs map[string]events.SQSMessageAttribute, timed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sendLocked(body, attrs, timed)
}

func (q *memQueue) sendLocked(body string, attrs map[string]events.SQSMessageAttribute, timed bool) {
	if timed {
		q.timedLeft++
	}
	q.seq++
	q.ready = append(q.ready, &qMessage{id: messageID(q.seq), body: body, md5: md5Hex(body), attrs: attrs, sent: q.now(), timed: timed})
	q.live++
	q.changedLocked()
}

// requeue sends o's copy. It is not timed: in a long backlog it would be
// handled after everything queued behind its original.
func (q *memQueue) requeue(o eraser.Order, rec events.SQSMessage) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sendLocked(rec.Body, copyAttributes(o, rec, q.lineageKey), false)
	q.stats.Requeued++
}

// deleteBatch removes messages by receipt handle, as DeleteMessageBatch:
// one that became visible again is deleted too, until it is received again
// (its handle is then stale and does nothing).
func (q *memQueue) deleteBatch(receipts []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, r := range receipts {
		if m := q.receipts[r]; m != nil {
			q.removeLocked(m)
			m.deleted = true
		}
	}
	q.changedLocked()
}

// removeLocked takes m out of the queue's bookkeeping.
func (q *memQueue) removeLocked(m *qMessage) {
	delete(q.receipts, m.receipt)
	delete(q.hidden, m)
	q.live--
}

// changeVisibility hides a received message until now + d.
func (q *memQueue) changeVisibility(receipt string, d time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.receipts[receipt]
	if m == nil || !q.hidden[m] {
		return errors.New("MessageNotInflight: the receipt handle is stale or the message is visible")
	}
	q.hideLocked(m, q.now().Add(d))
	q.changedLocked()
	return nil
}

// finish notes that b's invocation ended; the clock stops with the last
// batch holding first receives of the timed backlog.
func (q *memQueue) finish(b *eventBatch) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !b.timed {
		return
	}
	if q.timedOut--; q.timedOut == 0 && q.timedLeft == 0 {
		q.clockEnd = q.now()
	}
}

// hideLocked hides m until t.
func (q *memQueue) hideLocked(m *qMessage, t time.Time) {
	m.visibleAt = t
	if q.nextReveal.IsZero() || t.Before(q.nextReveal) {
		q.nextReveal = t
	}
}

// revealLocked makes hidden messages whose time has come visible again and
// returns when the next one will be (zero if none).
func (q *memQueue) revealLocked(now time.Time) time.Time {
	if q.nextReveal.IsZero() || now.Before(q.nextReveal) {
		return q.nextReveal
	}
	q.nextReveal = time.Time{}
	for m := range q.hidden {
		if !m.visibleAt.After(now) {
			delete(q.hidden, m)
			q.ready = append(q.ready, m)
		} else if q.nextReveal.IsZero() || m.visibleAt.Before(q.nextReveal) {
			q.nextReveal = m.visibleAt
		}
	}
	return q.nextReveal
}

// eventBatch is a batch being gathered, with its event's JSON size.
type eventBatch struct {
	recs  []events.SQSMessage
	bytes int
	full  bool
	timed bool // holds a message of the timed backlog
}

func newEventBatch() *eventBatch { return &eventBatch{bytes: emptyEventBytes} }

// fill receives visible messages into b until it holds maxMsgs or the next
// record would take the event past maxBytes. A message received
// maxReceive times already goes to the DLQ instead (the redrive policy).
// It returns a channel closed at the queue's next change, when the next
// hidden message shows (zero if none), and whether the queue is empty.
func (q *memQueue) fill(b *eventBatch, maxMsgs, maxBytes int) (changed <-chan struct{}, next time.Time, empty bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	next = q.revealLocked(now)
	for len(b.recs) < maxMsgs && len(q.ready) > 0 {
		m := q.ready[0]
		if m.deleted {
			q.ready = q.ready[1:]
			continue
		}
		if q.maxReceive > 0 && m.receives >= q.maxReceive {
			q.ready = q.ready[1:]
			q.removeLocked(m)
			q.dlq = append(q.dlq, m)
			q.stats.Redriven++
			continue
		}
		if !q.receiveLocked(b, m, now, maxBytes) {
			b.full = true
			break
		}
		q.ready = q.ready[1:]
	}
	if len(b.recs) == maxMsgs {
		b.full = true
	}
	return q.changed, next, q.live == 0 && len(b.recs) == 0
}

// receiveLocked adds m's record to b unless it would not fit.
func (q *memQueue) receiveLocked(b *eventBatch, m *qMessage, now time.Time, maxBytes int) bool {
	prev := *m
	q.seq++
	m.receives++
	m.receipt = receiptHandle(q.seq)
	if m.firstReceive.IsZero() {
		m.firstReceive = now
	}
	rec := m.record()
	n := recordBytes(rec)
	if len(b.recs) > 0 {
		n++ // the comma
	}
	if len(b.recs) > 0 && b.bytes+n > maxBytes {
		*m = prev // not received after all
		return false
	}
	delete(q.receipts, prev.receipt)
	q.receipts[m.receipt] = m
	q.hideLocked(m, now.Add(q.visibility))
	q.hidden[m] = true
	b.recs = append(b.recs, rec)
	b.bytes += n
	if m.timed {
		q.startClockLocked(b, m, now)
	}
	return true
}

// receive gathers one batch as the event source mapping does: up to
// batchSize messages and MaxEventBytes of event, waiting at most window
// from the first message for more (in a backlog it fills at once). It
// waits while the queue has nothing visible, and returns false once the
// queue is empty or ctx ends.
func (q *memQueue) receive(ctx context.Context, batchSize int, window time.Duration) (*eventBatch, bool) {
	b := newEventBatch()
	var deadline time.Time
	for {
		changed, next, empty := q.fill(b, batchSize, MaxEventBytes)
		if len(b.recs) > 0 && deadline.IsZero() {
			deadline = q.now().Add(window)
		}
		switch {
		case empty:
			return nil, false
		case b.full, len(b.recs) > 0 && !q.now().Before(deadline):
			q.count(func(s *queueStats) { s.MaxEventBytes = max(s.MaxEventBytes, b.bytes) })
			return b, true
		}
		wake := deadline
		if !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
			wake = next
		}
		if !waitChange(ctx, changed, wake) {
			return nil, false
		}
	}
}

// startClockLocked counts m's first receive into b.
func (q *memQueue) startClockLocked(b *eventBatch, m *qMessage, now time.Time) {
	m.timed = false
	q.timedLeft--
	if !b.timed {
		b.timed = true
		q.timedOut++
	}
	if q.clockStart.IsZero() {
		q.clockStart = now
	}
}

// waitChange waits for changed, until t (zero: no limit) or ctx's end;
// false when ctx ended.
func waitChange(ctx context.Context, changed <-chan struct{}, t time.Time) bool {
	var timeout <-chan time.Time
	if !t.IsZero() {
		timer := time.NewTimer(time.Until(t))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	case <-timeout:
	}
	return true
}

// HandOff carries out the function's orders as sqsq does on SQS: a requeue
// is a new message at the back with the lineage, a dead letter a copy in
// the DLQ, a delay hides the received message for its time.
func (q *memQueue) HandOff(_ context.Context, records []events.SQSMessage, orders []eraser.Order) []error {
	errs := make([]error, len(orders))
	for i, o := range orders {
		rec := records[o.Message]
		switch o.Action {
		case eraser.Requeue:
			q.requeue(o, rec)
		case eraser.DeadLetter:
			q.deadLetter(o, rec)
		case eraser.Delay:
			if errs[i] = q.changeVisibility(rec.ReceiptHandle, o.Delay); errs[i] == nil {
				q.count(func(s *queueStats) { s.Delayed++ })
			}
		default:
			errs[i] = fmt.Errorf("unknown action %d", o.Action)
		}
	}
	return errs
}

func (q *memQueue) deadLetter(o eraser.Order, rec events.SQSMessage) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dlq = append(q.dlq, &qMessage{id: rec.MessageId, body: rec.Body, attrs: copyAttributes(o, rec, q.lineageKey)})
	q.stats.DeadLettered++
}

func (q *memQueue) count(f func(*queueStats)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f(&q.stats)
}

// snapshot returns the counters, the messages left (all) and the DLQ's,
// and the drain's clock (end zero: still running).
func (q *memQueue) snapshot() (s queueStats, left, dlq int, start, end time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats, q.live, len(q.dlq), q.clockStart, q.clockEnd
}

// copyAttributes are the message attributes of o's copy, as sqsq sends
// them: the record's own, then the lineage (and, dead-lettered, why),
// signed with lineageKey.
func copyAttributes(o eraser.Order, rec events.SQSMessage, lineageKey []byte) map[string]events.SQSMessageAttribute {
	attrs := maps.Clone(rec.MessageAttributes)
	if attrs == nil {
		attrs = map[string]events.SQSMessageAttribute{}
	}
	set := func(name, dataType, value string) {
		attrs[name] = events.SQSMessageAttribute{DataType: dataType, StringValue: &value,
			StringListValues: []string{}, BinaryListValues: [][]byte{}}
	}
	l := o.Lineage
	if l.OriginalMessageID != "" {
		set(sqsq.AttrOriginalMessageID, "String", l.OriginalMessageID)
	}
	if !l.FirstReceived.IsZero() {
		set(sqsq.AttrFirstReceived, "String", l.FirstReceived.UTC().Format(time.RFC3339Nano))
	}
	switch o.Action {
	case eraser.Requeue:
		set(sqsq.AttrRequeues, "Number", strconv.Itoa(l.Requeues))
	case eraser.DeadLetter:
		if l.Requeues > 0 {
			set(sqsq.AttrRequeues, "Number", strconv.Itoa(l.Requeues))
		}
		if o.Class != "" {
			set(sqsq.AttrClass, "String", string(o.Class))
		}
		set(sqsq.AttrReason, "String", cmp.Or(o.Reason, "unknown"))
	}
	if lineageKey != nil {
		value := func(name string) string {
			if a, ok := attrs[name]; ok && a.StringValue != nil {
				return *a.StringValue
			}
			return ""
		}
		set(sqsq.AttrLineageMAC, "String", sqsq.LineageMAC(lineageKey,
			value(sqsq.AttrOriginalMessageID), value(sqsq.AttrFirstReceived), value(sqsq.AttrRequeues)))
	}
	return attrs
}

// record is m as the event source mapping puts it in an event.
func (m *qMessage) record() events.SQSMessage {
	rec := events.SQSMessage{
		MessageId:     m.id,
		ReceiptHandle: m.receipt,
		Body:          m.body,
		Md5OfBody:     m.md5,
		Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(m.receives),
			"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
			"SenderId":                         drainSenderID,
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
		},
		MessageAttributes: m.attrs,
		EventSource:       "aws:sqs",
		EventSourceARN:    drainQueueARN,
		AWSRegion:         drainRegion,
	}
	if rec.MessageAttributes == nil {
		rec.MessageAttributes = map[string]events.SQSMessageAttribute{} // Lambda writes {}
	}
	if len(m.attrs) > 0 {
		// Stands in for SQS's digest of the attributes: same length.
		b, _ := json.Marshal(m.attrs)
		rec.Md5OfMessageAttributes = md5Hex(string(b))
	}
	return rec
}

// recordBytes is the JSON size of rec in the event.
func recordBytes(rec events.SQSMessage) int {
	b, _ := json.Marshal(rec)
	return len(b)
}

// messageID and receiptHandle have fixed lengths (a UUID; see
// ReceiptHandleBytes), so record sizes depend on the body only.
func messageID(n int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
}

func receiptHandle(n int) string {
	return fmt.Sprintf("AQEB%0*d", ReceiptHandleBytes-4, n)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ---------------------------------------------------------------------------
// The drain.

// Drain configures one drain.
type Drain struct {
	Shape  DrainShape
	Params DrainParams
	// MinAccounts is the least backlog; it is rounded up to whole rounds
	// of full batches (see backlog).
	MinAccounts int
	// Limit stops a drain that does not end: a failed invocation's
	// messages come back only after the visibility timeout.
	Limit time.Duration
	// Options are handed to app.New (experiments only; zero for the table).
	Options app.Options
}

// DrainResult is what one drain measured. Counts cover the whole run,
// untimed messages included, except Accounts, Erased and Invocations: the
// timed backlog's.
type DrainResult struct {
	Shape    string
	OneRound bool
	Params   DrainParams
	// Messages and Accounts are the timed backlog; UntimedAccounts went
	// ahead of it and behind it; BatchMessages are the messages of a full
	// batch (BatchSize, or fewer under the 6 MB cap).
	Messages, Accounts, UntimedAccounts, BatchMessages int
	// MaxEventBytes is the largest event sent.
	MaxEventBytes int
	// Erased counts distinct accounts of the backlog the stand-in removed
	// by the end of the run; Repeated the removals beyond the first (a
	// partly sent message sent again), untimed messages included.
	Erased, Repeated int
	// WallSeconds is the clock: from the backlog's first receive to the
	// end of the last invocation holding first receives of it (or to
	// Limit). SpanAccounts are the accounts the stand-in removed in that
	// time, whichever message they came from; AccountsPerS divides them.
	WallSeconds  float64
	SpanAccounts int
	AccountsPerS float64
	Efficiency   float64
	// Calls counts im_remove_attr requests; RateLimited the stand-in's
	// 60018 answers; MaxInWindow the most admitted in any second.
	Calls, RateLimited, MaxInWindow int
	// Invocations with messages of the backlog; FailedInvocations those
	// (of all) that returned an error or overran Timeout, whose whole batch
	// comes back after its visibility.
	Invocations, FailedInvocations int
	// InvocationMaxS is the longest invocation.
	InvocationMaxS float64
	// Requeued, Delayed and DeadLettered count the hand-off's orders;
	// Redriven the messages SQS's redrive policy moved to the DLQ.
	Requeued, Delayed, DeadLettered, Redriven int
	// DLQ is the dead-letter queue's size at the end.
	DLQ int
	// Left counts messages still queued when Limit stopped the drain.
	Left int
}

// drainRun is the state the pollers share.
type drainRun struct {
	q *memQueue
	p DrainParams
	// started counts every invocation, invocations those with messages of
	// the timed backlog, failed those Lambda would count as failed.
	started, invocations, failed atomic.Int64
	mu                           sync.Mutex
	longest                      time.Duration
}

// RunDrain drains a backlog of d.Shape: MaxConcurrency instances, each a
// handler from app.New behind its own poller, against one Tencent stand-in
// (RateLimit, DrainLatency).
//
// The clock runs while the backlog's messages are received and handled the
// first time; untimed messages of the same shape around it keep every
// instance busy meanwhile (see fillBacklog), so that the accounts removed
// in that time are the steady rate of a long backlog. What comes back
// later (requeued copies, delayed messages) is work the rate did not do.
func (h *Harness) RunDrain(ctx context.Context, d Drain) (DrainResult, error) {
	p := d.Params
	res := DrainResult{Shape: d.Shape.Name, OneRound: d.Shape.OneRound, Params: p}
	srv, err := h.tencent(DrainLatency)
	if err != nil {
		return res, err
	}
	defer srv.Close()

	q := newMemQueue(p.Visibility, p.MaxReceiveCount, time.Now)
	res.UntimedAccounts, res.Messages, res.BatchMessages = fillBacklog(q, d)
	res.Accounts = res.Messages * d.Shape.AccountsPerMessage

	out := &countingWriter{}
	run := &drainRun{q: q, p: p}
	var handlers []*sqsq.Handler
	for range p.MaxConcurrency {
		handler, err := h.drainHandler(ctx, srv.URL(), d, q, out)
		if err != nil {
			return res, err
		}
		handlers = append(handlers, handler)
	}
	if q.lineageKey, err = handlers[0].Lineage.Key(ctx); err != nil {
		return res, err
	}
	rctx, cancel := context.WithTimeout(ctx, d.Limit)
	defer cancel()
	var wg sync.WaitGroup
	for i, handler := range handlers {
		wg.Go(func() { run.poll(rctx, i, handler) })
	}
	wg.Wait()

	run.result(&res, d.Shape, srv)
	return res, nil
}

// fillBacklog sends d's timed backlog to q between a primer and a trailer;
// it returns the untimed accounts, the backlog's messages and a full
// batch's. Both are whole rounds of full batches worth at least one second
// at the ceiling: the primer fills every instance's rate window before the
// clock starts (from idle, a drain's first second is free: a 6 s drain
// would read 20 % fast), and the trailer closes the backlog's last batch
// (one capped by 6 MB rather than BatchSize would wait out the batching
// window) and keeps the other instances busy until the clock stops. The
// largest messages time one round of batches, not a rate: one trailing
// message is enough to close its last batch.
func fillBacklog(q *memQueue, d Drain) (untimed, messages, perBatch int) {
	var primer, trailer []string
	minAccounts := d.MinAccounts
	if d.Shape.OneRound {
		trailer, minAccounts = []string{d.Shape.untimed("t").body(0)}, 0
	} else {
		primer, _ = backlog(d.Shape.untimed("p"), d.Params, untimedAccounts)
		trailer, _ = backlog(d.Shape.untimed("t"), d.Params, untimedAccounts)
	}
	bodies, perBatch := backlog(d.Shape, d.Params, minAccounts)
	for _, b := range primer {
		q.send(b, nil, false)
	}
	for _, b := range bodies {
		q.send(b, nil, true)
	}
	for _, b := range trailer {
		q.send(b, nil, false)
	}
	return (len(primer) + len(trailer)) * d.Shape.AccountsPerMessage, len(bodies), perBatch
}

// drainHandler builds one instance as main does, with the template's
// environment, and wires its hand-off to q.
func (h *Harness) drainHandler(ctx context.Context, baseURL string, d Drain, q sqsq.HandOffer, out io.Writer) (*sqsq.Handler, error) {
	p := d.Params
	env := maps.Clone(p.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[config.EnvBaseURL] = baseURL
	env[config.EnvSecretID] = h.ARN
	env[config.EnvRateLimit] = strconv.Itoa(p.RatePerInstance)
	env[config.EnvRetryBase] = strconv.Itoa(int(p.Backoff.Base / time.Second))
	env[config.EnvRetryMax] = strconv.Itoa(int(p.Backoff.Max / time.Second))
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	handler := app.New(ctx, cfg, nil, out, d.Options)
	handler.Queue = q
	handler.Eraser.Backoff = erasure.Schedule{Base: cfg.RetryBase, Max: cfg.RetryMax}
	return handler, nil
}

// poll is one instance's share of the event source mapping: receive a
// batch, invoke, delete what the function acknowledged; until the queue
// is empty.
func (r *drainRun) poll(ctx context.Context, instance int, h *sqsq.Handler) {
	for {
		b, ok := r.q.receive(ctx, r.p.BatchSize, r.p.Window)
		if !ok {
			return
		}
		if b.timed {
			r.invocations.Add(1)
		}
		r.invoke(ctx, instance, h, b.recs)
		r.q.finish(b)
	}
}

// invoke runs one invocation. An error or a run past Timeout fails the
// whole batch, as Lambda does: nothing is deleted, and each message comes
// back after its visibility (the hand-off's delay, or the queue's).
func (r *drainRun) invoke(ctx context.Context, instance int, h *sqsq.Handler, recs []events.SQSMessage) {
	id := fmt.Sprintf("drain-%d-%d", instance, r.started.Add(1))
	ictx, cancel := invocationContext(ctx, id, r.p.Timeout)
	t0 := time.Now()
	resp, err := h.Handle(ictx, events.SQSEvent{Records: recs})
	took := time.Since(t0)
	cancel()
	r.mu.Lock()
	r.longest = max(r.longest, took)
	r.mu.Unlock()
	if err != nil || took > r.p.Timeout {
		r.failed.Add(1)
		return
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var done []string
	for _, rec := range recs {
		if !failed[rec.MessageId] {
			done = append(done, rec.ReceiptHandle)
		}
	}
	r.q.deleteBatch(done)
}

// invocationContext is what the Lambda runtime gives the handler: the
// function's timeout as deadline, and the invocation's metadata.
func invocationContext(parent context.Context, id string, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id, InvokedFunctionArn: drainFunctionARN})
	return ctx, cancel
}

// result fills res from the queue, the pollers and the stand-in.
func (r *drainRun) result(res *DrainResult, s DrainShape, srv *timtest.Server) {
	qs, left, dlq, start, end := r.q.snapshot()
	if end.IsZero() {
		end = time.Now() // stopped by Limit
	}
	st := srv.Stats()
	calls := srv.Calls()
	removed := srv.RemovedAccounts()
	for account := range removed {
		if s.owns(account) {
			res.Erased++
		}
	}
	res.Repeated = st.Accounts - len(removed)
	res.WallSeconds = end.Sub(start).Seconds()
	res.SpanAccounts = removedBetween(calls, start, end)
	if res.WallSeconds > 0 {
		res.AccountsPerS = float64(res.SpanAccounts) / res.WallSeconds
	}
	res.Efficiency = res.AccountsPerS / Ceiling
	res.Calls, res.RateLimited = len(calls), st.RateLimited
	res.MaxInWindow = maxInWindow(calls, time.Second)
	res.Invocations, res.FailedInvocations = int(r.invocations.Load()), int(r.failed.Load())
	res.InvocationMaxS = r.longest.Seconds()
	res.MaxEventBytes = qs.MaxEventBytes
	res.Requeued, res.Delayed, res.DeadLettered, res.Redriven = qs.Requeued, qs.Delayed, qs.DeadLettered, qs.Redriven
	res.DLQ, res.Left = dlq, left
}

// removedBetween sums the accounts of the calls the stand-in accepted
// within [from, to], less those it reported failed.
func removedBetween(calls []timtest.Call, from, to time.Time) int {
	n := 0
	for _, c := range calls {
		if c.HTTPStatus == 200 && c.ErrorCode == 0 && !c.Time.Before(from) && !c.Time.After(to) {
			n += c.Accounts - c.Failed
		}
	}
	return n
}
