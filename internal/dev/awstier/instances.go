package awstier

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/app"
	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

// FunctionEnv is the function's environment in a deployment: every
// variable the template sets, at its parameter defaults, with the retry
// schedule scaled, and what only the deployment knows filled in (the
// Tencent stand-in as TIM_BASE_URL, the DLQ's URL). SECRET_ID is set by
// localrun from the deployment's secret. A template variable nobody fills
// in is an error, so a new one cannot be silently left out.
func FunctionEnv(s Settings, sc Scaled, d *Deployment, tencentURL string) ([]string, error) {
	env := maps.Clone(s.Env)
	filled := map[string]string{
		config.EnvBaseURL:         tencentURL,
		config.EnvRegion:          "",
		config.EnvSDKAppID:        "", // the secret's sdkAppId
		config.EnvDeadLetterQueue: d.DeadLetterURL,
		config.EnvRetryBase:       seconds(sc.RetryBase),
		config.EnvRetryMax:        seconds(sc.RetryMax),
	}
	maps.Copy(env, filled)
	for _, name := range s.Unresolved {
		if _, ok := env[name]; !ok && name != config.EnvSecretID {
			return nil, fmt.Errorf("the template's %s depends on the deployment and the tier does not set it", name)
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	// The tier scales time, not CPU: its instances run unthrottled, so the
	// function is told the size that gives a full CPU, and the time it keeps
	// back for reporting (derived from its CPU share) fits what it has. The
	// template's MemorySize is measured at its own share by the Lambda-sized
	// tests (internal/dev/localrun) and `make bench`.
	out = append(out, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(app.FullCPUMemoryMB))
	return out, nil
}

// Pool is the function's concurrent instances: one emulator each, all
// sharing one Tencent stand-in, as a deployment's instances share
// Tencent's per-app rate limit.
type Pool struct {
	Stacks []*localrun.Stack
}

// PoolOptions configure a Pool.
type PoolOptions struct {
	Bootstrap, RIE string
	// Instances is the number of emulators (MaximumConcurrency).
	Instances int
	Tencent   *timtest.Server
	AWS       localrun.AWS
	Env       []string
	Timeout   time.Duration
}

// StartPool starts the instances.
func StartPool(ctx context.Context, o PoolOptions) (*Pool, error) {
	p := &Pool{}
	for i := range o.Instances {
		aws := o.AWS
		stack, err := localrun.Start(ctx, localrun.Options{
			Bootstrap:     o.Bootstrap,
			RIE:           o.RIE,
			SharedTencent: o.Tencent,
			AWS:           &aws,
			Env:           o.Env,
			Timeout:       o.Timeout,
		})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("instance %d: %w", i, err)
		}
		p.Stacks = append(p.Stacks, stack)
	}
	return p, nil
}

// Invokers returns the instances for a Poller.
func (p *Pool) Invokers() []Invoker {
	inv := make([]Invoker, len(p.Stacks))
	for i, s := range p.Stacks {
		inv[i] = s
	}
	return inv
}

// AuditLines returns the audit lines every instance printed so far.
func (p *Pool) AuditLines() []AuditLine {
	var lines []AuditLine
	for i, s := range p.Stacks {
		lines = append(lines, ParseAudit(s.Output(), i)...)
	}
	return lines
}

// Tail returns the last bytes each instance printed, for a failure report.
func (p *Pool) Tail(n int) string {
	var b strings.Builder
	for i, s := range p.Stacks {
		out := s.Output()
		if len(out) > n {
			out = "..." + out[len(out)-n:]
		}
		fmt.Fprintf(&b, "--- instance %d ---\n%s\n", i, out)
	}
	return b.String()
}

// Close stops every instance.
func (p *Pool) Close() {
	for _, s := range p.Stacks {
		s.Close()
	}
}
