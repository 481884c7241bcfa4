package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/awsbatch"
	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// flakyTarget refuses each message the first time, and one message always.
type flakyTarget struct {
	mu    sync.Mutex
	tries map[string]int
	never string
	taken []string
}

func (f *flakyTarget) String() string { return "test target" }
func (f *flakyTarget) maxBody() int   { return sqsMaxBytes }
func (f *flakyTarget) limits() awsbatch.Limits {
	return awsbatch.Limits{Entries: 10, Bytes: sqsMaxBytes}
}
func (f *flakyTarget) size(m message) int { return len(m.body) }
func (f *flakyTarget) send(_ context.Context, batch []message) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(batch))
	for i, m := range batch {
		f.tries[m.eventID]++
		if m.eventID == f.never || f.tries[m.eventID] == 1 {
			errs[i] = errors.New(entryError("ServiceUnavailable"))
			continue
		}
		f.taken = append(f.taken, m.eventID)
	}
	return errs
}

// TestSendRetriesAndCounts: a message refused once is sent on its next try;
// one refused every time is tried sendAttempts times, counted failed and
// left out of the checkpoint, so that a re-run sends it.
func TestSendRetriesAndCounts(t *testing.T) {
	defer func(d time.Duration) { sendBackoff = d }(sendBackoff)
	sendBackoff = time.Millisecond
	chunks := cut(sortedAccounts(60000, "user-"), erasure.MaxAccountsPerRequest, testTemplate.fixedSize(), sqsMaxBytes, testAuditKey)
	tgt := &flakyTarget{tries: map[string]int{}, never: chunks[2].eventID}
	cpPath := filepath.Join(t.TempDir(), "cp")
	cp, err := openCheckpoint(cpPath, tgt.String())
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	res, err := send(context.Background(), tgt, testTemplate, chunks, cp, 2, &progress)
	cp.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.sent != len(chunks)-1 || res.failed != 1 || tgt.tries[tgt.never] != sendAttempts {
		t.Errorf("sent %d, failed %d of %d; the refused one tried %d times, want %d", res.sent, res.failed, len(chunks), tgt.tries[tgt.never], sendAttempts)
	}
	data, _ := os.ReadFile(cpPath)
	if strings.Contains(string(data), tgt.never) || strings.Count(string(data), eventIDPrefix) != len(chunks)-1 {
		t.Errorf("checkpoint:\n%s", data)
	}
	if !strings.Contains(progress.String(), "1 messages not sent after 4 tries: refused by the service (ServiceUnavailable)") {
		t.Errorf("progress output:\n%s", progress.String())
	}
}
