package receipts

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

// Source is the Source of every receipt.
const Source = "attr-eraser"

// The Erased parts when the report names none.
var defaultParts = []string{"attrs"}

const (
	// MaxReasonBytes bounds a rejection's reason.
	MaxReasonBytes = 1024
	// withheldReason replaces a reason that contains one of the message's
	// accounts. Errors are built never to hold one; this only makes sure a
	// receipt cannot carry one when that promise is broken.
	withheldReason = "[withheld: the reason contained an account of the message]"
	// unknown stands in for an empty class or reason.
	unknown = "unknown"
)

// Detail is the Detail of a receipt, a JSON object; see the package
// documentation for the meaning of each field. Erased, Verification and
// VerifiedAccounts are set on completed receipts only, Class and Reason on
// rejected and failed ones only.
type Detail struct {
	EventID        string   `json:"eventId"`
	Type           string   `json:"type"`
	MessageID      string   `json:"messageId"`
	OccurredAt     string   `json:"occurredAt"`
	CompletedAt    string   `json:"completedAt"`
	Accounts       int      `json:"accounts"`
	AccountsDigest string   `json:"accountsDigest"`
	AuditKeyID     string   `json:"auditKeyId"`
	Erased         []string `json:"erased,omitempty"`
	// Verification and VerifiedAccounts (completed receipts only) say what
	// "erased" rests on: "read-back" when every account was read back
	// clean, "off" when it rests on Tencent's OK to the removal.
	Verification     string `json:"verification,omitempty"`
	VerifiedAccounts *int   `json:"verifiedAccounts,omitempty"`
	Class            string `json:"class,omitempty"`
	Reason           string `json:"reason,omitempty"`
}

// AccountsDigest is a receipt's accountsDigest of accounts under the audit
// key: HashesDigest of the accounts' audit hashes (telemetry.Hash).
func AccountsDigest(key []byte, accounts []string) string {
	hasher := telemetry.NewHasher(key)
	hashes := make([]string, len(accounts))
	for i, a := range accounts {
		hashes[i] = hasher.Hash(a)
	}
	return HashesDigest(hashes)
}

// HashesDigest is the accountsDigest of a message whose accounts have the
// audit hashes hashes, as its audit lines list them: the lowercase hex
// SHA-256 of the hashes, sorted and joined with "\n" (no trailing line
// break). No hashes give the SHA-256 of the empty string. It lets a reader
// of the audit log (eraserctl prove) match a receipt without the accounts.
// hashes is sorted in place.
func HashesDigest(hashes []string) string {
	slices.Sort(hashes)
	h := sha256.New()
	for i, s := range hashes {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// detailOf builds the detail of m's receipt.
func detailOf(m *eraser.MessageResult, parts []string, verification string, key []byte, completedAt string) Detail {
	d := Detail{
		EventID:        m.Request.EventID,
		Type:           string(m.Request.Type),
		MessageID:      cmp.Or(m.Lineage.OriginalMessageID, m.MessageID),
		OccurredAt:     m.Request.OccurredAt,
		CompletedAt:    completedAt,
		Accounts:       len(m.Request.Accounts),
		AccountsDigest: AccountsDigest(key, m.Request.Accounts),
		AuditKeyID:     telemetry.KeyID(key),
	}
	s := m.Status()
	if m.Receipt == eraser.ReceiptCompleted {
		d.Erased = slices.Clone(parts)
		if len(d.Erased) == 0 {
			d.Erased = slices.Clone(defaultParts)
		}
		verified := m.Verified
		d.Verification, d.VerifiedAccounts = cmp.Or(verification, eraser.VerificationOff), &verified
		return d
	}
	d.Class = cmp.Or(string(s.Class), string(erasure.Unknown))
	d.Reason = unknown
	if s.Err != nil {
		d.Reason = cmp.Or(reason(s.Err.Error(), m.Request.Accounts), unknown)
	}
	return d
}

// reason is text cut to MaxReasonBytes, or withheldReason when it holds
// any of accounts.
func reason(text string, accounts []string) string {
	for _, a := range accounts {
		if a != "" && strings.Contains(text, a) {
			return withheldReason
		}
	}
	return erasure.Truncate(text, MaxReasonBytes)
}

// entryOf builds the PutEvents entry of m's receipt and its size as
// EventBridge counts it.
func (p *Publisher) entryOf(m *eraser.MessageResult, parts []string, verification string, key []byte, at time.Time) (types.PutEventsRequestEntry, int, error) {
	d := detailOf(m, parts, verification, key, at.Format(time.RFC3339Nano))
	body, err := json.Marshal(d)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, err
	}
	e := types.PutEventsRequestEntry{
		EventBusName: aws.String(p.EventBus),
		Source:       aws.String(Source),
		DetailType:   aws.String(string(m.Receipt)),
		Detail:       aws.String(string(body)),
		Time:         aws.Time(at),
	}
	return e, entrySize(e), nil
}

// entrySize is the size EventBridge charges an entry against its limits:
// 14 bytes for a Time, then the UTF-8 bytes of Source, DetailType, Detail
// and every resource.
func entrySize(e types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	n += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
