package usersig

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Defaults applied by [Cache] when the corresponding field is zero or negative.
const (
	// DefaultExpire is long enough that a warm Lambda container signs about
	// once a day, and short enough that a leaked UserSig soon stops working.
	// Tencent's own default, 180 days, is far longer than any caller needs.
	DefaultExpire = 24 * time.Hour

	// DefaultRefreshBefore exceeds Lambda's 15-minute maximum invocation
	// time plus a margin for clock skew between Lambda and Tencent, so a
	// UserSig handed out at the start of an invocation is still valid for
	// its last retry.
	DefaultRefreshBefore = 20 * time.Minute
)

// Cache hands out a UserSig and reuses it until it comes within RefreshBefore
// of expiring, so the HMAC and compression are paid about once per Expire
// instead of once per request. A Cache must not be copied after first use;
// its zero value is ready to use. It is safe for concurrent use. Fields must
// not be changed after the first call to Get.
type Cache struct {
	// Expire is the validity of each generated UserSig; zero or negative
	// means DefaultExpire.
	Expire time.Duration

	// RefreshBefore is how long before expiry a UserSig stops being handed
	// out; zero or negative means DefaultRefreshBefore. If it is not
	// shorter than Expire, every Get generates afresh: correct, but no
	// longer a cache.
	RefreshBefore time.Duration

	// Now returns the current time; nil means time.Now. Tests set it to
	// move a fake clock.
	Now func() time.Time

	mu    sync.Mutex
	entry *entry
}

// entry is one cached UserSig and the identity it was made for. The key is
// kept only as a SHA-256 digest: the cache must notice a rotated key, but a
// memory dump of it should not yield the key itself.
type entry struct {
	sdkAppID   uint64
	identifier string
	keyHash    [sha256.Size]byte
	sig        string
	issued     time.Time
	refreshAt  time.Time
}

// Get returns a UserSig for identifier in app sdkAppID signed with key. It
// returns the cached one when it was made for the same app, identifier and
// key and is not yet within RefreshBefore of expiring; otherwise it generates
// and caches a new one. Errors are those of [Generate]; a failed Get leaves
// the cache empty so a later call cannot return a UserSig for other inputs.
func (c *Cache) Get(sdkAppID uint64, identifier string, key []byte) (string, error) {
	kh := sha256.Sum256(key)

	// Generation happens under the lock on purpose: it takes tens of
	// microseconds, and holding the lock stops concurrent callers that find
	// the cache stale from all generating at once. The clock is read under
	// the lock too, so a caller that waited cannot judge the entry by a
	// stale time.
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()

	if e := c.entry; e != nil &&
		e.sdkAppID == sdkAppID && e.identifier == identifier && e.keyHash == kh &&
		now.Before(e.refreshAt) && !now.Before(e.issued) {
		// The last condition catches a clock stepped backwards: a UserSig
		// issued "in the future" may be rejected, and regenerating is cheap.
		return e.sig, nil
	}

	c.entry = nil
	expire := c.expire()
	sig, err := Generate(sdkAppID, identifier, key, now, expire)
	if err != nil {
		return "", err
	}
	// The wire format truncates to whole seconds, so expiry is computed
	// from the truncated issue time the server will see.
	issued := time.Unix(now.Unix(), 0)
	c.entry = &entry{
		sdkAppID:   sdkAppID,
		identifier: identifier,
		keyHash:    kh,
		sig:        sig,
		issued:     issued,
		refreshAt:  issued.Add(expire.Truncate(time.Second) - c.refreshBefore()),
	}
	return sig, nil
}

// Invalidate drops the cached UserSig so the next Get generates a new one.
// Call it when Tencent rejects a UserSig as expired (70001) or the signing
// key is known to have changed: the cache's own notion of time or key can be
// wrong, and the server's answer wins.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.entry = nil
	c.mu.Unlock()
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) expire() time.Duration {
	if c.Expire > 0 {
		return c.Expire
	}
	return DefaultExpire
}

func (c *Cache) refreshBefore() time.Duration {
	if c.RefreshBefore > 0 {
		return c.RefreshBefore
	}
	return DefaultRefreshBefore
}
