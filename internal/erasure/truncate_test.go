package erasure

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"shorter", "abc", 5, "abc"},
		{"exact", "abc", 3, "abc"},
		{"cut", "abcdef", 3, "abc"},
		{"empty", "", 3, ""},
		{"n 0", "abc", 0, ""},
		{"negative n", "abc", -1, ""},
		{"cut after a rune", "aé", 3, "aé"},
		{"cut inside a 2-byte rune", "aé", 2, "a"},
		{"cut inside a 3-byte rune", "a€b", 2, "a"},
		{"cut inside a 3-byte rune, late", "a€b", 3, "a"},
		{"cut after a 3-byte rune", "a€b", 4, "a€"},
		{"cut inside a 4-byte rune", "a😀", 4, "a"},
		{"only a rune, cut inside", "😀", 3, ""},
		{"invalid byte is cut like ASCII", "ab\xffcd", 3, "ab\xff"},
		{"stray continuation bytes are cut at n", "ab\x80\x80\x80\x80\x80\x80", 6, "ab\x80\x80\x80\x80"},
		{"long run of continuation bytes", strings.Repeat("\x80", 50), 32, strings.Repeat("\x80", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Truncate(tt.s, tt.n); got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
		})
	}
}

// TestTruncateBounds checks every cut of mixed-width text: a prefix of at
// most n bytes, valid UTF-8, and at most utf8.UTFMax-1 bytes short of n.
func TestTruncateBounds(t *testing.T) {
	const s = "a€b😀cé\u0800d𐍈"
	for n := 0; n <= len(s)+1; n++ {
		got := Truncate(s, n)
		switch {
		case !strings.HasPrefix(s, got), len(got) > n, !utf8.ValidString(got):
			t.Errorf("Truncate(%q, %d) = %q: not a valid prefix of at most %d bytes", s, n, got, n)
		case len(got) < min(n, len(s))-(utf8.UTFMax-1):
			t.Errorf("Truncate(%q, %d) = %q: cut more than a rune", s, n, got)
		}
	}
}
