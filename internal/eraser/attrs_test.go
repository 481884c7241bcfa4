package eraser_test

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
	"github.com/attr-eraser/attr-eraser/internal/eraser"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
	"github.com/attr-eraser/attr-eraser/internal/ratelimit"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// TestProcessChecksConfiguredAttrs checks TIM_ATTRS against the app's names
// before any call: a name the app lacks fails the messages that use the
// configured set as configuration (systemic), with no im_remove_attr call.
func TestProcessChecksConfiguredAttrs(t *testing.T) {
	tests := []struct {
		name      string
		defaults  []string
		msgs      []eraser.Message
		want      map[string]eraser.Outcome
		wantClass erasure.Class
		systemic  bool
		calls     int
	}{
		{
			name:      "typo fails every message using the set",
			defaults:  []string{"sex", "nope"},
			msgs:      []eraser.Message{message("a", erasureBody("u1")), message("b", erasureBody("u2", "u3"))},
			want:      map[string]eraser.Outcome{"a": eraser.Failed, "b": eraser.Failed},
			wantClass: "configuration",
			systemic:  true,
			calls:     0,
		},
		{
			name:     "messages naming their own attrs still go",
			defaults: []string{"nope"},
			msgs: []eraser.Message{
				message("a", erasureBody("u1")),
				message("own", `{"type":"gdpr.erasure","accounts":["u4"],"attrs":["city"]}`),
			},
			want:      map[string]eraser.Outcome{"a": eraser.Failed, "own": eraser.Erased},
			wantClass: "configuration",
			calls:     1,
		},
		{
			name:     "known names are used as configured",
			defaults: []string{"sex", "city"},
			msgs:     []eraser.Message{message("a", erasureBody("u1"))},
			want:     map[string]eraser.Outcome{"a": eraser.Erased},
			calls:    1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, timtest.Config{})
			var logs capture.Buffer
			f.p.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			f.p.DefaultAttrs, f.p.DefaultAttrsSetting = tt.defaults, "TIM_ATTRS"
			r := f.p.Process(context.Background(), eraser.Batch{Messages: tt.msgs})
			if got := outcomes(r); !maps.Equal(got, tt.want) {
				t.Fatalf("outcomes = %v, want %v", got, tt.want)
			}
			if r.Systemic != tt.systemic {
				t.Errorf("systemic = %v, want %v", r.Systemic, tt.systemic)
			}
			if n := removeCalls(f.stub); n != tt.calls {
				t.Errorf("im_remove_attr calls = %d, want %d", n, tt.calls)
			}
			for _, m := range r.Messages {
				if m.Outcome == eraser.Failed && m.Class != tt.wantClass {
					t.Errorf("%s: class %q, want %q", m.MessageID, m.Class, tt.wantClass)
				}
			}
			if tt.wantClass != "" && strings.Count(logs.String(), `"variable":"TIM_ATTRS"`) != 1 {
				t.Errorf("want one log line naming TIM_ATTRS, got:\n%s", logs.String())
			}
			checkPromise(t, f.stub, r)
		})
	}
}

// changingNames is the app's attribute list, edited in the console while
// the function runs; it counts lookups.
type changingNames struct {
	eraser.API
	mu      sync.Mutex
	names   []string
	lookups int
}

func (c *changingNames) AttrNames(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups++
	return slices.Clone(c.names), nil
}

func (c *changingNames) set(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = names
}

// TestProcessAttrNamesAreAtMostAMinuteOld adds an attribute in the
// "console": it is erased once the cached names are a minute old.
func TestProcessAttrNamesAreAtMostAMinuteOld(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	clock := fakeclock.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	f.p.Tuning.Now = clock.Now
	names := &changingNames{API: f.p.API, names: []string{"sex"}}
	f.p.API = names
	erase := func(account string) {
		t.Helper()
		r := f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("m", erasureBody(account))}})
		if failed := r.FailedMessages(); len(failed) != 0 {
			t.Fatalf("failed: %+v", r.Messages)
		}
	}
	erase("before")
	names.set("sex", "city")
	clock.Advance(59 * time.Second)
	erase("cached")
	clock.Advance(2 * time.Second)
	erase("after")
	if got := f.stub.Removed("cached"); !slices.Equal(got, []string{"sex"}) {
		t.Errorf("within the minute removed %v, want the cached [sex]", got)
	}
	if got := f.stub.Removed("after"); !slices.Equal(got, []string{"city", "sex"}) {
		t.Errorf("after a minute removed %v, want the new name too", got)
	}
	if names.lookups != 2 {
		t.Errorf("lookups = %d, want 2", names.lookups)
	}
}

