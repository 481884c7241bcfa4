package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// sortedAccounts returns n distinct valid accounts, sorted.
func sortedAccounts(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%07d", prefix, i*7)
	}
	slices.Sort(out)
	return out
}

// testAuditKey names the test's chunks, as the deployment's audit key does.
var testAuditKey = []byte("eraserctl-test-audit-key")

// auditKeyFile writes testAuditKey to a file for -key-file.
func auditKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(path, testAuditKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEventIDsAreKeyed: a chunk's eventId is a digest keyed by the audit
// key: the same key names the same accounts alike, and without the key an
// eventId cannot be matched to a candidate account (a one-account chunk
// names one account).
func TestEventIDsAreKeyed(t *testing.T) {
	one := []string{"user-1001"}
	a, again, other := newChunk(one, testAuditKey), newChunk(one, testAuditKey), newChunk(one, []byte("another deployment's key"))
	if a.eventID != again.eventID {
		t.Errorf("one key, one account: eventIds %s and %s", a.eventID, again.eventID)
	}
	if a.eventID == other.eventID {
		t.Errorf("two keys gave one eventId %s", a.eventID)
	}
	if unkeyed := newChunk(one, nil); a.eventID == unkeyed.eventID {
		t.Errorf("the eventId %s does not depend on the key", a.eventID)
	}
}

var testTemplate = template{Type: erasure.UserDeleted, OccurredAt: "2024-01-01T00:00:00Z", BackfilledAt: "2026-12-07T00:00:00Z"}

// TestCutLimits: every chunk's message parses under the contract, holds at
// most 10,000 accounts and fits the target's size; together they hold every
// account once, in order.
func TestCutLimits(t *testing.T) {
	escaped := make([]string, 30000)
	for i := range escaped {
		// 32 bytes, most of them escaped by encoding/json: the worst case.
		escaped[i] = fmt.Sprintf("%06d", i) + strings.Repeat("<\"", 13)
	}
	slices.Sort(escaped)
	tests := []struct {
		name     string
		accounts []string
		maxBytes int
	}{
		{"SQS, short ids", sortedAccounts(100000, "user-"), sqsMaxBytes},
		{"SNS, worst-case ids", escaped, snsMaxBytes},
		{"EventBridge, worst-case ids", escaped, (&eventsTarget{source: "attr-eraser.backfill", detailType: "UserDeleted"}).maxBody()},
		{"one account", []string{"u1"}, sqsMaxBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := cut(tt.accounts, erasure.MaxAccountsPerRequest, testTemplate.fixedSize(), tt.maxBytes, testAuditKey)
			var all []string
			for _, c := range chunks {
				body, err := testTemplate.body(c)
				if err != nil {
					t.Fatal(err)
				}
				if len(body) > tt.maxBytes || len(c.accounts) > erasure.MaxAccountsPerRequest {
					t.Fatalf("chunk of %d accounts, %d bytes; limits %d, %d", len(c.accounts), len(body), erasure.MaxAccountsPerRequest, tt.maxBytes)
				}
				req, err := erasure.Parse(string(body))
				if err != nil {
					t.Fatalf("the contract refuses a chunk: %v", err)
				}
				if req.EventID != c.eventID || req.BackfilledAt != testTemplate.BackfilledAt || len(req.Accounts) != len(c.accounts) {
					t.Fatalf("parsed %v", req)
				}
				all = append(all, c.accounts...)
			}
			if !slices.Equal(all, tt.accounts) {
				t.Fatalf("chunks hold %d accounts, want the %d given in order", len(all), len(tt.accounts))
			}
			t.Logf("%d accounts in %d chunks", len(all), len(chunks))
		})
	}
}

// TestAccountSize: accountSize is what an account adds to the body.
func TestAccountSize(t *testing.T) {
	for _, a := range []string{"u", "a b", `q"q`, `b\s`, "<>&", "x'y"} {
		one, _ := json.Marshal([]string{a})
		two, _ := json.Marshal([]string{a, a})
		if got, want := accountSize(a), len(two)-len(one); got != want {
			t.Errorf("accountSize(%q) = %d, want %d", a, got, want)
		}
	}
}

// TestCutStable: the same accounts give the same eventIds, and one account
// inserted into 100,000 changes only the chunk it falls in (one eventId
// gone, one new), not every later chunk as cutting by position would.
func TestCutStable(t *testing.T) {
	accounts := sortedAccounts(100000, "user-")
	ids := func(accounts []string) []string {
		var out []string
		for _, c := range cut(accounts, erasure.MaxAccountsPerRequest, testTemplate.fixedSize(), sqsMaxBytes, testAuditKey) {
			out = append(out, c.eventID)
		}
		return out
	}
	before := ids(accounts)
	if again := ids(slices.Clone(accounts)); !slices.Equal(before, again) {
		t.Fatal("the same accounts gave other eventIds")
	}
	for _, at := range []int{0, 1, 50000, 99999} {
		inserted := slices.Clone(accounts)
		inserted = slices.Insert(inserted, at, accounts[at]+"-new")
		after := ids(inserted)
		gone, added := 0, 0
		for _, id := range before {
			if !slices.Contains(after, id) {
				gone++
			}
		}
		for _, id := range after {
			if !slices.Contains(before, id) {
				added++
			}
		}
		if gone > 1 || added > 1 {
			t.Errorf("inserting at %d: %d of %d eventIds gone, %d new; want 1 and 1", at, gone, len(before), added)
		}
	}
	// Messages stay well filled: on average above the cut threshold.
	if n := len(before); float64(n) > 100000/(erasure.MaxAccountsPerRequest*cutFill)+1 {
		t.Errorf("%d chunks for 100,000 accounts", n)
	}
}
