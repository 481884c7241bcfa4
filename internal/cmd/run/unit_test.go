package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attr-eraser/attr-eraser/internal/config"
	"github.com/attr-eraser/attr-eraser/internal/tim/timtest"
)

const sampleEvent = "../../../events/sqs-gdpr-erasure.json"

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadEventSamples: every sample SQS event is accepted, with its
// records and the accounts of its valid bodies.
func TestReadEventSamples(t *testing.T) {
	files, err := filepath.Glob("../../../events/sqs-*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("samples: %v %v", files, err)
	}
	for _, file := range files {
		ev, err := readEvent(file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if len(ev.Messages) == 0 || len(ev.accounts()) == 0 {
			t.Errorf("%s: %d messages, %d accounts", file, len(ev.Messages), len(ev.accounts()))
		}
	}
	ev, err := readEvent(sampleEvent)
	if err != nil {
		t.Fatal(err)
	}
	if a, id, ok := ev.loneAccount(); !ok || a != "user-1001" || id != "gdpr-0001" {
		t.Errorf("loneAccount = %q %q %v, want user-1001 of gdpr-0001", a, id, ok)
	}
}

// TestReadEventRejects: what is not an SQS event with a record is a clear
// error, never an invocation with nothing in it.
func TestReadEventRejects(t *testing.T) {
	rec := func(fields string) string { return `{"Records":[{` + fields + `}]}` }
	tests := []struct {
		name, content, want string
	}{
		{"not JSON", "nope", "is not JSON"},
		{"truncated", `{"Records":[`, "is not JSON"},
		{"array", `[1,2]`, `not an object with "Records"`},
		{"a message body", `{"type":"gdpr.erasure","accounts":["u1"]}`, "looks like one message body"},
		{"lower-case records", `{"records":[]}`, "capital R"},
		{"other JSON", `{"$schema":"x"}`, `has no "Records"`},
		{"records not an array", `{"Records":{}}`, "not an array"},
		{"no records", `{"Records":[]}`, "has no records"},
		{"record not an object", `{"Records":["x"]}`, "Records[0] is not an object"},
		{"no messageId", rec(`"body":"{}","eventSource":"aws:sqs"`), "no messageId"},
		{"body not a string", rec(`"messageId":"m","body":{"type":"x"},"eventSource":"aws:sqs"`), "has no body"},
		{"not from SQS", rec(`"messageId":"m","body":"{}","eventSource":"aws:sns"`), `eventSource "aws:sns"`},
		{"no eventSource", rec(`"messageId":"m","body":"{}"`), `eventSource ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readEvent(writeFile(t, tt.content))
			var evErr *eventError
			if !errors.As(err, &evErr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an eventError containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), `"eventSource":"aws:sqs"`) {
				t.Errorf("error does not show what an SQS event is: %v", err)
			}
		})
	}
	if _, err := readEvent(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
	// An invalid body is the function's business, not run's.
	ev, err := readEvent(writeFile(t, rec(`"messageId":"bad","body":"{","eventSource":"aws:sqs"`)))
	if err != nil || len(ev.Messages) != 1 || ev.Messages[0].Accounts != nil {
		t.Errorf("invalid body: %+v %v", ev, err)
	}
}

// TestFaultTable: every FAULT has a plan that explains itself and is a
// valid stand-in configuration; an unknown one lists them all.
func TestFaultTable(t *testing.T) {
	ev, err := readEvent(sampleEvent)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range faultNames() {
		p, err := planFault(name, ev)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.Does == "" || p.LookFor == "" {
			t.Errorf("%s: plan does not say what it does and what to look for: %+v", name, p)
		}
		if err := p.Faults.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p.Faults == (timtest.Faults{}) && p.Key == nil && p.Reject == "" && p.Unapplied == "" {
			t.Errorf("%s: the plan changes nothing", name)
		}
	}
	_, err = planFault("typo", ev)
	if !errors.Is(err, errUnknownFault) {
		t.Fatalf("unknown fault: %v", err)
	}
	for _, name := range faultNames() {
		if !strings.Contains(err.Error(), "FAULT="+name) {
			t.Errorf("the error does not list %s: %v", name, err)
		}
	}
	invalidOnly := &event{Messages: []message{{ID: "bad"}}}
	if _, err := planFault("content", invalidOnly); err == nil {
		t.Error("content on an event without accounts: no error")
	}
	if _, err := planFault("unverified", invalidOnly); err == nil {
		t.Error("unverified on an event without accounts: no error")
	}
}

// TestSettings: the function's variables come from the environment and
// from arguments, which win; the wiring is taken from arguments only.
func TestSettings(t *testing.T) {
	environ := map[string]string{
		config.EnvDryRun: "true", config.EnvLogLevel: "debug", config.EnvRegion: "singapore",
		"HOME": "/root", "EVENT": "x.json",
	}
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	set, ignored, err := settings(lookup, []string{"LOG_LEVEL=warn", "TIM_BASE_URL=http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	got := env(set)
	want := []string{"LOG_LEVEL=warn", "DRY_RUN=true", "TIM_BASE_URL=http://127.0.0.1:1"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("env = %v, want %v", got, want)
	}
	if !slices.Equal(ignored, []string{config.EnvRegion}) {
		t.Errorf("ignored = %v", ignored)
	}
	for _, bad := range []string{"DRY_RUN", "=x", "A B=c"} {
		if _, _, err := settings(lookup, []string{bad}); err == nil {
			t.Errorf("argument %q accepted", bad)
		}
	}
}

// TestLayout: the layout changes whitespace only, keeps the members'
// order, and breaks long lines.
func TestLayout(t *testing.T) {
	hashes := make([]string, 40)
	for i := range hashes {
		hashes[i] = strings.Repeat("ab", 16)
	}
	hashJSON, _ := json.Marshal(hashes)
	inputs := []string{
		`{}`, `[]`, `"x"`, `12.50`, `null`,
		`{"a":1}`,
		`{"time":"2026-12-01T11:33:59.979239632Z","level":"INFO","msg":"audit","messageId":"gdpr-0001","accounts":3,"done":["attrs"],"accountHashes":` + string(hashJSON) + `,"z":{"nested":[{"deep":true},[],{}],"esc":"a\"b\\c\u00e9\u003c"}}`,
		`{"b":2,"a":1,"failuresByClass":{},"reason":"` + strings.Repeat("long ", 40) + `"}`,
	}
	for _, in := range inputs {
		out := layout(json.RawMessage(in))
		var a, b bytes.Buffer
		if err := json.Compact(&a, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&b, []byte(out)); err != nil {
			t.Fatalf("layout of %s is not JSON: %v\n%s", in, err, out)
		}
		if a.String() != b.String() {
			t.Errorf("layout changed more than whitespace:\n%s\n%s", a.String(), b.String())
		}
		for line := range strings.SplitSeq(out, "\n") {
			if len(line) > width && !strings.Contains(line, "long long") {
				t.Errorf("line of %d columns:\n%s", len(line), out)
			}
		}
	}
	if out := layout(json.RawMessage(`{"a":1,"b":[1,2]}`)); out != `{"a":1, "b":[1, 2]}` {
		t.Errorf("short object: %s", out)
	}
}

// TestCleanWriter: the emulator's lines and the EMF lines are hidden and
// counted, the function's lines shown, partial writes joined, and nothing
// after the REPORT line shown.
func TestCleanWriter(t *testing.T) {
	var out bytes.Buffer
	w := newCleanWriter(&out)
	input := "01 Dec 2026 11:33:59,948 [INFO] (rapid) exec 'bin/local/bootstrap' (cwd=/work/main, handler=)\n" +
		"START RequestId: 936ba560 Version: $LATEST\n" +
		`{"level":"INFO","msg":"audit","messageId":"m-1"}` + "\n" +
		`{"AccountsErased":6,"_aws":{"Timestamp":1}}` + "\n" +
		"panic: something the function printed\n" +
		"01 Dec 2026 11:33:59,980 [DEBUG] (rapid) INVOKE RTDONE(status: success)\n" +
		"END RequestId: 936ba560\n" +
		"REPORT RequestId: 936ba560\tDuration: 20.57 ms\n" +
		`{"level":"INFO","msg":"SIGTERM received; shutting down"}` + "\n"
	for i := 0; i < len(input); i += 7 { // writes that split lines
		_, _ = w.Write([]byte(input[i:min(i+7, len(input))]))
	}
	select {
	case <-w.Done():
	default:
		t.Error("REPORT line not noticed")
	}
	w.Stop()
	want := `{"level":"INFO", "msg":"audit", "messageId":"m-1"}` + "\n\npanic: something the function printed\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if emu, emf := w.Hidden(); emu != 5 || emf != 1 {
		t.Errorf("hidden %d emulator, %d EMF lines; want 5, 1", emu, emf)
	}
}
