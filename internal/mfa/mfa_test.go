package mfa

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestCheck(t *testing.T) {
	secret := NewSecret()
	if len(secret) != 52 || !ValidSecret(secret) {
		t.Fatalf("NewSecret = %q, want 52 base32 characters", secret)
	}
	now := time.Unix(1_700_000_015, 0)
	at := func(d time.Duration) string {
		c, err := Code(secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cur := Step(now)
	cases := []struct {
		name   string
		code   string
		after  int64
		want   bool
		wantAt int64
	}{
		{"current step", at(0), 0, true, cur},
		{"one step back", at(-Period), 0, true, cur - 1},
		{"one step ahead", at(Period), 0, true, cur + 1},
		{"two steps back", at(-2 * Period), 0, false, 0},
		{"two steps ahead", at(2 * Period), 0, false, 0},
		{"used already", at(0), cur, false, 0},
		{"earlier than the last used", at(-Period), cur, false, 0},
		{"later than the last used", at(Period), cur, true, cur + 1},
		{"too short", at(0)[:5], 0, false, 0},
		{"not digits", "12345a", 0, false, 0},
		{"empty", "", 0, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := Check(secret, tc.code, now, tc.after)
			if ok != tc.want || step != tc.wantAt {
				t.Errorf("Check(%q, after %d) = %d, %v; want %d, %v", tc.code, tc.after, step, ok, tc.wantAt, tc.want)
			}
		})
	}
}

// TestCheckAgreesWithLibrary holds the codes to what the TOTP library's
// own validation (which authenticator apps agree with) accepts.
func TestCheckAgreesWithLibrary(t *testing.T) {
	secret := NewSecret()
	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Check(secret, code, now, 0); !ok {
		t.Errorf("Check refused the library's code %s", code)
	}
}

func TestURI(t *testing.T) {
	got := URI("cognate", "alice", "ABC")
	for _, want := range []string{"otpauth://totp/cognate:alice?", "secret=ABC", "issuer=cognate", "digits=6", "period=30"} {
		if !strings.Contains(got, want) {
			t.Errorf("URI = %q, lacks %q", got, want)
		}
	}
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewCode()
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("NewCode = %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("200 codes had only %d distinct values", len(seen))
	}
}

func TestCodeHasher(t *testing.T) {
	h := NewCodeHasher(bytes.Repeat([]byte{7}, 32))
	other := NewCodeHasher(bytes.Repeat([]byte{8}, 32))
	hash := h.Hash("123456", "pool", "sub")
	cases := []struct {
		name string
		h    CodeHasher
		code string
		part string
		want bool
	}{
		{"right", h, "123456", "sub", true},
		{"wrong code", h, "123457", "sub", false},
		{"other user", h, "123456", "sub2", false},
		{"other key", other, "123456", "sub", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.h.Match(hash, tc.code, "pool", tc.part); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	if strings.Contains(hash, "123456") {
		t.Errorf("hash %q holds the code", hash)
	}
}

func TestSecrets(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := NewSecrets(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := old.Seal("pool", "sub", "SECRET")
	if strings.Contains(sealed, "SECRET") {
		t.Fatalf("sealed %q holds the secret", sealed)
	}
	if got, err := old.Open("pool", "sub", sealed); err != nil || got != "SECRET" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := old.Open("pool", "other", sealed); err == nil {
		t.Error("a secret opened for another user")
	}
	rotated, err := NewSecrets(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	resealed, changed, err := rotated.Reseal("pool", "sub", sealed)
	if err != nil || !changed {
		t.Fatalf("Reseal = %v, %v", changed, err)
	}
	if _, changed, _ := rotated.Reseal("pool", "sub", resealed); changed {
		t.Error("a secret sealed with the current key was sealed again")
	}
	current, _ := NewSecrets(newKey)
	if got, err := current.Open("pool", "sub", resealed); err != nil || got != "SECRET" {
		t.Errorf("Open after re-seal = %q, %v", got, err)
	}
}

func TestQRCodePNG(t *testing.T) {
	b, err := QRCodePNG(URI("cognate", "alice", NewSecret()), 200)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("not a PNG: % x", b[:8])
	}
	if _, err := QRCodePNG("https://example.com", 200); err == nil {
		t.Error("a URI that is no otpauth URI made a QR code")
	}
}
