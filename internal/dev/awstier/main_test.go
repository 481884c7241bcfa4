package awstier_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/awstier"
	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
)

const templatePath = "../../../template.yaml"

// The outage scenario is the longest: the tier's one time-scale factor is
// the largest that fits its receives of the template's retry schedule into
// this budget (the invocations themselves come on top).
const (
	outageReceives       = 12
	outageScheduleBudget = 60 * time.Second
)

// scenarios is the number of scenario tests (each calls t.Parallel).
const scenarios = 5

// tier is what every scenario shares: one moto_server, the built binaries,
// and the template's settings at the tier's scale.
var tier struct {
	missing   bool // moto_server is not on PATH
	moto      *awstier.Moto
	clients   *awstier.Clients
	bootstrap string
	rie       string
	settings  awstier.Settings
	scaled    awstier.Scaled
	began     time.Time
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tier.began = time.Now()
	// The scenarios wait on timers, SQS and Tencent's rate limit, not on
	// the CPU: run them all at once unless -parallel says otherwise (its
	// default, GOMAXPROCS, would queue them on a 2-core machine).
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(max(scenarios, runtime.GOMAXPROCS(0))))
	}
	tmpl, err := awstier.LoadTemplate(templatePath)
	if err == nil {
		tier.settings, err = tmpl.Settings()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstier:", err)
		return 1
	}
	factor, err := awstier.ScheduleScale(tier.settings, outageReceives, outageScheduleBudget)
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstier:", err)
		return 1
	}
	tier.scaled = tier.settings.Scale(factor)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tier.moto, err = awstier.StartMoto(ctx)
	switch {
	case errors.Is(err, awstier.ErrNoMoto):
		tier.missing = true
		// go test shows a passing package's output only with -v; the
		// line goes to both streams for whoever does see it.
		line := "=== SKIPPED: " + awstier.MotoMissing
		fmt.Fprintln(os.Stderr, line)
		fmt.Fprintln(os.Stdout, line)
		return m.Run()
	case err != nil:
		fmt.Fprintln(os.Stderr, "awstier:", err)
		return 1
	}
	defer tier.moto.Close()
	tier.clients = awstier.NewClients(tier.moto.URL)

	dir, err := os.MkdirTemp("", "attr-eraser-awstier")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if tier.bootstrap, tier.rie, err = localrun.Build(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	fmt.Printf("awstier: tier took %v (moto, build and every test)\n", time.Since(tier.began).Round(time.Millisecond))
	return code
}

// needTier skips a scenario without moto_server, loudly, or fails it
// under CI=true, where a missing tier must not pass for a green one.
func needTier(t *testing.T) {
	t.Helper()
	if !tier.missing {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(awstier.MotoMissing + "; CI=true requires it")
	}
	t.Skip("=== SKIPPED: " + awstier.MotoMissing)
}
