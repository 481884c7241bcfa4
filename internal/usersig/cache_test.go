package usersig

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
)

func TestCache(t *testing.T) {
	key := []byte(vecKey)
	type step struct {
		advance    time.Duration // clock moves before the call
		invalidate bool          // Invalidate before the call
		appID      uint64        // zero means vecAppID
		identifier string        // empty means vecIdentifier
		key        []byte        // nil means key
		wantNew    bool          // a different UserSig than the previous step
		wantIssued int64         // TLS.time of the returned UserSig, seconds after start
	}
	tests := []struct {
		name          string
		expire        time.Duration
		refreshBefore time.Duration
		steps         []step
	}{
		{
			name:   "reuse until refresh window, defaults",
			expire: 0, refreshBefore: 0, // 24h and 20m
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: time.Hour, wantIssued: 0},
				{advance: 22*time.Hour + 39*time.Minute + 59*time.Second, wantIssued: 0},
				{advance: time.Second, wantNew: true, wantIssued: 23*3600 + 40*60},
				{advance: time.Minute, wantIssued: 23*3600 + 40*60},
			},
		},
		{
			name:   "custom expire and refresh",
			expire: time.Hour, refreshBefore: 5 * time.Minute,
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: 54 * time.Minute, wantIssued: 0},
				{advance: time.Minute, wantNew: true, wantIssued: 55 * 60},
			},
		},
		{
			name:   "refresh not shorter than expire never caches",
			expire: time.Minute, refreshBefore: time.Hour,
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: time.Second, wantNew: true, wantIssued: 1},
			},
		},
		{
			name: "invalidate forces a new one",
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: time.Second, wantIssued: 0},
				{invalidate: true, wantNew: true, wantIssued: 1},
				{advance: time.Second, wantIssued: 1},
			},
		},
		{
			name: "key change forces a new one",
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: time.Second, key: []byte("another-key"), wantNew: true, wantIssued: 1},
				{advance: time.Second, key: []byte("another-key"), wantIssued: 1},
				{advance: time.Second, wantNew: true, wantIssued: 3},
			},
		},
		{
			name: "identity change forces a new one",
			steps: []step{
				{wantNew: true, wantIssued: 0},
				{advance: time.Second, identifier: "administrator", wantNew: true, wantIssued: 1},
				{advance: time.Second, identifier: "administrator", appID: 1400000001, wantNew: true, wantIssued: 2},
			},
		},
		{
			name: "clock stepped back regenerates",
			steps: []step{
				{advance: time.Hour, wantNew: true, wantIssued: 3600},
				{advance: -time.Minute, wantNew: true, wantIssued: 3540},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Unix(vecTime, 0)
			clk := fakeclock.New(start)
			c := &Cache{Expire: tt.expire, RefreshBefore: tt.refreshBefore, Now: clk.Now}
			prev := ""
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				if s.invalidate {
					c.Invalidate()
				}
				appID, id, k := s.appID, s.identifier, s.key
				if appID == 0 {
					appID = vecAppID
				}
				if id == "" {
					id = vecIdentifier
				}
				if k == nil {
					k = key
				}
				got, err := c.Get(appID, id, k)
				if err != nil {
					t.Fatalf("step %d: Get: %v", i, err)
				}
				if isNew := got != prev; isNew != s.wantNew {
					t.Errorf("step %d: new UserSig = %v, want %v", i, isNew, s.wantNew)
				}
				d, _ := decode(t, got)
				if want := start.Unix() + s.wantIssued; d.Time.String() != itoa(want) {
					t.Errorf("step %d: TLS.time = %s, want %d", i, d.Time, want)
				}
				if d.Identifier != id || d.SDKAppID.String() != itoa(int64(appID)) {
					t.Errorf("step %d: UserSig made for %s/%s, want %s/%d", i, d.Identifier, d.SDKAppID, id, appID)
				}
				prev = got
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCacheKeyIsNotStored(t *testing.T) {
	c := &Cache{}
	key := []byte(vecKey)
	if _, err := c.Get(vecAppID, vecIdentifier, key); err != nil {
		t.Fatal(err)
	}
	// Mutating the caller's slice must not change what the cache believes
	// the key is: it holds a digest, not a reference.
	key[0] ^= 0xff
	a, _ := c.Get(vecAppID, vecIdentifier, key)
	key[0] ^= 0xff
	b, _ := c.Get(vecAppID, vecIdentifier, key)
	if a == b {
		t.Errorf("a different key returned the same UserSig")
	}
}

func TestCacheError(t *testing.T) {
	c := &Cache{}
	good, err := c.Get(vecAppID, vecIdentifier, []byte(vecKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(vecAppID, vecIdentifier, nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Get with nil key: err = %v, want ErrNoKey", err)
	}
	if _, err := c.Get(0, vecIdentifier, []byte(vecKey)); !errors.Is(err, ErrNoSDKAppID) {
		t.Fatalf("Get with zero appid: err = %v, want ErrNoSDKAppID", err)
	}
	// A failure empties the cache, so the valid inputs get a fresh UserSig;
	// with the real clock it may equal the old one, so only check validity.
	again, err := c.Get(vecAppID, vecIdentifier, []byte(vecKey))
	if err != nil || again == "" || good == "" {
		t.Fatalf("Get after failure = %q, %v", again, err)
	}
}

func TestCacheConcurrent(t *testing.T) {
	clk := fakeclock.New(time.Unix(vecTime, 0))
	c := &Cache{Expire: time.Hour, RefreshBefore: time.Minute, Now: clk.Now}
	keys := [][]byte{[]byte(vecKey), []byte("other")}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				switch {
				case i%50 == 0:
					c.Invalidate()
				case i%17 == 0:
					clk.Advance(time.Second)
				}
				// Switching keys now and then (not every call) makes
				// goroutines race on replacing the entry without making
				// every Get pay for a full generation.
				k := keys[(g+i/40)%len(keys)]
				us, err := c.Get(vecAppID, vecIdentifier, k)
				if err != nil || us == "" {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Get: %v", err)
	}
}
