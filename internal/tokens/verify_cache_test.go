package tokens

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

func (f *fixture) setClock(t time.Time) {
	f.clock.mu.Lock()
	defer f.clock.mu.Unlock()
	f.clock.now = t
}

// TestVerifiedTokens checks that an access token verified once and
// presented again answers the same claims, and that everything that can
// change since is checked again: the clock (expiry, issue time) and the
// key. Tampered tokens are never taken for the remembered one.
func TestVerifiedTokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	token := mustMintAccess(t, f.s, identity(), 5*time.Minute)

	first, err := f.s.VerifyAccessToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.s.verified.byHash[sha256.Sum256([]byte(token))]; !ok || len(f.s.verified.byHash) != 1 {
		t.Fatalf("after one verification, %d tokens remembered, want this one", len(f.s.verified.byHash))
	}
	again, err := f.s.VerifyAccessToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("claims of the remembered token differ (-first +again):\n%s", diff)
	}
	// Claims are copies: a caller changing them changes no later answer.
	again.Scopes[0], again.Groups[0] = "changed", "changed"
	third, err := f.s.VerifyAccessToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, third); diff != "" {
		t.Errorf("claims changed through an earlier answer (-first +third):\n%s", diff)
	}

	// A token that differs from the remembered one in any byte is verified
	// on its own, and fails.
	// (Not the signature's last character, some of whose bits decoding
	// drops.)
	at := len(token) - 10
	other := byte('A')
	if token[at] == 'A' {
		other = 'B'
	}
	for name, bad := range map[string]string{
		"signature": token[:at] + string(other) + token[at+1:],
		"payload":   token[:len(token)/2] + string(token[len(token)/2]^1) + token[len(token)/2+1:],
		"appended":  token + "A",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.s.VerifyAccessToken(ctx, bad)
			checkNotAuthorized(t, err, msgInvalidAccessToken)
		})
	}
	if n := len(f.s.verified.byHash); n != 1 {
		t.Errorf("%d tokens remembered after the tampered ones, want 1", n)
	}

	// The clock is read again on every use.
	f.setClock(t0.Add(-2 * clockSkew))
	_, err = f.s.VerifyAccessToken(ctx, token)
	checkNotAuthorized(t, err, msgInvalidAccessToken)
	f.setClock(t0.Add(5 * time.Minute))
	_, err = f.s.VerifyAccessToken(ctx, token)
	checkNotAuthorized(t, err, msgExpiredAccessToken)
	f.setClock(t0)
	if _, err := f.s.VerifyAccessToken(ctx, token); err != nil {
		t.Errorf("back in its validity: %v", err)
	}

	// So is the key: once the pool's keys are gone, so is the token.
	if err := f.store.Tx(ctx, func(tx storage.Tx) error { return f.s.DeletePoolKeys(ctx, tx, poolA) }); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.VerifyAccessToken(ctx, token)
	checkNotAuthorized(t, err, msgInvalidAccessToken)
}

// TestVerifiedTokensKeyChanged checks that a remembered token whose kid
// now names another key (a store another node rewrote, say) is verified
// afresh against that key, not taken as verified.
func TestVerifiedTokensKeyChanged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	token := mustMintAccess(t, f.s, identity(), 5*time.Minute)
	if _, err := f.s.VerifyAccessToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	v := f.s.verified.get(sha256.Sum256([]byte(token)))
	if v == nil {
		t.Fatal("token not remembered")
	}
	// Pretend the key remembered is not the one the kid names now: the
	// token must go through full verification again, and be remembered
	// with the key that verified it.
	stale := &signingKey{pool: v.key.pool, rec: v.key.rec, pub: v.key.pub}
	v.key = stale
	if _, err := f.s.VerifyAccessToken(ctx, token); err != nil {
		t.Fatalf("verified afresh: %v", err)
	}
	if w := f.s.verified.get(sha256.Sum256([]byte(token))); w == nil || w.key == stale {
		t.Error("the token is still remembered with the stale key")
	}
}

// TestVerifiedTokensBounded checks the bound: expired tokens go first, then
// arbitrary ones.
func TestVerifiedTokensBounded(t *testing.T) {
	var vt verifiedTokens
	now := t0.Unix()
	hash := func(i int) [sha256.Size]byte { return sha256.Sum256([]byte(fmt.Sprint(i))) }
	live := &verifiedToken{exp: now + 60}
	vt.add(hash(-1), live, now)
	for i := range maxVerifiedTokens - 1 {
		vt.add(hash(i), &verifiedToken{exp: now - 1}, now)
	}
	if n := len(vt.byHash); n != maxVerifiedTokens {
		t.Fatalf("%d remembered, want %d", n, maxVerifiedTokens)
	}
	vt.add(hash(maxVerifiedTokens), &verifiedToken{exp: now + 60}, now)
	if n := len(vt.byHash); n != 2 || vt.get(hash(-1)) != live || vt.get(hash(maxVerifiedTokens)) == nil {
		t.Errorf("after adding to a map full of expired tokens: %d remembered, want the two live ones", n)
	}
	for i := range 2 * maxVerifiedTokens {
		vt.add(hash(i), &verifiedToken{exp: now + 60}, now)
	}
	if n := len(vt.byHash); n > maxVerifiedTokens {
		t.Errorf("%d remembered, want at most %d", n, maxVerifiedTokens)
	}
}
