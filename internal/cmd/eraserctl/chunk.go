// Cutting a backfill into messages, and naming each one.

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// chunk is the accounts of one message: a run of the sorted input.
type chunk struct {
	accounts []string
	eventID  string
}

// template is what every message of a backfill shares; only the accounts
// and the eventId differ.
type template struct {
	Type         erasure.Type
	Attrs        []string
	OccurredAt   string
	BackfilledAt string
}

// body is the JSON of the message carrying c.
func (t template) body(c chunk) ([]byte, error) {
	return json.Marshal(struct {
		Type         erasure.Type `json:"type"`
		Accounts     []string     `json:"accounts"`
		Attrs        []string     `json:"attrs,omitempty"`
		EventID      string       `json:"eventId"`
		OccurredAt   string       `json:"occurredAt,omitempty"`
		BackfilledAt string       `json:"backfilledAt"`
	}{t.Type, c.accounts, t.Attrs, c.eventID, t.OccurredAt, t.BackfilledAt})
}

// fixedSize is the size of a body without its accounts, with the longest
// eventId: what a chunk's accounts may add to it is the rest.
func (t template) fixedSize() int {
	b, _ := t.body(chunk{eventID: eventIDPrefix + hex.EncodeToString(make([]byte, eventIDBytes))})
	return len(b)
}

// accountSize is what one account adds to a body's accounts array: its
// JSON string and a comma. encoding/json escapes <, > and & as \u003c
// (six bytes), and " and \ with a backslash.
func accountSize(a string) int {
	n := 3 // the quotes and the comma
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case '<', '>', '&':
			n += 6
		case '"', '\\':
			n += 2
		default:
			n++
		}
	}
	return n
}

// How chunks are cut. Cutting every 10,000 accounts would tie each chunk to
// its position: one account inserted near the top would shift every later
// chunk by one, and give each a new eventId, so a re-run after fixing the
// input would send everything again under new names. Instead a chunk ends
// after an account whose own hash says so (content-defined cutting, as
// backup tools cut files), once it is cutFill full; a chunk is cut short
// only at the limits. An inserted or removed account then changes the chunk
// it falls in, and the cuts around it stay where they were.
const (
	// cutFill is how full (of accounts or bytes, whichever is nearer its
	// limit) a chunk must be before a content-defined cut may end it.
	cutFill = 0.75
	// cutOneIn is the chance, per account past cutFill, of a cut: one in
	// cutOneIn of the limit's accounts, so chunks average about 78 % of the
	// limit and almost never reach it.
	cutOneIn = 32
)

// eventIDPrefix starts every backfill eventId; eventIDBytes of the digest
// follow, in hex.
const (
	eventIDPrefix = "backfill-"
	eventIDBytes  = 16
)

// cut cuts the sorted accounts into chunks of at most maxAccounts accounts
// whose bodies (fixed bytes plus accountSize each) stay within maxBytes,
// each named by the audit key (see newChunk).
func cut(accounts []string, maxAccounts, fixed, maxBytes int, auditKey []byte) []chunk {
	room := maxBytes - fixed
	divisor := uint32(max(1, maxAccounts/cutOneIn))
	var chunks []chunk
	start, bytes := 0, 0
	for i, a := range accounts {
		n := accountSize(a)
		if i > start && (i-start == maxAccounts || bytes+n > room) {
			chunks = append(chunks, newChunk(accounts[start:i:i], auditKey))
			start, bytes = i, 0
		}
		bytes += n
		count := i - start + 1
		fill := max(float64(count)/float64(maxAccounts), float64(bytes)/float64(room))
		if fill >= cutFill && boundary(a)%divisor == 0 {
			chunks = append(chunks, newChunk(accounts[start:i+1:i+1], auditKey))
			start, bytes = i+1, 0
		}
	}
	if start < len(accounts) {
		chunks = append(chunks, newChunk(accounts[start:], auditKey))
	}
	return chunks
}

// boundary is the hash that decides whether a chunk may end after a; it
// only needs to be spread evenly, not secret.
func boundary(a string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(a))
	return h.Sum32()
}

// newChunk names the chunk of accounts (sorted) by a digest of them, so
// that the same accounts always make the same eventId: a re-run, or a
// resume from another machine, sends events receipts deduplicate. The
// digest is keyed by the audit key, as the audit lines' account hashes
// are: eventIds are logged and put in receipts, and an unkeyed digest of
// a one-account chunk would let anyone holding a candidate id test it.
func newChunk(accounts []string, auditKey []byte) chunk {
	h := hmac.New(sha256.New, auditKey)
	h.Write([]byte("attr-eraser backfill v1\x00"))
	for _, a := range accounts {
		// Length-prefixed, so that no two lists share an input.
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(a))))
		h.Write([]byte(a))
	}
	return chunk{accounts: accounts, eventID: eventIDPrefix + hex.EncodeToString(h.Sum(nil)[:eventIDBytes])}
}
