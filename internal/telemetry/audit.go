// The audit trail: the evidence of an erasure, one JSON line per message
// saying what was done, naming accounts only by keyed hashes, and one
// summary line per invocation.

package telemetry

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// KeySource supplies the key of the account hashes (satisfied by
// *signingkey.Source).
type KeySource interface {
	AuditKey(ctx context.Context) ([]byte, error)
}

// DefaultHashesPerLine keeps an audit line of a 10,000-account message
// under CloudWatch Logs' 256 KB event limit: such a message is written as
// several lines, "part" 1 to "parts".
const DefaultHashesPerLine = 1000

// Audit writes audit and summary lines. It is safe for concurrent use.
//
// The lines are evidence, so they are written whatever the logger's level:
// LOG_LEVEL=warn or error quiets the diagnostic lines, never the audit trail.
type Audit struct {
	// Out receives the lines, encoded by hand as slog's JSON handler would
	// encode them (with the Lambda request ID, as NewLogger's logger adds
	// it), a batch's lines in a few large writes, all of them before
	// Observe returns; concurrent Observes write to it at once (os.Stdout
	// keeps each write whole). Where Out is nil they go through Logger's
	// handler, one record each.
	Out    io.Writer
	Logger *slog.Logger
	Keys   KeySource
	// HashesPerLine bounds the hashes on one line; zero means the default.
	HashesPerLine int

	now func() time.Time // time.Now; the tests' clock
}

// Observe writes the lines of one batch.
func (l *Audit) Observe(ctx context.Context, report *eraser.Report) {
	key, keyErr := l.Keys.AuditKey(ctx)
	var keyID string
	var hasher *Hasher
	if keyErr == nil {
		keyID, hasher = KeyID(key), NewHasher(key)
	}
	per := cmp.Or(l.HashesPerLine, DefaultHashesPerLine)
	w := l.lines(ctx)
	defer w.flush()
	for i := range report.Messages {
		m := &report.Messages[i]
		s := m.Status()
		level := slog.LevelInfo
		if s.Outcome != eraser.Erased {
			level = slog.LevelWarn
		}
		if keyErr != nil || len(m.Request.Accounts) == 0 {
			w.line(level, "audit", func(f fields) {
				messageFields(f, m, s, report.Verification, keyID)
				if keyErr != nil && len(m.Request.Accounts) > 0 {
					f.Str("hashError", "audit key unavailable; accounts not hashed")
				}
			})
			continue
		}
		accounts := m.Request.Accounts
		parts := (len(accounts) + per - 1) / per
		for part := 1; len(accounts) > 0; part++ {
			n := min(per, len(accounts))
			w.line(level, "audit", func(f fields) {
				messageFields(f, m, s, report.Verification, keyID)
				f.Hashes("accountHashes", hasher, accounts[:n])
				if parts > 1 {
					f.Int("part", int64(part))
					f.Int("parts", int64(parts))
				}
			})
			accounts = accounts[n:]
		}
	}
	w.line(slog.LevelInfo, "batch processed", func(f fields) { summaryFields(f, report) })
}

// lines is where Observe writes: by hand to Out, or through Logger's
// handler without asking whether its level is enabled (the audit trail
// and the summary must not disappear because LOG_LEVEL was raised to
// quiet the diagnostic lines).
func (l *Audit) lines(ctx context.Context) lineWriter {
	now := l.now
	if now == nil {
		now = time.Now
	}
	if l.Out != nil {
		return newJSONLines(ctx, l.Out, now)
	}
	return slogLines{ctx: ctx, handler: l.Logger.Handler(), now: now}
}

// messageFields are the members of a message's audit line before its
// hashes (keyID is empty when the audit key is unavailable). A new member
// is one call here (or in summaryFields), in the order it is to appear;
// both ways of writing take it, and TestAuditLinesEncodeAsSlog holds the
// encoder to slog's output.
func messageFields(f fields, m *eraser.MessageResult, s eraser.Status, verification, keyID string) {
	f.Str("messageId", m.MessageID)
	f.Str("originalMessageId", m.Lineage.OriginalMessageID)
	f.Int("receiveCount", int64(m.Lineage.ReceiveCount))
	f.Str("eventId", m.Request.EventID)
	f.Str("type", string(m.Request.Type))
	f.Str("occurredAt", m.Request.OccurredAt)
	f.Int("accounts", int64(len(m.Request.Accounts)))
	f.Str("outcome", string(s.Outcome))
	if m.Absent > 0 {
		// Accounts Tencent does not know: erased, as nothing is left.
		f.Int("absent", int64(m.Absent))
	}
	if s.Outcome != eraser.Erased {
		f.Str("class", string(s.Class))
		if s.Err != nil {
			f.Str("reason", s.Err.Error())
		}
	}
	if s.Outcome != eraser.Invalid {
		// Which removals are finished for every account of it: with
		// tags erased too, a failed message may be half done.
		f.Strs("done", nonNil(m.Done))
	}
	// What "erased" rests on: accounts read back clean, or Tencent's OK.
	f.Int("verified", int64(m.Verified))
	f.Str("verification", cmp.Or(verification, eraser.VerificationOff))
	handOffFields(f, m, s)
	if keyID != "" {
		f.Str("auditKeyId", keyID)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// handOffFields say what the queue was asked to do with a message not
// erased.
func handOffFields(f fields, m *eraser.MessageResult, s eraser.Status) {
	if m.Lineage.Requeues > 0 {
		f.Int("requeues", int64(m.Lineage.Requeues))
	}
	if m.Unreached {
		f.Bool("unreached", true)
	}
	if s.HandOff != "" {
		f.Str("handOff", string(s.HandOff))
	}
	if s.Delayed {
		f.Int("retryAfterSeconds", int64(s.RetryAfter.Seconds()))
	}
	if m.HandOffErr != nil {
		f.Str("handOffError", m.HandOffErr.Error())
	}
}

// summaryFields are the members of the invocation's one summary line.
func summaryFields(f fields, r *eraser.Report) {
	t := r.Tally()
	f.Int("messages", int64(len(r.Messages)))
	f.Strs("removes", nonNil(r.Parts))
	f.Int("erased", int64(t.Erased))
	f.Int("failed", int64(t.Failed))
	f.Int("invalid", int64(t.Invalid))
	f.Int("requeued", int64(t.Requeued))
	f.Int("deadLettered", int64(t.DeadLettered))
	f.Int("delayed", int64(t.Delayed))
	f.Int("accounts", int64(r.Accounts))
	f.Int("accountsErased", int64(r.AccountsErased))
	f.Int("accountsAbsent", int64(r.AccountsAbsent))
	f.Int("accountsVerified", int64(r.AccountsVerified))
	f.Int("plannedCalls", int64(r.PlannedCalls))
	f.Int("calls", int64(r.Calls))
	f.Int("retries", int64(r.Retries))
	f.Int("rateLimited", int64(r.RateLimited))
	f.Int("splits", int64(r.Splits))
	f.Group("failuresByClass", func(f fields) {
		for _, class := range slices.Sorted(maps.Keys(t.FailedByClass)) {
			f.Int(string(class), int64(t.FailedByClass[class]))
		}
	})
	f.Int("durationMs", r.Duration.Milliseconds())
	f.Bool("dryRun", r.DryRun)
	f.Bool("systemic", r.Systemic)
}
