package sqsq

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
)

// AttrLineageMAC authenticates a copy's lineage (originalMessageId,
// firstReceived, requeues): anyone who may send to the queue can set
// attr-eraser.* attributes, and a forged requeue count or first receive
// would change requeueing, receipts and ages. Class and reason stay
// outside it: they only describe a dead letter, and a requeued copy never
// carries them.
const AttrLineageMAC = "attr-eraser.lineageMac"

// Why a record's lineage attributes were ignored.
var (
	ErrLineageUnsigned     = errors.New("lineage attributes without a MAC")
	ErrLineageForged       = errors.New("lineage attributes whose MAC does not verify")
	ErrLineageUnverifiable = errors.New("lineage attributes that cannot be verified: the audit key is unavailable")
)

// AuditKeySource supplies the audit key (satisfied by *signingkey.Source
// and telemetry.KeySource). The lineage is keyed from the audit key, not
// the signing key, because the audit key survives rotations of the signing
// key: a lineage that stopped verifying after a rotation would reset the
// pending age of every erasure in flight.
type AuditKeySource interface {
	AuditKey(ctx context.Context) ([]byte, error)
}

// Lineage makes and checks the MACs of the lineage the function carries in
// its copies.
type Lineage struct {
	// Keys supplies the audit key the lineage key is derived from.
	Keys AuditKeySource
}

// Key returns the lineage key; an error when l or its audit key is
// unavailable.
func (l *Lineage) Key(ctx context.Context) ([]byte, error) {
	if l == nil || l.Keys == nil {
		return nil, ErrLineageUnverifiable
	}
	audit, err := l.Keys.AuditKey(ctx)
	if err != nil {
		return nil, err
	}
	return LineageKey(audit), nil
}

// LineageKey derives the lineage key from the audit key, so that neither
// key's MACs can stand in for the other's.
func LineageKey(auditKey []byte) []byte {
	m := hmac.New(sha256.New, auditKey)
	m.Write([]byte("attr-eraser lineage"))
	return m.Sum(nil)
}

// LineageMAC is the MAC, under key, of the lineage attributes' values as
// sent ("" for one left out), base64 without padding.
func LineageMAC(key []byte, originalMessageID, firstReceived, requeues string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("v1"))
	for _, v := range []string{originalMessageID, firstReceived, requeues} {
		// Length-prefixed, so that no two triples share an input.
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(v))))
		m.Write([]byte(v))
	}
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// LineageOf reads rec's lineage: from the attributes of a copy the function
// made, when key verifies their MAC, else from the record itself (its own
// id, first receive, no requeues). err says why lineage attributes the
// record carries were ignored (nil key: they cannot be verified); it is nil
// when they verified or when there were none.
func LineageOf(rec events.SQSMessage, key []byte) (l eraser.Lineage, err error) {
	l = eraser.Lineage{OriginalMessageID: rec.MessageId, ReceiveCount: 1}
	if n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
		l.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(rec.Attributes["ApproximateFirstReceiveTimestamp"], 10, 64); err == nil && ms > 0 {
		l.FirstReceived = time.UnixMilli(ms).UTC()
	}
	id, idOK := stringAttr(rec, AttrOriginalMessageID)
	first, firstOK := stringAttr(rec, AttrFirstReceived)
	requeues, requeuesOK := stringAttr(rec, AttrRequeues)
	mac, macOK := stringAttr(rec, AttrLineageMAC)
	switch {
	case !idOK && !firstOK && !requeuesOK && !macOK:
		return l, nil
	case key == nil:
		return l, ErrLineageUnverifiable
	case !macOK:
		return l, ErrLineageUnsigned
	case !hmac.Equal([]byte(mac), []byte(LineageMAC(key, id, first, requeues))):
		return l, ErrLineageForged
	}
	if id != "" {
		l.OriginalMessageID = id
	}
	if t, err := time.Parse(time.RFC3339Nano, first); err == nil {
		l.FirstReceived = t.UTC()
	}
	if n, err := strconv.Atoi(requeues); err == nil && n > 0 {
		l.Requeues = n
	}
	return l, nil
}

func stringAttr(rec events.SQSMessage, name string) (string, bool) {
	a, ok := rec.MessageAttributes[name]
	if !ok {
		return "", false
	}
	if a.StringValue == nil {
		// Present but not a string: still a claim, and one that cannot verify.
		return "", true
	}
	return *a.StringValue, true
}
