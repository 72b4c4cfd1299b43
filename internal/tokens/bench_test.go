package tokens

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"
)

// BenchmarkMintAccessToken mints access tokens with the pool's keys
// cached: one RS256 signature plus the claims.
func BenchmarkMintAccessToken(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	id := identity()
	mustMintAccess(b, f.s, id, time.Hour)
	for b.Loop() {
		if _, _, err := f.s.MintAccessToken(ctx, id, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAccessToken verifies an access token with the pool's keys
// cached: parsing, one RS256 verification and the claim checks.
func BenchmarkVerifyAccessToken(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	tok := mustMintAccess(b, f.s, identity(), time.Hour)
	for b.Loop() {
		if _, err := f.s.VerifyAccessToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRS256Sign is the bound under token minting: one RSA 2048
// PKCS #1 v1.5 signature over a SHA-256 digest, with nothing else.
func BenchmarkRS256Sign(b *testing.B) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}
