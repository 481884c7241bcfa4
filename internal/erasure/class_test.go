package erasure

import "testing"

// TestClasses pins every class's name (audit lines, metrics and the README
// use it) and which classes are systemic.
func TestClasses(t *testing.T) {
	tests := []struct {
		class    Class
		name     string
		systemic bool
	}{
		{Unknown, "unknown", false},
		{Retryable, "retryable", false},
		{RateLimited, "rate_limited", false},
		{SigExpired, "usersig_expired", false},
		{Signature, "signature", true},
		{Content, "content", false},
		{Configuration, "configuration", true},
		{Cancelled, "cancelled", false},
		{Invalid, "invalid", false},
		{Deadline, "deadline", false},
		{DryRun, "dry_run", false},
		{FIFOBlocked, "fifo_blocked", false},
		{Internal, "internal", false},
		{Capacity, "capacity", false},
		{Receipt, "receipt", false},
		{Unverified, "unverified", false},
	}
	for _, tt := range tests {
		if got := tt.class.String(); got != tt.name {
			t.Errorf("%q.String() = %q, want %q", tt.class, got, tt.name)
		}
		if got := tt.class.Systemic(); got != tt.systemic {
			t.Errorf("%q.Systemic() = %v, want %v", tt.class, got, tt.systemic)
		}
	}
}
