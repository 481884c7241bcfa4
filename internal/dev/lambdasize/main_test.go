package lambdasize

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary a child for the tests to run in a group:
// "alloc" touches more memory than its group has, "spin" burns CPU.
const helperEnv = "LAMBDASIZE_TEST_HELPER"

const (
	allocMiB = 200
	spinCPU  = 20 * time.Millisecond
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "alloc":
		buf := make([]byte, allocMiB<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		fmt.Println("survived")
	case "spin":
		for ownCPU() < spinCPU {
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

func ownCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
