package app_test

import (
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/app"
)

// TestResources: what the function takes from Lambda's MemorySize; outside
// Lambda (size 0) nothing is bounded.
func TestResources(t *testing.T) {
	tests := []struct {
		memoryMB    int
		goLimit     int64
		batchBudget int64
		cpuShare    float64
	}{
		{0, 0, 0, 0},
		{128, 80530636, 80530636 - 16<<20, 128.0 / 1769},
		{512, 322122547, 322122547 - 16<<20, 512.0 / 1769},
		{1769, 1112958566, 1112958566 - 16<<20, 1},
		{3008, 1892469964, 1892469964 - 16<<20, 1},
	}
	for _, tt := range tests {
		if got := app.GoMemoryLimit(tt.memoryMB); got != tt.goLimit {
			t.Errorf("GoMemoryLimit(%d) = %d, want %d (60 %%)", tt.memoryMB, got, tt.goLimit)
		}
		if got := app.BatchMemoryBudget(tt.memoryMB, false); got != tt.batchBudget {
			t.Errorf("BatchMemoryBudget(%d, false) = %d, want %d", tt.memoryMB, got, tt.batchBudget)
		}
		// With verification, 16 read-backs of each part in flight, each a
		// whole answer: 256 KiB of attributes, 1 MiB of tags.
		const readBacks = 16 * (256<<10 + 1<<20)
		if got, want := app.BatchMemoryBudget(tt.memoryMB, true), max(tt.batchBudget-readBacks, 0); tt.memoryMB != 0 && got != want {
			t.Errorf("BatchMemoryBudget(%d, true) = %d, want %d", tt.memoryMB, got, want)
		}
		if got := app.CPUShare(tt.memoryMB); got != tt.cpuShare {
			t.Errorf("CPUShare(%d) = %v, want %v", tt.memoryMB, got, tt.cpuShare)
		}
	}
}
