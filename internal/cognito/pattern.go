package cognito

import "regexp"

// ASCIISet is a set of ASCII bytes: bit c of Lo (for c < 64) or bit c-64 of
// Hi (for 64 <= c < 128) is on when byte c is in the set.
//
// The generated Validate methods use it for the model patterns that are one
// ASCII character class repeated, such as [A-Za-z0-9-_=.]+ on every access
// token: a byte loop answers the same as the anchored regular expression at
// a fraction of its cost. The generator computes the bits from the pattern,
// and its tests check both agree.
type ASCIISet struct{ Lo, Hi uint64 }

// MatchPlus reports whether s is one or more bytes of the set, as the
// anchored pattern ^[class]+$ does.
func (a ASCIISet) MatchPlus(s string) bool { return s != "" && a.all(s) }

// MatchStar reports whether s is zero or more bytes of the set, as the
// anchored pattern ^[class]*$ does.
func (a ASCIISet) MatchStar(s string) bool { return a.all(s) }

// all reports whether every byte of s is in the set. A byte of 0x80 or more
// starts or continues a multi-byte sequence, valid or not; the regular
// expression reads it as a rune of U+0080 or more, or as U+FFFD, which an
// ASCII class never holds.
func (a ASCIISet) all(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false
		}
		m := a.Lo
		if c >= 64 {
			m = a.Hi
		}
		if m>>(c&63)&1 == 0 {
			return false
		}
	}
	return true
}

// WideRun is a pattern that is one character class repeated whose class
// also holds runes beyond ASCII, such as [\p{L}\p{M}\p{S}\p{N}\p{P}]+ on
// every username: ASCII holds the class's ASCII members, and RE is the whole
// anchored pattern. A value of ASCII bytes only, as most are, is checked
// byte by byte (each byte is then one rune, in the class exactly when it is
// in ASCII); any other value by RE. The generator computes both from the
// pattern, and its tests check they agree with RE.
type WideRun struct {
	ASCII ASCIISet
	RE    *regexp.Regexp
}

// MatchPlus reports whether s matches ^[class]+$.
func (w WideRun) MatchPlus(s string) bool {
	if isASCII(s) {
		return w.ASCII.MatchPlus(s)
	}
	return w.RE.MatchString(s)
}

// MatchStar reports whether s matches ^[class]*$.
func (w WideRun) MatchStar(s string) bool {
	if isASCII(s) {
		return w.ASCII.MatchStar(s)
	}
	return w.RE.MatchString(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
