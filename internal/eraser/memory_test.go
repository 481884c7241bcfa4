package eraser

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// TestMemoryPerAccount holds memoryPerAccount to what planning really
// keeps alive per account: the request's slice of accounts, the plan with
// its index, and each part's outcomes, for 10,000-account messages of
// distinct accounts with attributes and tags. The live bytes are measured
// after a collection, which is exact; the constant must leave the garbage
// collector room on top (a memory limit lets the heap grow to about 1.4x
// what is live).
func TestMemoryPerAccount(t *testing.T) {
	const messages, perMessage = 20, 10_000
	accounts := make([]string, messages*perMessage)
	for i := range accounts {
		accounts[i] = strconv.Itoa(1_000_000 + i)[1:] // distinct 6-byte ids, their bytes allocated before
	}
	before := liveHeap()
	requests := make([]erasure.Request, messages)
	for m := range requests {
		requests[m] = erasure.Request{Accounts: append([]string(nil), accounts[m*perMessage:(m+1)*perMessage]...), Attrs: []string{"sex"}}
	}
	p := &Processor{EraseTags: true}
	plan := NewPlan(requests)
	parts := p.newParts(len(plan.Entries))
	perAccount := float64(liveHeap()-before) / float64(len(accounts))
	runtime.KeepAlive(requests)
	runtime.KeepAlive(plan)
	runtime.KeepAlive(parts)
	t.Logf("%.0f bytes live per account; memoryPerAccount %d", perAccount, memoryPerAccount)
	if limit := float64(memoryPerAccount) / 1.4; perAccount > limit {
		t.Errorf("planning keeps %.0f bytes alive per account; memoryPerAccount (%d) allows %.0f with the collector's room", perAccount, memoryPerAccount, limit)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
