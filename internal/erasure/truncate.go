package erasure

import "unicode/utf8"

// Truncate cuts s to at most n bytes (n <= 0 gives ""), never inside a
// UTF-8 sequence: for valid UTF-8 it returns the longest such prefix,
// backing off at most utf8.UTFMax-1 bytes. Stray continuation bytes
// (invalid UTF-8) hold no sequence to keep whole and are cut at n. The cut
// is not marked: a marker would make the result longer than n, and the
// callers' bounds are what matters.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-(utf8.UTFMax-1) && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = n
	}
	return s[:cut]
}
