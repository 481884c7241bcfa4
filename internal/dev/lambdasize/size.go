package lambdasize

import "math"

const (
	// oneVCPUMB is the MemorySize at which Lambda gives a full vCPU.
	oneVCPUMB = 1769
	// cfsPeriodUS is the CPU bandwidth period (the kernel's default).
	cfsPeriodUS = 100_000
	// minQuotaUS is the smallest quota the kernel accepts.
	minQuotaUS = 1000
	// memorySizeEnv tells the emulator, and the function, its MemorySize.
	memorySizeEnv = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
)

// limitBytes is the memory of a function of memoryMB: Lambda's MB are MiB.
func limitBytes(memoryMB int) int64 { return int64(memoryMB) << 20 }

// cpuShare is the fraction of one CPU Lambda gives memoryMB.
func cpuShare(memoryMB int) float64 { return float64(memoryMB) / oneVCPUMB }

// quotaUS is the CPU time per cfsPeriodUS that gives memoryMB its share.
func quotaUS(memoryMB int) int {
	return max(minQuotaUS, int(math.Round(cpuShare(memoryMB)*cfsPeriodUS)))
}
