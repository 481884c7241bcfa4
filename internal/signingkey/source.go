// The signer: the signing key from Secrets Manager combined with the
// configured SDKAppID and admin identifier into the credentials of each
// Tencent Chat request, and what happens when Tencent rejects them.

package signingkey

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// KeyProvider supplies the signing key (satisfied by *Provider).
type KeyProvider interface {
	Key(ctx context.Context) (Key, error)
	Refresh(ctx context.Context, stale Key) (Key, error)
}

// ErrKeyUnchanged means Tencent rejected the signature and re-reading the
// secret returned the same key: the configuration is wrong.
var ErrKeyUnchanged = errors.New("signature rejected by Tencent and the secret still holds the same key; check the key, SDKAppID and admin identifier")

// Source implements tim.Signer. It is safe for concurrent use.
type Source struct {
	Keys KeyProvider
	// UserSigs reuses a UserSig until shortly before it expires.
	UserSigs *usersig.Cache
	// SDKAppID and Identifier come from the configuration; the secret's
	// sdkAppId and identifier override them.
	SDKAppID   uint64
	Identifier string

	mu   sync.Mutex
	last Key // the key the latest credentials were made with
}

// Credentials returns the credentials of the next request.
func (s *Source) Credentials(ctx context.Context) (tim.Credentials, error) {
	key, err := s.Keys.Key(ctx)
	if err != nil {
		return tim.Credentials{}, err
	}
	appID, identifier := s.SDKAppID, s.Identifier
	if key.SDKAppID != 0 {
		appID = key.SDKAppID
	}
	if key.Identifier != "" {
		identifier = key.Identifier
	}
	if appID == 0 {
		return tim.Credentials{}, errors.New("no SDKAppID: set TIM_SDKAPPID or the secret's sdkAppId")
	}
	sig, err := s.UserSigs.Get(appID, identifier, key.Secret)
	if err != nil {
		return tim.Credentials{}, fmt.Errorf("generate UserSig: %w", err)
	}
	s.mu.Lock()
	s.last = key
	s.mu.Unlock()
	return tim.Credentials{SDKAppID: appID, Identifier: identifier, UserSig: sig, KeyVersion: key.Version}, nil
}

// SignatureRejected re-reads the secret after Tencent rejected a signature
// made with the key of keyVersion. Many calls failing together cause one
// read; it returns ErrKeyUnchanged when the secret holds the same key.
func (s *Source) SignatureRejected(ctx context.Context, keyVersion string) error {
	s.mu.Lock()
	stale := s.last
	s.mu.Unlock()
	if stale.Version != keyVersion {
		return nil // a newer key is already in use
	}
	fresh, err := s.Keys.Refresh(ctx, stale)
	if err != nil {
		return err
	}
	if fresh.SameAs(stale) {
		return ErrKeyUnchanged
	}
	s.UserSigs.Invalidate()
	return nil
}

// UserSigExpired drops the cached UserSig so the next request gets a new one.
func (s *Source) UserSigExpired() { s.UserSigs.Invalidate() }

// AuditKey returns the key of the audit log's account hashes: the secret's
// auditKey, else one derived from the signing key.
func (s *Source) AuditKey(ctx context.Context) ([]byte, error) {
	key, err := s.Keys.Key(ctx)
	if err != nil {
		return nil, err
	}
	return AuditKey(key), nil
}
