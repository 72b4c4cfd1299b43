package cognito

import (
	"regexp"
	"strings"
	"testing"
)

// setOf builds the set of the bytes of chars, which must all be ASCII.
func setOf(t testing.TB, chars string) ASCIISet {
	t.Helper()
	var a ASCIISet
	for i := 0; i < len(chars); i++ {
		c := chars[i]
		switch {
		case c < 64:
			a.Lo |= 1 << c
		case c < 128:
			a.Hi |= 1 << (c - 64)
		default:
			t.Fatalf("setOf: byte %#x is not ASCII", c)
		}
	}
	return a
}

func TestASCIISet(t *testing.T) {
	token := setOf(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.")
	edges := setOf(t, "\x00?@\x7f") // the first and last bit of each word
	for _, tc := range []struct {
		name       string
		set        ASCIISet
		in         string
		plus, star bool
	}{
		{"empty", token, "", false, true},
		{"one byte in", token, "a", true, true},
		{"one byte out", token, "+", false, false},
		{"token", token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_=", true, true},
		{"space inside", token, "abc def", false, false},
		{"out at the end", token, "abc/", false, false},
		{"out at the start", token, "/abc", false, false},
		{"NUL", token, "ab\x00", false, false},
		{"DEL", token, "ab\x7f", false, false},
		{"two-byte UTF-8", token, "caf\u00e9", false, false},
		{"three-byte UTF-8", token, "a\u2028b", false, false},
		{"four-byte UTF-8", token, "a\U0001F600", false, false},
		{"invalid UTF-8", token, "a\xffb", false, false},
		{"lone continuation byte", token, "\x80", false, false},
		{"high bit of a class byte", token, "\xc1", false, false}, // 'A' | 0x80
		{"bit 0 of Lo", edges, "\x00", true, true},
		{"bit 63 of Lo", edges, "?", true, true},
		{"bit 0 of Hi", edges, "@", true, true},
		{"bit 63 of Hi", edges, "\x7f", true, true},
		{"edges together", edges, "\x00?@\x7f", true, true},
		{"next to the edges", edges, "\x01", false, false},
		{"next to the edges (Hi)", edges, "A", false, false},
		{"0x80 beside the set", edges, "\x80", false, false},
		{"0xff", edges, "\xff", false, false},
		{"empty set, empty string", ASCIISet{}, "", false, true},
		{"empty set, a byte", ASCIISet{}, "a", false, false},
		{"full set", ASCIISet{^uint64(0), ^uint64(0)}, "\x00 ~\x7f", true, true},
		{"full set, 0x80", ASCIISet{^uint64(0), ^uint64(0)}, "a\x80", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.set.MatchPlus(tc.in); got != tc.plus {
				t.Errorf("MatchPlus(%q) = %v, want %v", tc.in, got, tc.plus)
			}
			if got := tc.set.MatchStar(tc.in); got != tc.star {
				t.Errorf("MatchStar(%q) = %v, want %v", tc.in, got, tc.star)
			}
		})
	}
}

// TestASCIISetEveryByte compares the set with the regular expression of
// the same class on every single byte and every ASCII pair.
func TestASCIISetEveryByte(t *testing.T) {
	set := setOf(t, "\t !#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}~\x7f")
	plus := regexp.MustCompile(`^[\t !#-/0-9:-@\[\]^_` + "`" + `{-~\x7f]+$`)
	for c := range 256 {
		s := string([]byte{byte(c)})
		if got, want := set.MatchPlus(s), plus.MatchString(s); got != want {
			t.Errorf("MatchPlus(%q) = %v, regexp says %v", s, got, want)
		}
	}
	for a := range 128 {
		for b := range 128 {
			s := string([]byte{byte(a), byte(b)})
			if got, want := set.MatchPlus(s), plus.MatchString(s); got != want {
				t.Errorf("MatchPlus(%q) = %v, regexp says %v", s, got, want)
			}
		}
	}
}

// tokenLike is a 1 KB string of the access-token alphabet, shaped like a JWT.
var tokenLike = func() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	for i := range 1024 {
		switch i {
		case 36, 700:
			b.WriteByte('.')
		default:
			b.WriteByte(alphabet[(i*37+11)%len(alphabet)])
		}
	}
	return b.String()
}()

// BenchmarkTokenPattern compares the two ways of checking an access token
// against TokenModelType's pattern [A-Za-z0-9-_=.]+.
func BenchmarkTokenPattern(b *testing.B) {
	b.Run("ASCIISet", func(b *testing.B) {
		set := setOf(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.")
		if !set.MatchPlus(tokenLike) {
			b.Fatal("the token does not match")
		}
		b.SetBytes(int64(len(tokenLike)))
		for b.Loop() {
			set.MatchPlus(tokenLike)
		}
	})
	b.Run("regexp", func(b *testing.B) {
		re := regexp.MustCompile(`^(?:[A-Za-z0-9-_=.]+)$`)
		if !re.MatchString(tokenLike) {
			b.Fatal("the token does not match")
		}
		b.SetBytes(int64(len(tokenLike)))
		for b.Loop() {
			re.MatchString(tokenLike)
		}
	})
}
