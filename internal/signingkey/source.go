// The signer: the signing key from Secrets Manager combined with the
// configured SDKAppID and admin identifier into the credentials of each
// Tencent Chat request, and what happens when Tencent rejects them.

package signingkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/attr-eraser/attr-eraser/internal/tim"
	"github.com/attr-eraser/attr-eraser/internal/usersig"
)

// KeyProvider supplies the signing key (satisfied by *Provider).
type KeyProvider interface {
	Key(ctx context.Context) (Key, error)
	Invalidate(ctx context.Context, version string) error
}

// Source implements tim.Signer. It is safe for concurrent use.
type Source struct {
	Keys KeyProvider
	// UserSigs reuses a UserSig until shortly before it expires.
	UserSigs *usersig.Cache
	// SDKAppID and Identifier come from the configuration; the secret's
	// sdkAppId and identifier override them.
	SDKAppID   uint64
	Identifier string
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
	return tim.Credentials{SDKAppID: appID, Identifier: identifier, UserSig: sig, KeyVersion: key.Version}, nil
}

// SignatureRejected tells the key provider that Tencent rejected a
// signature made with the key of keyVersion. A nil error means the next
// credentials are made with another key; UserSigs need no invalidation, as
// the cache notices a new key by itself.
func (s *Source) SignatureRejected(ctx context.Context, keyVersion string) error {
	return s.Keys.Invalidate(ctx, keyVersion)
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