// blockedNames holds every attribute-name lookup until released.
type blockedNames struct {
	eraser.API
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockedNames) AttrNames(ctx context.Context) ([]string, error) {
	b.once.Do(func() { close(b.started) })
	select {
	case <-b.release:
		return timtest.DefaultAttrNames, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestProcessWaitForSharedLookupHonoursOwnDeadline starts a lookup that
// hangs in one invocation; a second invocation needing the names gives up
// at its own cutoff instead of waiting for the first.
func TestProcessWaitForSharedLookupHonoursOwnDeadline(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.Tuning.SafetyMargin = 10 * time.Millisecond
	f.p.Tuning.MinCallBudget = time.Millisecond
	names := &blockedNames{API: f.p.API, started: make(chan struct{}), release: make(chan struct{})}
	f.p.API = names

	first := make(chan *eraser.Report)
	go func() {
		first <- f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("first", erasureBody("u1"))}})
	}()
	<-names.started

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	second := make(chan *eraser.Report)
	go func() {
		second <- f.p.Process(ctx, eraser.Batch{Messages: []eraser.Message{message("second", erasureBody("u2"))}})
	}()
	select {
	case r := <-second:
		if m := r.Messages[0]; m.Outcome != eraser.Failed || m.Class != erasure.Deadline {
			t.Errorf("second: outcome %s class %q, want failed deadline", m.Outcome, m.Class)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second invocation waited past its deadline for the first one's lookup")
	}
	close(names.release)
	if r := <-first; len(r.FailedMessages()) != 0 {
		t.Errorf("first: %+v", r.Messages)
	}
}

// TestProcessLookupHasItsOwnRateWindow gives each API a window of one call
// an hour: the lookup must not take im_remove_attr's only slot.
func TestProcessLookupHasItsOwnRateWindow(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.Limits = ratelimit.NewLimits(1, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := f.p.Process(ctx, eraser.Batch{Messages: []eraser.Message{message("m", erasureBody("u1"))}})
	if failed := r.FailedMessages(); len(failed) != 0 {
		t.Fatalf("failed: %v (%v)", failed, r.Messages[0].Err)
	}
	if n := f.stub.Stats().AttrNameCalls; n != 1 {
		t.Errorf("im_get_attr_name calls = %d, want 1", n)
	}
}

// TestProcessLookupOutlivesItsLeader starts the shared lookup in an
// invocation that runs out of time while it hangs: another invocation that
// was waiting for it, with time left, looks the names up itself.
func TestProcessLookupOutlivesItsLeader(t *testing.T) {
	f := newFixture(t, timtest.Config{})
	f.p.Tuning.SafetyMargin = 10 * time.Millisecond
	f.p.Tuning.MinCallBudget = time.Millisecond
	names := &blockedNames{API: f.p.API, started: make(chan struct{}), release: make(chan struct{})}
	f.p.API = names

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	leader := make(chan *eraser.Report)
	go func() {
		leader <- f.p.Process(ctx, eraser.Batch{Messages: []eraser.Message{message("leader", erasureBody("u1"))}})
	}()
	<-names.started
	waiter := make(chan *eraser.Report)
	go func() {
		waiter <- f.p.Process(context.Background(), eraser.Batch{Messages: []eraser.Message{message("waiter", erasureBody("u2"))}})
	}()
	if r := <-leader; r.Messages[0].Class != erasure.Deadline {
		t.Errorf("leader: class %q, want deadline", r.Messages[0].Class)
	}
	close(names.release)
	select {
	case r := <-waiter:
		if failed := r.FailedMessages(); len(failed) != 0 {
			t.Errorf("waiter failed with class %q (%v); it had time to look the names up itself", r.Messages[0].Class, r.Messages[0].Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never finished")
	}
}
