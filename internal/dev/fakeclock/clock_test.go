package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/fakeclock"
)

func TestClock(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	c := fakeclock.New(start)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second); _ = c.Now() })
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 10*time.Second {
		t.Errorf("advanced %v, want 10s", got)
	}
	c.Advance(-time.Minute)
	if !c.Now().Before(start) {
		t.Error("a negative Advance did not move the clock back")
	}
}
