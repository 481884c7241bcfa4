package signingkey

import (
	"bytes"
	"crypto/subtle"
)

// Key is what the Tencent signing secret holds.
//
// Key redacts Secret and AuditKey whenever it is formatted with fmt, logged
// with log/slog or marshalled to JSON, so passing one to a logger by mistake
// does not leak it.
type Key struct {
	// Secret is the TLSSigAPIv2 key that signs UserSigs.
	Secret []byte
	// SDKAppID is the Tencent application, or 0 when the secret does not
	// carry it (the TIM_SDKAPPID setting then applies).
	SDKAppID uint64
	// Identifier is the app admin account, or "" when the secret does not
	// carry it (the TIM_IDENTIFIER setting then applies).
	Identifier string
	// AuditKey keys the account hashes in the audit log; nil when absent.
	AuditKey []byte
	// Version is the Secrets Manager VersionId the key was read from. It
	// changes on every rotation, which is how a caller tells a refreshed key
	// from the one Tencent rejected.
	Version string

	// gen numbers the Provider read that produced this Key, so a late
	// caller can tell whether the cache already holds a newer read than the
	// one it judged stale. Zero for keys not from a Provider.
	gen uint64
}

// SameAs reports whether k and other are the same key material and version,
// e.g. whether a re-read returned the key Tencent already rejected (then the
// secret has not been rotated and retrying is pointless). The comparison of
// key material is constant-time.
func (k Key) SameAs(other Key) bool {
	return k.Version == other.Version &&
		subtle.ConstantTimeCompare(k.Secret, other.Secret) == 1
}

// clone returns a deep copy so a caller that scribbles on the slices it was
// given cannot corrupt the Provider's cache.
func (k Key) clone() Key {
	k.Secret = bytes.Clone(k.Secret)
	k.AuditKey = bytes.Clone(k.AuditKey)
	return k
}
