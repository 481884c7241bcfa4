package ratelimit

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestLimitsAreSeparatePerAPI fills one API's window and checks that
// another API still gets a slot at once, while the full one must wait.
func TestLimitsAreSeparatePerAPI(t *testing.T) {
	synctest.Test(t, testLimitsAreSeparatePerAPI)
}

func testLimitsAreSeparatePerAPI(t *testing.T) {
	l := NewLimits(2, time.Hour)
	ctx := context.Background()
	for range 2 {
		if err := l.For("remove").Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	first, again := l.For("remove"), l.For("remove")
	if first != again {
		t.Fatal("For returned a new window for the same API")
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := l.For("names").Wait(short); err != nil {
		t.Errorf("another API waited for the full window: %v", err)
	}
	if err := l.For("remove").Wait(short); err == nil {
		t.Error("a third call fitted in a window of two")
	}
	var none *Limits
	if none.For("remove") != nil {
		t.Error("a nil *Limits must mean unlimited (a nil window)")
	}
}
