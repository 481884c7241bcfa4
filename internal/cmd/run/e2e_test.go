package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attr-eraser/attr-eraser/internal/dev/localrun"
	"github.com/attr-eraser/attr-eraser/internal/signingkey"
	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

const moduleRoot = "../../.."

// The function, the emulator and eraserctl, built once for the tests that
// run them.
var (
	buildOnce                 sync.Once
	buildDir                  string
	bootstrap, rie, eraserctl string
	buildErr                  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func binaries(t *testing.T) (string, string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "attr-eraser-run")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if bootstrap, rie, buildErr = localrun.Build(ctx, dir); buildErr != nil {
			return
		}
		eraserctl = filepath.Join(dir, "eraserctl")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", eraserctl, "github.com/attr-eraser/attr-eraser/internal/cmd/eraserctl").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bootstrap, rie
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// transcript is one run's output, cut into what the tests look at.
type transcript struct {
	out string
	// lines are the function's JSON lines of the clean output, decoded;
	// summary is its "batch processed" line.
	lines   []map[string]any
	summary map[string]any
}

func runOnce(t *testing.T, o options, environ map[string]string) transcript {
	t.Helper()
	o.bootstrap, o.rie = binaries(t)
	if o.event == "" {
		o.event = sampleEvent
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	if err := run(ctx, o, &out, lookup); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	tr := transcript{out: out.String()}
	if o.raw {
		return tr
	}
	_, section, ok := strings.Cut(tr.out, "== function output")
	section, _, ok2 := strings.Cut(section, "\n(not shown:")
	if !ok || !ok2 {
		t.Fatalf("no function output section:\n%s", tr.out)
	}
	_, section, _ = strings.Cut(section, "\n")
	// Every record of the clean output is the function's JSON, laid out.
	for chunk := range strings.SplitSeq(section, "\n\n") {
		chunk = strings.TrimSpace(chunk)
		if !strings.HasPrefix(chunk, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(chunk), &m); err != nil {
			t.Fatalf("a record of the clean output is not JSON: %v\n%s", err, chunk)
		}
		tr.lines = append(tr.lines, m)
		if m["msg"] == "batch processed" {
			tr.summary = m
		}
	}
	if tr.summary == nil {
		t.Fatalf("no summary line in the clean output:\n%s", tr.out)
	}
	return tr
}

func (tr transcript) num(t *testing.T, key string) float64 {
	t.Helper()
	v, ok := tr.summary[key].(float64)
	if !ok {
		t.Fatalf("summary has no number %q: %v", key, tr.summary)
	}
	return v
}

// classes returns the class of each failed message's audit line.
func (tr transcript) classes() map[string]string {
	c := map[string]string{}
	for _, l := range tr.lines {
		if l["msg"] == "audit" && l["outcome"] != "erased" {
			c[l["messageId"].(string)], _ = l["class"].(string)
		}
	}
	return c
}

var emulatorNoise = regexp.MustCompile(`(?m)\(rapid\)|^(START|END|REPORT) RequestId`)

// TestRunDefault: the clean output holds the function's lines only, and
// the eraserctl hash command it prints reproduces a hash of its audit lines.
func TestRunDefault(t *testing.T) {
	tr := runOnce(t, options{}, nil)
	if emulatorNoise.MatchString(tr.out) {
		t.Errorf("the clean output shows emulator lines:\n%s", tr.out)
	}
	if strings.Contains(tr.out, `"_aws"`) || strings.Contains(tr.out, "SIGTERM") {
		t.Errorf("the clean output shows EMF or shutdown lines:\n%s", tr.out)
	}
	if tr.num(t, "erased") != 3 || tr.num(t, "failed") != 0 {
		t.Errorf("summary %v", tr.summary)
	}
	for _, want := range []string{"NOT FOR PRODUCTION", localrun.DevSecretFile, `"batchItemFailures": []`, "settings: make run's defaults", noDLQ} {
		if !strings.Contains(tr.out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// The printed command, run as printed, prints the printed hash, which
	// is on an audit line.
	m := regexp.MustCompile(`(?m)^  go run \./internal/cmd/eraserctl (hash .*)\n  # ([0-9a-f]{32})  ([0-9a-f]{8})$`).FindStringSubmatch(tr.out)
	if m == nil {
		t.Fatalf("no eraserctl hash command in the output:\n%s", tr.out)
	}
	cmd := exec.Command(eraserctl, strings.Fields(m[1])...)
	cmd.Dir = moduleRoot
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("eraserctl %s: %v", m[1], err)
	}
	if want := m[2] + "  " + m[3] + "\n"; string(got) != want {
		t.Errorf("eraserctl printed %q, run promised %q", got, want)
	}
	key := signingkey.AuditKey(localrun.DevKey())
	account := strings.Fields(m[1])[len(strings.Fields(m[1]))-1]
	if telemetry.Hash(key, account) != m[2] || telemetry.KeyID(key) != m[3] {
		t.Errorf("the printed hash is not telemetry.Hash of the development audit key")
	}
	found := false
	for _, l := range tr.lines {
		hashes, _ := l["accountHashes"].([]any)
		for _, h := range hashes {
			found = found || h == m[2]
		}
		if l["msg"] == "audit" && l["auditKeyId"] != m[3] {
			t.Errorf("audit line with auditKeyId %v, want %s", l["auditKeyId"], m[3])
		}
	}
	if !found {
		t.Errorf("no audit line names %s", m[2])
	}
}

// TestRunRaw: -raw shows the emulator's lines too, and the function's
// lines as printed.
func TestRunRaw(t *testing.T) {
	tr := runOnce(t, options{raw: true}, nil)
	if !emulatorNoise.MatchString(tr.out) || !strings.Contains(tr.out, `{"time":`) || !strings.Contains(tr.out, `"_aws"`) {
		t.Errorf("raw output:\n%s", tr.out)
	}
}

// TestRunSettings: a function variable from the environment is shown at the
// top and reaches the function.
func TestRunSettings(t *testing.T) {
	tr := runOnce(t, options{}, map[string]string{"DRY_RUN": "true", "TIM_REGION": "singapore"})
	if !strings.Contains(tr.out, "settings: DRY_RUN=true") || !strings.Contains(tr.out, "ignored from your environment: TIM_REGION") {
		t.Errorf("settings not shown:\n%s", tr.out)
	}
	if tr.summary["dryRun"] != true {
		t.Errorf("DRY_RUN did not reach the function: %v", tr.summary)
	}
}

// TestRunFaults: each FAULT shows what it promises with the sample event.
func TestRunFaults(t *testing.T) {
	tests := []struct {
		fault string
		check func(t *testing.T, tr transcript)
	}{
		{"rate-limit", func(t *testing.T, tr transcript) {
			if tr.num(t, "rateLimited") == 0 || tr.num(t, "retries") == 0 || tr.num(t, "erased") != 3 {
				t.Errorf("summary %v", tr.summary)
			}
		}},
		{"flaky", func(t *testing.T, tr transcript) {
			if tr.num(t, "retries") == 0 || tr.num(t, "erased") != 3 {
				t.Errorf("summary %v", tr.summary)
			}
		}},
		{"signature", func(t *testing.T, tr transcript) {
			if tr.summary["systemic"] != true || tr.num(t, "failed") != 3 {
				t.Errorf("summary %v", tr.summary)
			}
			for id, class := range tr.classes() {
				if class != "signature" {
					t.Errorf("%s: class %s", id, class)
				}
			}
			if !strings.Contains(tr.out, "secret reads: 2") || !strings.Contains(tr.out, "the function returned an error") {
				t.Errorf("no secret re-read or no error shown:\n%s", tr.out)
			}
		}},
		{"content", func(t *testing.T, tr transcript) {
			if tr.num(t, "splits") == 0 || tr.num(t, "failed") != 1 {
				t.Errorf("summary %v", tr.summary)
			}
			if c := tr.classes(); len(c) != 1 || c["gdpr-0001"] != "content" {
				t.Errorf("failed messages %v, want gdpr-0001 content", c)
			}
			if !strings.Contains(tr.out, "FAIL 90001 (FAULT=content") {
				t.Errorf("the rejected calls are not listed:\n%s", tr.out)
			}
		}},
		{"unverified", func(t *testing.T, tr transcript) {
			if c := tr.classes(); len(c) != 1 || c["gdpr-0001"] != "unverified" {
				t.Errorf("failed messages %v, want gdpr-0001 unverified", c)
			}
			if tr.num(t, "erased") != 2 {
				t.Errorf("summary %v", tr.summary)
			}
			if !strings.Contains(tr.out, "all_member_push/im_get_attr ") || !strings.Contains(tr.out, "read back (verification): ") {
				t.Errorf("the read-back calls are not listed:\n%s", tr.out)
			}
			for _, v := range UnappliedAttrs() {
				if strings.Contains(tr.out, v) {
					t.Errorf("the output shows the attribute value %q", v)
				}
			}
		}},
		{"outage", func(t *testing.T, tr transcript) {
			if tr.num(t, "failed") != 3 || tr.num(t, "retries") == 0 || tr.summary["systemic"] != false {
				t.Errorf("summary %v", tr.summary)
			}
			for id, class := range tr.classes() {
				if class != "retryable" {
					t.Errorf("%s: class %s", id, class)
				}
			}
		}},
	}
	if len(tests) != len(faults) {
		t.Fatalf("%d faults tested, %d defined", len(tests), len(faults))
	}
	binaries(t)
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			tr := runOnce(t, options{fault: tt.fault}, nil)
			if !strings.Contains(tr.out, "FAULT="+tt.fault+": ") {
				t.Errorf("the fault is not explained:\n%s", tr.out)
			}
			tt.check(t, tr)
		})
	}
}
