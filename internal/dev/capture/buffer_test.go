package capture_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/dev/capture"
)

func TestBufferConcurrentWritesAndTee(t *testing.T) {
	var tee strings.Builder
	b := &capture.Buffer{Tee: &tee}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("line\n"))
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 800 {
		t.Errorf("buffer holds %d lines, want 800", got)
	}
	if tee.String() != b.String() || string(b.Bytes()) != b.String() {
		t.Error("tee or Bytes differ from String")
	}
}
