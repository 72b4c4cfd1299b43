package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// TestSigV4SignerCache checks that keeping signers (and the keys they
// derive) between requests never lets a request through that a fresh
// signer would refuse: a wrong signature, a wrong or rotated secret, or
// another region's key; and that requests dated either side of midnight
// each get their own day's key.
func TestSigV4SignerCache(t *testing.T) {
	secret := sv4Secret
	now := sv4Now
	v := sv4Verifier()
	v.Lookup = func(id string) (string, bool) { return secret, id == sv4AKID }
	v.Now = func() time.Time { return now }

	wantOK := func(t *testing.T, c sv4Client) {
		t.Helper()
		r, body := sv4SignedRequest(t, c)
		if _, err := v.Verify(r, body); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	wantMismatch := func(t *testing.T, c sv4Client, edit func(*testing.T, string) string) {
		t.Helper()
		r, body := sv4SignedRequest(t, c)
		if edit != nil {
			r.Header.Set("Authorization", edit(t, r.Header.Get("Authorization")))
		}
		_, err := v.Verify(r, body)
		if err == nil || err.Code != cognito.CodeInvalidSignatureException || err.Message != sigV4MsgMismatch {
			t.Fatalf("Verify: %v, want the signature mismatch", err)
		}
	}

	wantOK(t, sv4Client{})
	first := v.signers.get(sigV4SignerKey{sv4AKID, sv4Secret, "us-east-1", sv4IDP})
	wantOK(t, sv4Client{})
	if n := len(v.signers.byKey); n != 1 {
		t.Fatalf("%d signers after two requests with one key, want 1", n)
	}
	if again := v.signers.get(sigV4SignerKey{sv4AKID, sv4Secret, "us-east-1", sv4IDP}); again != first {
		t.Error("the signer was not kept")
	}

	t.Run("wrong signature", func(t *testing.T) {
		wantMismatch(t, sv4Client{}, func(t *testing.T, auth string) string {
			i := strings.Index(auth, "Signature=") + len("Signature=")
			c := byte('0')
			if auth[i] == '0' {
				c = '1'
			}
			return auth[:i] + string(c) + auth[i+1:]
		})
	})
	t.Run("wrong secret", func(t *testing.T) {
		wantMismatch(t, sv4Client{secret: "not-the-secret"}, nil)
	})
	t.Run("another region", func(t *testing.T) {
		wantOK(t, sv4Client{region: "eu-west-1"})
		// Signed for eu-west-1 but claiming us-east-1's scope.
		wantMismatch(t, sv4Client{region: "eu-west-1"}, func(t *testing.T, auth string) string {
			return strings.Replace(auth, "/eu-west-1/", "/us-east-1/", 1)
		})
	})
	t.Run("across midnight", func(t *testing.T) {
		// Requests dated either side of midnight, in turn: each must be
		// checked with its own day's key.
		midnight := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
		now = midnight.Add(time.Minute)
		defer func() { now = sv4Now }()
		for range 2 {
			wantOK(t, sv4Client{at: midnight.Add(-30 * time.Second)})
			wantOK(t, sv4Client{at: midnight.Add(30 * time.Second)})
		}
	})
	t.Run("rotated secret", func(t *testing.T) {
		secret = "rotated-secret"
		defer func() { secret = sv4Secret }()
		wantMismatch(t, sv4Client{}, nil)
		wantOK(t, sv4Client{secret: "rotated-secret"})
	})
	wantOK(t, sv4Client{})
}

// TestSigV4SignersBounded checks the bound on the signers kept.
func TestSigV4SignersBounded(t *testing.T) {
	var c sigV4Signers
	for i := range maxSigV4Signers + 10 {
		if c.get(sigV4SignerKey{sv4AKID, fmt.Sprint("secret-", i), "us-east-1", sv4IDP}) == nil {
			t.Fatal("no signer")
		}
	}
	if n := len(c.byKey); n > maxSigV4Signers {
		t.Errorf("%d signers kept, want at most %d", n, maxSigV4Signers)
	}
}
