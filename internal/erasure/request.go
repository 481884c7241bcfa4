package erasure

import (
	"fmt"
	"log/slog"
)

// Request is one validated erasure request, as carried by one queue message.
//
// Accounts are personal data: String and LogValue report them by count only,
// so that printing or logging a Request cannot leak them by accident.
type Request struct {
	// Type is the upstream event kind; always Valid.
	Type Type `json:"type"`
	// Accounts are de-duplicated, in order of first appearance, each valid
	// per ValidAccount; between 1 and MaxAccountsPerRequest of them.
	Accounts []string `json:"accounts"`
	// Attrs are de-duplicated attribute names, each valid per ValidAttr.
	// Nil means "the default set", which configuration decides; a non-nil
	// slice is never empty.
	Attrs []string `json:"attrs,omitempty"`
	// EventID is the upstream event's identifier, for the audit log; may be
	// empty.
	EventID string `json:"eventId,omitempty"`
	// OccurredAt is the upstream timestamp exactly as sent, for the audit log.
	// It is not parsed: a malformed timestamp must not block an erasure.
	OccurredAt string `json:"occurredAt,omitempty"`
	// BackfilledAt marks a message of a backfill (eraserctl submit): the
	// time it was submitted, RFC 3339. A backfill erases accounts deleted
	// long ago and keeps their real occurredAt for the audit log, so the
	// ages that alarm (ErasureLatency, PendingAge) count from here instead.
	// It is a body field, not a message attribute, because EventBridge
	// drops attributes. Like OccurredAt it is not validated as a time: a
	// malformed one must not block an erasure (the ages then ignore it).
	BackfilledAt string `json:"backfilledAt,omitempty"`
}

// String describes r without its accounts, so that fmt's %v and %s are safe
// to use in logs and errors.
func (r Request) String() string {
	return fmt.Sprintf("erasure.Request{Type:%s Accounts:%d Attrs:%q EventID:%q OccurredAt:%q BackfilledAt:%q}",
		r.Type, len(r.Accounts), r.Attrs, r.EventID, r.OccurredAt, r.BackfilledAt)
}

// LogValue makes slog log r with an account count instead of the accounts.
func (r Request) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("type", string(r.Type)),
		slog.Int("accounts", len(r.Accounts)),
	}
	if r.Attrs != nil {
		attrs = append(attrs, slog.Any("attrs", r.Attrs))
	}
	if r.EventID != "" {
		attrs = append(attrs, slog.String("eventId", r.EventID))
	}
	if r.OccurredAt != "" {
		attrs = append(attrs, slog.String("occurredAt", r.OccurredAt))
	}
	if r.BackfilledAt != "" {
		attrs = append(attrs, slog.String("backfilledAt", r.BackfilledAt))
	}
	return slog.GroupValue(attrs...)
}
