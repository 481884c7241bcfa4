package localrun

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Packages built by Build.
const (
	FunctionPackage = "github.com/attr-eraser/attr-eraser/function"
	RIEPackage      = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
)

// Build compiles the function (for this machine, as `sam build` would
// for Lambda: CGO off, lambda.norpc) and the emulator pinned in go.mod into
// dir, and returns their paths.
func Build(ctx context.Context, dir string) (bootstrap, rie string, err error) {
	return BuildTagged(ctx, dir)
}

// BuildTagged is Build with more build tags for the function, such as
// devrate (RATE_LIMIT_PER_SECOND beyond Tencent's 100, for the memory
// tests).
func BuildTagged(ctx context.Context, dir string, tags ...string) (bootstrap, rie string, err error) {
	bootstrap = filepath.Join(dir, "bootstrap")
	rie = filepath.Join(dir, "aws-lambda-rie")
	builds := [][]string{
		{"build", "-tags", strings.Join(append([]string{"lambda.norpc"}, tags...), ","), "-trimpath", "-o", bootstrap, FunctionPackage},
		{"build", "-o", rie, RIEPackage},
	}
	for _, args := range builds {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go %v: %w\n%s", args, err, out)
		}
	}
	return bootstrap, rie, nil
}
