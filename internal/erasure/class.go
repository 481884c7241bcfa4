package erasure

// Class is why a message was not erased: what a failure means for retrying,
// and the name written in audit lines, metrics and the README. The zero
// value means no failure.
type Class string

// The classes. Tencent's codes map onto the first group (tim.Classify); the
// others are the function's own.
const (
	// Unknown failures are not retried; the messages involved fail.
	Unknown Class = "unknown"
	// Retryable failures (network, timeout, 5xx, 91000, 60008, 70169, an
	// untrustworthy ErrorList) are retried with backoff.
	Retryable Class = "retryable"
	// RateLimited failures (60007, 60011, 60018, 60019, HTTP 429) are
	// retried after a longer delay.
	RateLimited Class = "rate_limited"
	// SigExpired (70001) needs a new UserSig, then a retry.
	SigExpired Class = "usersig_expired"
	// Signature failures (70003, 70009, 70013, 70014, 70016, 70020) need
	// the secret re-read once; if that does not help, the key is wrong.
	Signature Class = "signature"
	// Content failures (90001, 90018, 90033) reject what was sent; a call
	// of several accounts is split to find the offending ones.
	Content Class = "content"
	// Configuration failures (60006, 60010, 60016, 60020, 60021, 90009, a
	// redirect, an unreadable key, a TIM_ATTRS name the app lacks) cannot be
	// fixed by retrying in this invocation.
	Configuration Class = "configuration"
	// Cancelled: the invocation was cancelled; not retried.
	Cancelled Class = "cancelled"

	// Invalid: the message failed parsing or validation.
	Invalid Class = "invalid"
	// Deadline: the invocation ran out of time first.
	Deadline Class = "deadline"
	// DryRun: DRY_RUN is set, nothing was sent.
	DryRun Class = "dry_run"
	// FIFOBlocked: an earlier message of the FIFO batch failed.
	FIFOBlocked Class = "fifo_blocked"
	// Internal: a panic, recovered; a bug to report.
	Internal Class = "internal"
	// Capacity: the batch held more accounts than the function's memory
	// allows at once; the message was handed on unread (requeued).
	Capacity Class = "capacity"
	// Receipt: the message was erased but its receipt could not be put; it
	// comes back until upstream has learnt the outcome.
	Receipt Class = "receipt"
	// Unverified: Tencent answered OK to removing an account's data, but
	// reading it back still showed some, after a second removal too. It is
	// retried later on the schedule, like any other failure that is not the
	// message's fault: never content, never acknowledged.
	Unverified Class = "unverified"
)

func (c Class) String() string { return string(c) }

// Systemic tells whether the class fails every message alike, so that a
// batch failing only for it should make Lambda back off.
func (c Class) Systemic() bool { return c == Signature || c == Configuration }
