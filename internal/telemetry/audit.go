// The audit trail: the evidence of an erasure, one JSON line per message
// saying what was done, naming accounts only by keyed hashes, and one
// summary line per invocation.

package telemetry

import (
	"cmp"
	"context"
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
	Logger *slog.Logger
	Keys   KeySource
	// HashesPerLine bounds the hashes on one line; zero means the default.
	HashesPerLine int
}

// Observe writes the lines of one batch.
func (l *Audit) Observe(ctx context.Context, report *eraser.Report) {
	key, keyErr := l.Keys.AuditKey(ctx)
	var keyAttrs []slog.Attr
	if keyErr == nil {
		keyAttrs = []slog.Attr{slog.String("auditKeyId", KeyID(key))}
	}
	per := cmp.Or(l.HashesPerLine, DefaultHashesPerLine)
	var hasher *Hasher
	if keyErr == nil {
		hasher = NewHasher(key)
	}
	for i := range report.Messages {
		m := &report.Messages[i]
		s := m.Status()
		attrs := []slog.Attr{
			slog.String("messageId", m.MessageID),
			slog.String("originalMessageId", m.Lineage.OriginalMessageID),
			slog.Int("receiveCount", m.Lineage.ReceiveCount),
			slog.String("eventId", m.Request.EventID),
			slog.String("type", string(m.Request.Type)),
			slog.String("occurredAt", m.Request.OccurredAt),
			slog.Int("accounts", len(m.Request.Accounts)),
			slog.String("outcome", string(s.Outcome)),
		}
		if m.Absent > 0 {
			// Accounts Tencent does not know: erased, as nothing is left.
			attrs = append(attrs, slog.Int("absent", m.Absent))
		}
		if s.Outcome != eraser.Erased {
			attrs = append(attrs, slog.String("class", string(s.Class)))
			if s.Err != nil {
				attrs = append(attrs, slog.String("reason", s.Err.Error()))
			}
		}
		if s.Outcome != eraser.Invalid {
			// Which removals are finished for every account of it: with
			// tags erased too, a failed message may be half done.
			attrs = append(attrs, slog.Any("done", nonNil(m.Done)))
		}
		// What "erased" rests on: accounts read back clean, or Tencent's OK.
		attrs = append(attrs, slog.Int("verified", m.Verified), slog.String("verification", cmp.Or(report.Verification, eraser.VerificationOff)))
		attrs = append(attrs, handOffAttrs(m, s)...)
		attrs = append(attrs, keyAttrs...)
		level := slog.LevelInfo
		if s.Outcome != eraser.Erased {
			level = slog.LevelWarn
		}
		if keyErr != nil || len(m.Request.Accounts) == 0 {
			if keyErr != nil && len(m.Request.Accounts) > 0 {
				attrs = append(attrs, slog.String("hashError", "audit key unavailable; accounts not hashed"))
			}
			l.write(ctx, level, "audit", attrs)
			continue
		}
		accounts := m.Request.Accounts
		parts := (len(accounts) + per - 1) / per
		for part := 1; len(accounts) > 0; part++ {
			n := min(per, len(accounts))
			hashes := make([]string, n)
			for i, a := range accounts[:n] {
				hashes[i] = hasher.Hash(a)
			}
			accounts = accounts[n:]
			line := append(attrs[:len(attrs):len(attrs)], slog.Any("accountHashes", hashes))
			if parts > 1 {
				line = append(line, slog.Int("part", part), slog.Int("parts", parts))
			}
			l.write(ctx, level, "audit", line)
		}
	}
	l.summary(ctx, report)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// handOffAttrs say what the queue was asked to do with a message not
// erased.
func handOffAttrs(m *eraser.MessageResult, s eraser.Status) []slog.Attr {
	var attrs []slog.Attr
	if m.Lineage.Requeues > 0 {
		attrs = append(attrs, slog.Int("requeues", m.Lineage.Requeues))
	}
	if m.Unreached {
		attrs = append(attrs, slog.Bool("unreached", true))
	}
	if s.HandOff != "" {
		attrs = append(attrs, slog.String("handOff", string(s.HandOff)))
	}
	if s.Delayed {
		attrs = append(attrs, slog.Int64("retryAfterSeconds", int64(s.RetryAfter.Seconds())))
	}
	if m.HandOffErr != nil {
		attrs = append(attrs, slog.String("handOffError", m.HandOffErr.Error()))
	}
	return attrs
}

// write hands one line to the logger's handler without asking whether its
// level is enabled: the audit trail and the summary must not disappear
// because LOG_LEVEL was raised to quiet the diagnostic lines.
func (l *Audit) write(ctx context.Context, level slog.Level, msg string, attrs []slog.Attr) {
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = l.Logger.Handler().Handle(ctx, r) // a log write has nowhere to report failure
}

// summary writes the invocation's one summary line.
func (l *Audit) summary(ctx context.Context, r *eraser.Report) {
	t := r.Tally()
	classAttrs := make([]any, 0, len(t.FailedByClass))
	for _, class := range slices.Sorted(maps.Keys(t.FailedByClass)) {
		classAttrs = append(classAttrs, slog.Int(string(class), t.FailedByClass[class]))
	}
	l.write(ctx, slog.LevelInfo, "batch processed", []slog.Attr{
		slog.Int("messages", len(r.Messages)),
		slog.Any("removes", nonNil(r.Parts)),
		slog.Int("erased", t.Erased),
		slog.Int("failed", t.Failed),
		slog.Int("invalid", t.Invalid),
		slog.Int("requeued", t.Requeued),
		slog.Int("deadLettered", t.DeadLettered),
		slog.Int("delayed", t.Delayed),
		slog.Int("accounts", r.Accounts),
		slog.Int("accountsErased", r.AccountsErased),
		slog.Int("accountsAbsent", r.AccountsAbsent),
		slog.Int("accountsVerified", r.AccountsVerified),
		slog.Int("plannedCalls", r.PlannedCalls),
		slog.Int("calls", r.Calls),
		slog.Int("retries", r.Retries),
		slog.Int("rateLimited", r.RateLimited),
		slog.Int("splits", r.Splits),
		slog.Group("failuresByClass", classAttrs...),
		slog.Int64("durationMs", r.Duration.Milliseconds()),
		slog.Bool("dryRun", r.DryRun),
		slog.Bool("systemic", r.Systemic),
	})
}
