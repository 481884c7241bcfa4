package localrun

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
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
	bootstrap = filepath.Join(dir, "bootstrap")
	rie = filepath.Join(dir, "aws-lambda-rie")
	builds := [][]string{
		{"build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, FunctionPackage},
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
