package main

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
)

// width is the column at which layout breaks a JSON line.
const width = 100

// emulatorLine matches the lines the Runtime Interface Emulator prints
// itself: its log ("01 Dec 2026 11:33:59,948 [INFO] (rapid) ...") and the
// START, END and REPORT lines Lambda writes to every log stream.
var emulatorLine = regexp.MustCompile(`^(\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\) |(START|END|REPORT|INIT_REPORT) RequestId: )`)

// reportLine is the emulator's line that ends an invocation.
var reportLine = regexp.MustCompile(`^REPORT RequestId: `)

// cleanWriter receives everything the emulator and the function print, as
// they print it, and writes the function's own lines only: each JSON line
// laid out by layout, any other line as it is. It hides the emulator's
// lines and the EMF metric lines (JSON with "_aws"), counting them, and
// everything after the invocation's REPORT line (the shutdown).
type cleanWriter struct {
	out io.Writer

	mu       sync.Mutex
	partial  []byte
	ended    bool
	done     chan struct{} // closed at the REPORT line
	emulator int
	emf      int
	printed  int
}

func newCleanWriter(out io.Writer) *cleanWriter {
	return &cleanWriter{out: out, done: make(chan struct{})}
}

// Write implements io.Writer; it never fails.
func (w *cleanWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(bytes.TrimSuffix(w.partial[:i], []byte("\r"))))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// Stop handles a last line without a line break, and drops whatever is
// written from then on.
func (w *cleanWriter) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
	w.ended = true
}

// Done is closed when the emulator reports the end of the invocation.
func (w *cleanWriter) Done() <-chan struct{} { return w.done }

// Hidden returns the numbers of emulator and EMF lines not shown.
func (w *cleanWriter) Hidden() (emulator, emf int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.emulator, w.emf
}

// line handles one line; the caller holds the lock.
func (w *cleanWriter) line(s string) {
	if w.ended {
		return
	}
	switch {
	case emulatorLine.MatchString(s):
		w.emulator++
		if reportLine.MatchString(s) {
			w.ended = true
			close(w.done)
		}
		return
	case strings.TrimSpace(s) == "":
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) == nil {
		if _, ok := obj["_aws"]; ok {
			w.emf++
			return
		}
		s = layout(json.RawMessage(s))
	}
	if w.printed > 0 {
		_, _ = io.WriteString(w.out, "\n")
	}
	w.printed++
	_, _ = io.WriteString(w.out, s+"\n")
}

// layout returns the JSON value v with line breaks and spaces added
// between the members of objects and the elements of arrays wherever a
// line would pass width columns, and nothing else changed: keys, values,
// their order and their spelling are v's own, so that the result is the
// same JSON (jq reads it as it is) and only easier on the eye.
func layout(v json.RawMessage) string {
	var b strings.Builder
	writeValue(&b, v, 0, "")
	return b.String()
}

// writeValue writes v starting at column col and returns the column after
// it; continuation lines of its members or elements start with indent plus
// two spaces. Items are separated by ", " on a line.
func writeValue(b *strings.Builder, v json.RawMessage, col int, indent string) int {
	v = bytes.TrimSpace(v)
	items, ok := members(v)
	if !ok || len(items) == 0 {
		var compact bytes.Buffer
		if json.Compact(&compact, v) != nil {
			b.Write(v)
			return col + len(v)
		}
		b.Write(compact.Bytes())
		return col + compact.Len()
	}
	open, closing := "{", "}"
	if v[0] == '[' {
		open, closing = "[", "]"
	}
	inner := indent + "  "
	b.WriteString(open)
	col++
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
			col++
			// The next item on this line if it fits, else on the next.
			var c bytes.Buffer
			_ = json.Compact(&c, it.value)
			if col+1+len(it.key)+c.Len()+1 <= width {
				b.WriteByte(' ')
				col++
			} else {
				b.WriteString("\n" + inner)
				col = len(inner)
			}
		}
		b.WriteString(it.key)
		col = writeValue(b, it.value, col+len(it.key), inner)
	}
	b.WriteString(closing)
	return col + 1
}

// item is one member of an object (key is its name and colon, as spelt in
// the input) or one element of an array (key is empty).
type item struct {
	key   string
	value json.RawMessage
}

// members splits a JSON object or array into its items; ok is false for
// any other value.
func members(v json.RawMessage) (items []item, ok bool) {
	if len(v) == 0 || v[0] != '{' && v[0] != '[' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	if _, err := dec.Token(); err != nil { // { or [
		return nil, false
	}
	object := v[0] == '{'
	for dec.More() {
		var it item
		if object {
			start := dec.InputOffset()
			if _, err := dec.Token(); err != nil {
				return nil, false
			}
			// The key exactly as spelt, found between the previous
			// delimiter and the token's end.
			raw := bytes.TrimSpace(v[start:dec.InputOffset()])
			raw = bytes.TrimPrefix(raw, []byte(","))
			it.key = string(bytes.TrimSpace(raw)) + ":"
		}
		if err := dec.Decode(&it.value); err != nil {
			return nil, false
		}
		items = append(items, it)
	}
	return items, true
}
