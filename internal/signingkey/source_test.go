package signingkey_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// fakeKeys hands out key, or err.
type fakeKeys struct {
	mu  sync.Mutex
	key signingkey.Key
	err error
}

func (f *fakeKeys) Key(context.Context) (signingkey.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.key, f.err
}

func (f *fakeKeys) Invalidate(context.Context, string) error { return f.err }

func TestCredentialsPrecedence(t *testing.T) {
	tests := []struct {
		name           string
		key            signingkey.Key
		cfgApp         uint64
		cfgID          string
		wantApp        uint64
		wantIdentifier string
		wantErr        bool
	}{
		{"configuration only", signingkey.Key{Secret: []byte("k"), Version: "v1"}, 1400000001, "admin", 1400000001, "admin", false},
		{"secret overrides both", signingkey.Key{Secret: []byte("k"), SDKAppID: 1400000002, Identifier: "boss", Version: "v1"}, 1400000001, "admin", 1400000002, "boss", false},
		{"secret supplies the app", signingkey.Key{Secret: []byte("k"), SDKAppID: 1400000003, Version: "v1"}, 0, "admin", 1400000003, "admin", false},
		{"no app anywhere", signingkey.Key{Secret: []byte("k"), Version: "v1"}, 0, "admin", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &signingkey.Source{Keys: &fakeKeys{key: tt.key}, UserSigs: &usersig.Cache{}, SDKAppID: tt.cfgApp, Identifier: tt.cfgID}
			c, err := s.Credentials(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.SDKAppID != tt.wantApp || c.Identifier != tt.wantIdentifier || c.UserSig == "" || c.KeyVersion != tt.key.Version {
				t.Errorf("credentials = %d/%s/%v/%s", c.SDKAppID, c.Identifier, c.UserSig != "", c.KeyVersion)
			}
		})
	}
}

func TestCredentialsReuseUserSig(t *testing.T) {
	s := &signingkey.Source{Keys: &fakeKeys{key: signingkey.Key{Secret: []byte("k"), Version: "v1"}}, UserSigs: &usersig.Cache{}, SDKAppID: 1400000000, Identifier: "admin"}
	a, _ := s.Credentials(context.Background())
	b, _ := s.Credentials(context.Background())
	if a.UserSig != b.UserSig {
		t.Error("a second request generated a new UserSig; it should be reused")
	}
	s.UserSigExpired()
	// Generation is deterministic within a second, so compare the cache's
	// behaviour rather than the value: it must still produce a valid sig.
	c, err := s.Credentials(context.Background())
	if err != nil || c.UserSig == "" {
		t.Fatalf("after expiry: %v", err)
	}
}

// TestSignatureRejected drives Source with a real Provider: the rule of
// re-reading lives there, and Source only reports the rejected version.
func TestSignatureRejected(t *testing.T) {
	tests := []struct {
		name        string
		rotate      bool
		rejected    func(current string) string
		wantErr     error
		wantReads   int
		wantRotated bool
	}{
		{"rotated secret", true, func(v string) string { return v }, nil, 1, true},
		{"same key in the secret", false, func(v string) string { return v }, signingkey.ErrKeyUnchanged, 1, false},
		{"an older version was rejected", true, func(string) string { return "v0" }, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, putKey("old"))
			s := &signingkey.Source{Keys: f.p, UserSigs: &usersig.Cache{}, SDKAppID: 1400000000, Identifier: "admin"}
			before, err := s.Credentials(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.rotate {
				f.stub.Put(secretName, "new")
			}
			reads := f.stub.Calls()
			err = s.SignatureRejected(context.Background(), tt.rejected(before.KeyVersion))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n := f.stub.Calls() - reads; n != tt.wantReads {
				t.Errorf("secret reads = %d, want %d", n, tt.wantReads)
			}
			after, err := s.Credentials(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rotated := after.KeyVersion != before.KeyVersion; rotated != tt.wantRotated {
				t.Errorf("next credentials use a new key: %v, want %v", rotated, tt.wantRotated)
			}
			if rotated := after.UserSig != before.UserSig; rotated != tt.wantRotated {
				t.Errorf("next credentials have a new UserSig: %v, want %v", rotated, tt.wantRotated)
			}
		})
	}
}

func TestAuditKey(t *testing.T) {
	explicit := signingkey.Key{Secret: []byte("signing"), AuditKey: []byte("audit")}
	derived := signingkey.Key{Secret: []byte("signing")}
	if got := signingkey.AuditKey(explicit); !bytes.Equal(got, []byte("audit")) {
		t.Errorf("explicit auditKey not used: %x", got)
	}
	d1, d2 := signingkey.AuditKey(derived), signingkey.AuditKey(derived)
	if !bytes.Equal(d1, d2) || len(d1) != 32 {
		t.Errorf("derived key not stable or not 32 bytes: %x %x", d1, d2)
	}
	if bytes.Contains(d1, []byte("signing")) {
		t.Error("derived key contains the signing key")
	}
	other := signingkey.AuditKey(signingkey.Key{Secret: []byte("signing2")})
	if bytes.Equal(d1, other) {
		t.Error("different signing keys derive the same audit key")
	}
}

func TestKeyErrorsPropagate(t *testing.T) {
	boom := errors.New("secret unreadable")
	s := &signingkey.Source{Keys: &fakeKeys{err: boom}, UserSigs: &usersig.Cache{}, SDKAppID: 1}
	if _, err := s.Credentials(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Credentials err = %v", err)
	}
	if _, err := s.AuditKey(context.Background()); !errors.Is(err, boom) {
		t.Errorf("AuditKey err = %v", err)
	}
}
