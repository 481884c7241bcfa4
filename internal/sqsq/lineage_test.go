package sqsq_test

import (
	"context"
	"errors"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/sqsq"
)

// staticKey is a signingkey.KeyProvider with one key.
type staticKey signingkey.Key

func (k staticKey) Key(context.Context) (signingkey.Key, error) { return signingkey.Key(k), nil }
func (staticKey) Invalidate(context.Context, string) error      { return nil }

// TestLineageAcrossKeyRotation: the lineage is keyed from the audit key,
// so a copy made before a rotation of the signing key still verifies after
// it when the secret carries its own auditKey; with an audit key derived
// from the signing key, the rotation resets the lineage of copies in
// flight (README: Key rotation and the hashes).
func TestLineageAcrossKeyRotation(t *testing.T) {
	oldKey, newKey := []byte("old signing key"), []byte("new signing key")
	auditKey := []byte("the secret's audit key")
	tests := []struct {
		name          string
		before, after signingkey.Key
		wantErr       error
	}{
		{"same audit key, rotated signing key", signingkey.Key{Secret: oldKey, AuditKey: auditKey}, signingkey.Key{Secret: newKey, AuditKey: auditKey}, nil},
		{"same key", signingkey.Key{Secret: oldKey}, signingkey.Key{Secret: oldKey}, nil},
		{"audit key derived from a rotated signing key", signingkey.Key{Secret: oldKey}, signingkey.Key{Secret: newKey}, sqsq.ErrLineageForged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.q.Lineage = &sqsq.Lineage{Keys: &signingkey.Source{Keys: staticKey(tt.before)}}
			rec := f.receive(t, `{"accounts":["alice"]}`)[0]
			l := lineageOf(rec)
			l.FirstReceived, l.Requeues = firstReceived, 3
			if errs := handOff(t, f.q, []order{{Record: rec, Action: eraser.Requeue, Lineage: l}}); errs[0] != nil {
				t.Fatal(errs[0])
			}
			cp := f.srv.Receive(f.url, 0)[0]
			after := &sqsq.Lineage{Keys: &signingkey.Source{Keys: staticKey(tt.after)}}
			key, err := after.Key(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, err := sqsq.LineageOf(cp, key)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LineageOf(copy) err = %v, want %v", err, tt.wantErr)
			}
			want := l
			if tt.wantErr != nil {
				want = eraser.Lineage{OriginalMessageID: cp.MessageId, Requeues: 0}
			}
			if got.OriginalMessageID != want.OriginalMessageID || got.Requeues != want.Requeues {
				t.Errorf("lineage %+v, want %+v", got, want)
			}
		})
	}
}

// TestUnsignedCopies: when the audit key cannot be read, a copy is still
// sent (a copy without a MAC beats no copy), and its next receive starts a
// new lineage.
func TestUnsignedCopies(t *testing.T) {
	f := newFixture(t)
	f.q.Lineage = &sqsq.Lineage{Keys: failingKeys{auditKeys(testAuditKey), errors.New("secret unreadable")}}
	rec := f.receive(t, `{"accounts":["alice"]}`)[0]
	l := lineageOf(rec)
	l.Requeues = 1
	if errs := handOff(t, f.q, []order{{Record: rec, Action: eraser.Requeue, Lineage: l}}); errs[0] != nil {
		t.Fatalf("an unsigned copy must still be sent: %v", errs[0])
	}
	cp := f.srv.Receive(f.url, 0)[0]
	if _, ok := cp.MessageAttributes[sqsq.AttrLineageMAC]; ok {
		t.Error("the copy carries a MAC though no key could be read")
	}
	got, err := sqsq.LineageOf(cp, sqsq.LineageKey(testAuditKey))
	if !errors.Is(err, sqsq.ErrLineageUnsigned) || got.Requeues != 0 || got.OriginalMessageID != cp.MessageId {
		t.Errorf("LineageOf(unsigned copy) = %+v, %v; want its own lineage and ErrLineageUnsigned", got, err)
	}
}
