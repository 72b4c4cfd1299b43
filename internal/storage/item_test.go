package storage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		prefix, want string
		ok           bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"pool/email/al", "pool/email/am", true},
		{"x\U0010FFFF", "y", true},
		{"\U0010FFFF", "", false},
		{"a\uD7FF", "a\uE000", true},
		{"%_\\", "%_]", true},
		{"ab\xfe", "ab\xff", true},
		{"ab\xff", "ac", true},
	}
	for _, tc := range cases {
		got, ok := PrefixEnd(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
	// Exactness on a sample: s is in [p, end) iff s starts with p.
	words := []string{"", "a", "ab", "abc", "abd", "ac", "b", "a\U0010FFFF", "a\U0010FFFFz", "\uE000", "\uD7FF", "é", "e"}
	for _, p := range words {
		end, ok := PrefixEnd(p)
		for _, s := range words {
			in := s >= p && (!ok || s < end)
			if in != strings.HasPrefix(s, p) {
				t.Errorf("prefix %q, end %q: %q in range = %v", p, end, s, in)
			}
		}
		if ok && !utf8.ValidString(end) && utf8.ValidString(p) {
			t.Errorf("PrefixEnd(%q) = %q is not UTF-8", p, end)
		}
	}
}
