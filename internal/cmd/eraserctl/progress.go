// Progress of a long run: a bar with rate and ETA on a terminal, plain
// lines otherwise (a log file, CI, a pipe).

package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress counts units of work done out of a total.
type progress interface {
	add(n int)
	finish()
}

// plainEvery is how often plain progress lines are written.
var plainEvery = 5 * time.Second

// newProgress returns a bar when w is a terminal, else plain lines. unit
// names what is counted ("accounts", "messages").
func newProgress(w io.Writer, what, unit string, total int) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &bar{progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)}
	}
	return &plain{w: w, what: what, unit: unit, total: total, start: time.Now(), last: time.Now()}
}

type bar struct{ b *progressbar.ProgressBar }

func (b *bar) add(n int) { _ = b.b.Add(n) }
func (b *bar) finish()   { _ = b.b.Finish() }

// plain writes a line at most every plainEvery, and one at the end.
type plain struct {
	mu         sync.Mutex
	w          io.Writer
	what, unit string
	total      int
	done       int
	start      time.Time
	last       time.Time
}

func (p *plain) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if now := time.Now(); now.Sub(p.last) >= plainEvery {
		p.last = now
		p.line(now)
	}
}

func (p *plain) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(time.Now())
}

// line says how far it is, the rate so far, and when it will end at that
// rate.
func (p *plain) line(now time.Time) {
	elapsed := now.Sub(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.done) / s
	}
	eta := "unknown"
	switch {
	case p.done >= p.total:
		eta = "done"
	case rate > 0:
		eta = time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	fmt.Fprintf(p.w, "%s: %d/%d %s (%.1f%%), %.0f %s/s, elapsed %v, ETA %s\n",
		p.what, p.done, p.total, p.unit, pct, rate, p.unit, elapsed.Round(time.Millisecond), eta)
}
