package timtest

import "time"

// limiter enforces a per-path call rate as a sliding one-second window of
// admitted calls. A sliding window, unlike a token bucket, never admits a
// burst above the limit inside any one second, which is the stricter reading
// of Tencent's "100 calls per second" and so the safer one to test against.
// The caller holds the server's lock.
type limiter struct {
	admitted map[string][]time.Time // per path, oldest first, at most limit long
}

// allow reports whether a call on path at now fits under limit calls per
// second, and if so counts it. A limit of zero or less admits everything.
func (l *limiter) allow(path string, now time.Time, limit int) bool {
	if limit <= 0 {
		return true
	}
	if l.admitted == nil {
		l.admitted = make(map[string][]time.Time)
	}
	q := l.admitted[path]
	cutoff := now.Add(-time.Second)
	i := 0
	for i < len(q) && !q[i].After(cutoff) {
		i++
	}
	q = q[i:]
	if len(q) >= limit {
		l.admitted[path] = q
		return false
	}
	l.admitted[path] = append(q, now)
	return true
}
