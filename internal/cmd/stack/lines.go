package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// printer serialises the output of the instances, the poller and run.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

// printf writes as is.
func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// linef writes one line stamped with the time of day.
func (p *printer) linef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// raw writes b, starting each line with prefix; atStart says whether the
// previous write ended a line, and the result whether this one did.
func (p *printer) raw(prefix string, b []byte, atStart bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(b) > 0 {
		if atStart {
			_, _ = io.WriteString(p.w, prefix)
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			_, _ = p.w.Write(b)
			return false
		}
		_, _ = p.w.Write(b[:i+1])
		b, atStart = b[i+1:], true
	}
	return atStart
}

// maxSummaryLine bounds the line a lineWriter keeps to look at: a summary
// line is a few hundred bytes, an audit line of 10,000 accounts hundreds
// of kilobytes.
const maxSummaryLine = 16 << 10

// summaryMarker marks the function's one summary line per invocation.
const summaryMarker = `"msg":"batch processed"`

// lineWriter receives everything one instance (its emulator and the
// function) prints, as it prints it, and turns the function's summary
// lines into one short line each; with verbose it also passes everything
// on. It runs under the instance's output lock, so it only looks at a
// line's first bytes and never waits.
type lineWriter struct {
	instance int
	out      *printer
	verbose  bool

	line    []byte
	tooLong bool // the current line passed maxSummaryLine
	midLine bool // verbose: the last write did not end a line
}

func (w *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	if w.verbose {
		w.midLine = !w.out.raw(fmt.Sprintf("    [%d] ", w.instance), b, !w.midLine)
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		if !w.tooLong {
			if len(w.line)+len(part) > maxSummaryLine {
				w.tooLong, w.line = true, w.line[:0]
			} else {
				w.line = append(w.line, part...)
			}
		}
		if i < 0 {
			break
		}
		if !w.tooLong {
			w.handle(w.line)
		}
		w.line, w.tooLong = w.line[:0], false
		b = b[i+1:]
	}
	return n, nil
}

// handle prints a summary line.
func (w *lineWriter) handle(line []byte) {
	if !bytes.Contains(line, []byte(summaryMarker)) {
		return
	}
	if i := bytes.IndexByte(line, '{'); i > 0 {
		line = line[i:] // anything the emulator put in front
	}
	var s summary
	if err := json.Unmarshal(line, &s); err != nil {
		w.out.linef("[%d] unreadable summary line: %v", w.instance, err)
		return
	}
	w.out.linef("[%d] %s", w.instance, s)
}

// summary is what run shows of the function's summary line (telemetry's
// "batch processed").
type summary struct {
	Messages        int            `json:"messages"`
	Erased          int            `json:"erased"`
	Failed          int            `json:"failed"`
	Invalid         int            `json:"invalid"`
	Requeued        int            `json:"requeued"`
	DeadLettered    int            `json:"deadLettered"`
	Delayed         int            `json:"delayed"`
	Accounts        int            `json:"accounts"`
	AccountsErased  int            `json:"accountsErased"`
	Calls           int            `json:"calls"`
	RateLimited     int            `json:"rateLimited"`
	FailuresByClass map[string]int `json:"failuresByClass"`
	DurationMs      int64          `json:"durationMs"`
	DryRun          bool           `json:"dryRun"`
	Systemic        bool           `json:"systemic"`
}

// String is the invocation's line, e.g. "2 messages: 1 erased, 0 failed,
// 1 invalid | requeued 0, dead-lettered 1, delayed 0 | accounts 2/2, 1
// call, 31 ms".
func (s summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d erased, %d failed, %d invalid | requeued %d, dead-lettered %d, delayed %d | accounts %d/%d erased, %s, %d ms",
		count(s.Messages, "message"), s.Erased, s.Failed, s.Invalid, s.Requeued, s.DeadLettered, s.Delayed,
		s.AccountsErased, s.Accounts, count(s.Calls, "call"), s.DurationMs)
	if s.RateLimited > 0 {
		fmt.Fprintf(&b, ", %d rate-limited", s.RateLimited)
	}
	if len(s.FailuresByClass) > 0 {
		var classes []string
		for _, c := range slices.Sorted(maps.Keys(s.FailuresByClass)) {
			classes = append(classes, fmt.Sprintf("%s %d", c, s.FailuresByClass[c]))
		}
		fmt.Fprintf(&b, " | failures: %s", strings.Join(classes, ", "))
	}
	if s.Systemic {
		b.WriteString(" | SYSTEMIC: the function returns an error")
	}
	if s.DryRun {
		b.WriteString(" | dry run")
	}
	return b.String()
}
