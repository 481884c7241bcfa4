package signingkey

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/sync/singleflight"
)

// DefaultTTL is how long a read key is trusted before Secrets Manager is
// asked again. Rotations are rare and a rejected signature triggers a re-read
// anyway, so the TTL only bounds how long a silently rotated key lingers.
const DefaultTTL = 5 * time.Minute

const (
	// readTimeout bounds one shared read (SDK retries included). The read
	// is detached from the caller's context so one caller giving up does
	// not fail everybody sharing the read; this keeps it from running on.
	readTimeout = 30 * time.Second
	// staleRetry is how long the outcome of a failed or fruitless re-read
	// stands before the next attempt, so an outage or a wrong key does not
	// add a Secrets Manager round trip to every call.
	staleRetry = 30 * time.Second
	flightKey  = "read"
	// invalidateKey prefixes the flight of the re-read after a rejection of
	// one key version.
	invalidateKey = "invalidate:"
)

// SecretsGetter is the one Secrets Manager call the Provider needs. It is
// satisfied by *secretsmanager.Client; tests may substitute a fake.
type SecretsGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Provider reads the signing key and caches it. Create one per process (the
// cache is the point) and share it; it is safe for concurrent use and must
// not be copied after first use. Set the exported fields before first use.
type Provider struct {
	// Client reads the secret. Required.
	Client SecretsGetter
	// SecretID is the secret's ARN or name. Required.
	SecretID string
	// TTL is how long a read key is served from the cache; zero or
	// negative means DefaultTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now. Tests substitute a fake.
	Now func() time.Time
	// Logger receives a warning when a re-read fails and the cached key is
	// kept; nil discards them. The key is never logged.
	Logger *slog.Logger

	group singleflight.Group

	mu       sync.Mutex
	cached   Key // valid when have; gen numbers the reads
	have     bool
	expires  time.Time
	rejected rejection
}

// Key returns the signing key, reading the secret only when the cached copy
// is older than TTL. Concurrent callers share one in-flight read.
//
// If a re-read after TTL fails while a key is cached, the cached key is
// returned (and the failure logged): a Secrets Manager outage should not
// stop work that the current key can still do. Tencent remains the judge; if
// it rejects the key, Invalidate reports the failure.
//
// Errors are *Error.
func (p *Provider) Key(ctx context.Context) (Key, error) {
	if err := p.check(); err != nil {
		return Key{}, err
	}
	p.mu.Lock()
	if p.have && p.now().Before(p.expires) {
		k := p.cached
		p.mu.Unlock()
		return k.clone(), nil
	}
	seen := p.cached.gen
	p.mu.Unlock()

	k, err := p.read(ctx, seen)
	if err == nil {
		return k, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.have && ctx.Err() == nil {
		return p.cached.clone(), nil
	}
	return Key{}, err
}

// ErrKeyUnchanged means Tencent rejected the signature and re-reading the
// secret returned the same key: the configuration is wrong.
var ErrKeyUnchanged = errors.New("signature rejected by Tencent and the secret still holds the same key; check the key, SDKAppID and admin identifier")

// Invalidate reports that Tencent rejected a signature made with the key of
// version, in the manner of an oauth2 token source told its token is no
// longer good. It holds the one rule for rejections: the secret is re-read
// at most once per rejected key, however many calls report it.
//
//   - If the cached key is not the rejected one, a newer key is in use
//     already: nil, without a read.
//   - Callers that arrive while the re-read is in flight share it; callers
//     that arrive within staleRetry after it get its outcome without a
//     read, so a wrong key costs one read per staleRetry, not one per call.
//   - The outcome is nil when the next Key differs from the rejected one,
//     ErrKeyUnchanged when the secret still holds it, or the read's *Error.
//     Unlike Key, Invalidate never falls back to the cached key.
func (p *Provider) Invalidate(ctx context.Context, version string) error {
	if err := p.check(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.have && p.cached.Version != version {
		p.mu.Unlock()
		return nil
	}
	if r := p.rejected; p.have && r.version == version && p.now().Before(r.until) {
		p.mu.Unlock()
		return r.err
	}
	stale := p.cached
	p.mu.Unlock()

	// The outcome is recorded inside the flight: a caller arriving after
	// the re-read landed, but before a recording outside it, would see the
	// same key cached, no rejection yet, and read again.
	// It runs detached from this caller, whom others may be waiting with.
	ch := p.group.DoChan(invalidateKey+version, func() (any, error) {
		fresh, err := p.read(context.WithoutCancel(ctx), stale.gen)
		if err == nil && fresh.SameAs(stale) {
			err = ErrKeyUnchanged
		}
		if err != nil {
			p.mu.Lock()
			p.rejected = rejection{version: version, err: err, until: p.now().Add(staleRetry)}
			p.mu.Unlock()
		}
		return nil, err
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return &Error{SecretID: p.SecretID, Op: OpRead, Err: context.Cause(ctx)}
	}
}

// rejection is the outcome of the latest re-read after a rejection that did
// not yield a new key.
type rejection struct {
	version string
	err     error
	until   time.Time
}

// read performs or joins the single in-flight read. seen is the cache
// generation the caller judged insufficient: if a newer one landed between
// that judgement and the flight starting, it is used without a call, which
// closes the window in which a late caller would start a second read.
func (p *Provider) read(ctx context.Context, seen uint64) (Key, error) {
	ch := p.group.DoChan(flightKey, func() (any, error) {
		p.mu.Lock()
		if p.have && p.cached.gen > seen {
			k := p.cached
			p.mu.Unlock()
			return k, nil
		}
		p.mu.Unlock()

		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
		defer cancel()
		k, err := p.fetch(rctx)

		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			if p.have {
				p.expires = p.now().Add(min(p.ttl(), staleRetry))
				p.logger().WarnContext(ctx, "signing key re-read failed; keeping the cached key",
					slog.String("secretId", p.SecretID),
					slog.String("version", p.cached.Version),
					slog.Any("error", err))
			}
			return Key{}, err
		}
		k.gen = p.cached.gen + 1
		p.cached, p.have = k, true
		p.expires = p.now().Add(p.ttl())
		return k, nil
	})

	select {
	case res := <-ch:
		if res.Err != nil {
			return Key{}, res.Err
		}
		k, _ := res.Val.(Key)
		return k.clone(), nil
	case <-ctx.Done():
		return Key{}, &Error{SecretID: p.SecretID, Op: OpRead, Err: context.Cause(ctx)}
	}
}

// fetch makes the one Secrets Manager call and turns its answer into a Key.
func (p *Provider) fetch(ctx context.Context) (Key, error) {
	out, err := p.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(p.SecretID),
	})
	if err != nil {
		return Key{}, &Error{SecretID: p.SecretID, Op: OpRead, Err: err}
	}
	if out == nil || out.SecretString == nil {
		return Key{}, &Error{SecretID: p.SecretID, Op: OpRead, Err: ErrNoSecretString}
	}
	k, err := Parse(*out.SecretString)
	if err != nil {
		return Key{}, &Error{SecretID: p.SecretID, Op: OpParse, Err: err}
	}
	k.Version = aws.ToString(out.VersionId)
	return k, nil
}

func (p *Provider) check() error {
	if p == nil || p.Client == nil || p.SecretID == "" {
		id := ""
		if p != nil {
			id = p.SecretID
		}
		return &Error{SecretID: id, Op: OpConfig, Err: ErrNotConfigured}
	}
	return nil
}

func (p *Provider) ttl() time.Duration { return cmp.Or(p.TTL, DefaultTTL) }

func (p *Provider) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (p *Provider) logger() *slog.Logger { return cmp.Or(p.Logger, discard) }
