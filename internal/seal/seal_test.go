package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func newSealer(t *testing.T, key []byte) *Sealer {
	t.Helper()
	s, err := New(key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New with a %d-byte key: no error", n)
		}
	}
	if _, err := New(nil); err == nil {
		t.Error("New(nil): no error")
	}
	if _, err := New(make([]byte, KeySize)); err != nil {
		t.Errorf("New with a %d-byte key: %v", KeySize, err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSealer(t, testKey(1))
	tests := []struct {
		name      string
		purpose   string
		plaintext []byte
	}{
		{"empty plaintext", "auth-session", []byte{}},
		{"short", "srp-secret-block", []byte("b")},
		{"binary", "srp-verifier:us-east-1_abc/1234", []byte{0, 1, 2, 255, 0}},
		{"empty purpose", "", []byte("state")},
		{"large", "auth-session", bytes.Repeat([]byte("x"), 64<<10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealed := s.Seal(tc.purpose, tc.plaintext)
			if len(sealed) != len(tc.plaintext)+Overhead {
				t.Errorf("sealed length %d, want %d", len(sealed), len(tc.plaintext)+Overhead)
			}
			got, err := s.Open(tc.purpose, sealed)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("Open = %x, want %x", got, tc.plaintext)
			}
			str := s.SealString(tc.purpose, tc.plaintext)
			if _, err := base64.StdEncoding.DecodeString(str); err != nil {
				t.Errorf("SealString is not standard base64: %v", err)
			}
			got, err = s.OpenString(tc.purpose, str)
			if err != nil {
				t.Fatalf("OpenString: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("OpenString = %x, want %x", got, tc.plaintext)
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	s := newSealer(t, testKey(1))
	a, b := s.Seal("p", []byte("same")), s.Seal("p", []byte("same"))
	if bytes.Equal(a, b) {
		t.Error("sealing the same plaintext twice gave the same output")
	}
	if bytes.Equal(a[:nonceSize], b[:nonceSize]) {
		t.Error("two seals used the same nonce")
	}
}

func TestOpenRejects(t *testing.T) {
	s := newSealer(t, testKey(1))
	sealed := s.Seal("auth-session", []byte("the flow state"))
	other := newSealer(t, testKey(2))

	tests := []struct {
		name    string
		sealer  *Sealer
		purpose string
		sealed  []byte
	}{
		{"other purpose", s, "srp-secret-block", sealed},
		{"purpose prefix", s, "auth-sessio", sealed},
		{"purpose extended", s, "auth-session2", sealed},
		{"wrong key", other, "auth-session", sealed},
		{"empty", s, "auth-session", nil},
		{"nonce only", s, "auth-session", sealed[:nonceSize]},
		{"one byte short of overhead", s, "auth-session", sealed[:Overhead-1]},
		{"tag cut", s, "auth-session", sealed[:len(sealed)-1]},
		{"extra byte", s, "auth-session", append(bytes.Clone(sealed), 0)},
		{"another value's nonce", s, "auth-session", append(bytes.Clone(s.Seal("auth-session", nil)[:nonceSize]), sealed[nonceSize:]...)},
	}
	for i := range sealed {
		for _, bit := range []byte{0x01, 0x80} {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= bit
			tests = append(tests, struct {
				name    string
				sealer  *Sealer
				purpose string
				sealed  []byte
			}{name: fmt.Sprintf("bit %#02x flipped in byte %d", bit, i), sealer: s, purpose: "auth-session", sealed: tampered})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sealer.Open(tc.purpose, tc.sealed)
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q with its error", got)
			}
		})
	}
}

func TestOpenStringRejects(t *testing.T) {
	s := newSealer(t, testKey(1))
	good := s.SealString("auth-session", []byte("state"))
	tests := []struct{ name, purpose, sealed string }{
		{"not base64", "auth-session", "not base64!"},
		{"url alphabet", "auth-session", strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_"},
		{"empty", "auth-session", ""},
		{"truncated", "auth-session", good[:len(good)-4]},
		{"other purpose", "srp-secret-block", good},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.OpenString(tc.purpose, tc.sealed); !errors.Is(err, ErrOpen) {
				t.Errorf("OpenString error = %v, want ErrOpen", err)
			}
		})
	}
}

// hkdfSHA256 is RFC 5869 written out for one output block: extract with an
// all-zero salt, expand with info || 0x01.
func hkdfSHA256(master []byte, info string) []byte {
	ext := hmac.New(sha256.New, make([]byte, sha256.Size))
	ext.Write(master)
	exp := hmac.New(sha256.New, ext.Sum(nil))
	exp.Write([]byte(info))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

func TestDeriveKey(t *testing.T) {
	master := testKey(7)
	a := DeriveKey(master, "srp-verifier")
	if len(a) != KeySize {
		t.Fatalf("DeriveKey length %d, want %d", len(a), KeySize)
	}
	if want := hkdfSHA256(master, "srp-verifier"); !bytes.Equal(a, want) {
		t.Errorf("DeriveKey = %x, want HKDF-SHA256 %x", a, want)
	}
	if again := DeriveKey(master, "srp-verifier"); !bytes.Equal(a, again) {
		t.Error("DeriveKey is not deterministic")
	}
	if b := DeriveKey(master, "auth-session"); bytes.Equal(a, b) {
		t.Error("two labels gave the same key")
	}
	if c := DeriveKey(testKey(8), "srp-verifier"); bytes.Equal(a, c) {
		t.Error("two master keys gave the same key")
	}
	if bytes.Equal(a, master) {
		t.Error("DeriveKey returned the master key")
	}

	// A value sealed with one label's key does not open with another's.
	sa, sb := newSealer(t, a), newSealer(t, DeriveKey(master, "auth-session"))
	if _, err := sb.Open("p", sa.Seal("p", []byte("x"))); !errors.Is(err, ErrOpen) {
		t.Errorf("open under another label's key: %v, want ErrOpen", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newSealer(t, testKey(3))
	done := make(chan error)
	for i := range 8 {
		go func() {
			msg := []byte{byte(i)}
			got, err := s.Open("p", s.Seal("p", msg))
			if err == nil && !bytes.Equal(got, msg) {
				err = errors.New("wrong plaintext")
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
