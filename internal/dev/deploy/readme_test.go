package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/telemetry"
)

const repoRoot = "../../.."

var (
	// A Markdown link to a file of the repository (not a URL, not an anchor).
	relativeLink = regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	// A path in a code span: a word with a slash.
	pathSpan = regexp.MustCompile("`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`")
	// A make invocation in a code span or at the start of a command line.
	readmeMake = regexp.MustCompile("(?:`|^\\s*(?:\\$ )?)make ([a-z][A-Za-z0-9_-]*)")
	// A target of the Makefile.
	makefileTarget = regexp.MustCompile(`(?m)^([A-Za-z][A-Za-z0-9_-]*):`)
)

// TestREADMEReferencesExist reads README as a newcomer would: every relative
// link and every path it names in a code span exists, and every make target
// it names is in the Makefile.
func TestREADMEReferencesExist(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)

	for _, m := range relativeLink.FindAllStringSubmatch(readme, -1) {
		if !exists(m[1]) {
			t.Errorf("README links to %s, which does not exist", m[1])
		}
	}
	checked := 0
	for _, m := range pathSpan.FindAllStringSubmatch(readme, -1) {
		path := strings.TrimSuffix(m[1], "/")
		if !ours(path) {
			continue
		}
		checked++
		if !exists(path) && !exists(filepath.Join("internal", path)) {
			t.Errorf("README names %s, found neither at the top nor under internal/", m[1])
		}
	}
	if checked < 10 {
		t.Errorf("only %d repository paths recognised in README; the check would be vacuous", checked)
	}

	mk, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range makefileTarget.FindAllStringSubmatch(string(mk), -1) {
		targets[m[1]] = true
	}
	named := 0
	for _, line := range strings.Split(readme, "\n") {
		for _, m := range readmeMake.FindAllStringSubmatch(line, -1) {
			named++
			if !targets[m[1]] {
				t.Errorf("README runs `make %s`; the Makefile has no such target", m[1])
			}
		}
	}
	if named == 0 {
		t.Error("no make target found in README; the check would be vacuous")
	}
}

// ours tells whether a code-span path is meant as a path of this
// repository: built outputs, Tencent API paths and Go import paths of
// other modules are not.
func ours(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	switch first {
	case "internal", "events", "function", ".ci", ".github":
		return true
	}
	info, err := os.Stat(filepath.Join(repoRoot, "internal", first))
	return err == nil && info.IsDir()
}

func exists(path string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, path))
	return err == nil
}

// metricRow is README's row of one metric of telemetry.Catalog.
func metricRow(m telemetry.Metric) string {
	dims := "`FunctionName`"
	if m.ByClass {
		dims += ", `Class`"
	}
	per := "batch"
	switch {
	case m.ByClass:
		per = "class and batch"
	case m.PerMessage:
		per = "message"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s | %s |", m.Name, m.Unit, dims, per, m.Meaning)
}

// TestREADMEMetrics: README's metric list is telemetry.Catalog, row for
// row, so that neither can change without the other.
func TestREADMEMetrics(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "| `") && slices.ContainsFunc(telemetry.Catalog, func(m telemetry.Metric) bool {
			return strings.HasPrefix(line, "| `"+m.Name+"` |")
		}) {
			rows = append(rows, line)
		}
	}
	var want []string
	for _, m := range telemetry.Catalog {
		want = append(want, metricRow(m))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("README's metric rows:\n%s\nwant, from telemetry.Catalog:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
