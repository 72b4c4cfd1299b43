package tokens

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// jwksKIDs returns the kids a pool's JWKS publishes, sorted.
func jwksKIDs(t *testing.T, s *Service, pool string) []string {
	t.Helper()
	raw, err := s.JWKS(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("JWKS %s: %v", raw, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// storedKIDs lists the kids of pool's key items.
func storedKIDs(t *testing.T, store storage.ItemReader, pool string) []string {
	t.Helper()
	items, err := store.ListItems(context.Background(), storage.ListItemsInput{Kind: KeyItemKind, Pool: pool, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, it := range items {
		kids = append(kids, strings.TrimPrefix(it.ID, pool+"/"))
	}
	slices.Sort(kids)
	return kids
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	period := DefaultRotationPeriod

	// Generation 1 signs until the rotation period has passed.
	first := mustMintAccess(t, f.s, identity(), time.Hour)
	firstID := mustMintID(t, f.s, identity(), time.Hour)
	kid1, idKid1 := kidOf(t, first), kidOf(t, firstID)
	f.clock.Advance(period - 30*time.Minute)
	late := mustMintAccess(t, f.s, identity(), time.Hour) // signed by generation 1, valid past the rotation
	lateID := mustMintID(t, f.s, identity(), time.Hour)
	if kidOf(t, late) != kid1 || kidOf(t, lateID) != idKid1 {
		t.Fatal("keys rotated before the rotation period")
	}

	// The first mint after the period rotates both keys.
	f.clock.Advance(30 * time.Minute)
	second := mustMintAccess(t, f.s, identity(), time.Hour)
	secondID := mustMintID(t, f.s, identity(), time.Hour)
	kid2, idKid2 := kidOf(t, second), kidOf(t, secondID)
	if kid2 == kid1 || idKid2 == idKid1 {
		t.Fatal("no new kid after the rotation period")
	}
	if diff := cmp.Diff(sorted(kid1, idKid1, kid2, idKid2), jwksKIDs(t, f.s, poolA)); diff != "" {
		t.Errorf("JWKS right after rotation (-want +got):\n%s", diff)
	}
	// Tokens of the retired keys verify until they expire.
	for _, tok := range []string{late, second} {
		if _, err := f.s.VerifyAccessToken(ctx, tok); err != nil {
			t.Errorf("VerifyAccessToken after rotation: %v", err)
		}
	}
	for _, tok := range []string{lateID, secondID} {
		if _, err := f.s.VerifyIDToken(ctx, tok, clientA); err != nil {
			t.Errorf("VerifyIDToken after rotation: %v", err)
		}
	}
	// A second service (another node) sees the same keys.
	node2 := newTestService(t, f.store, f.clock, testKEK)
	if k := kidOf(t, mustMintAccess(t, node2, identity(), time.Hour)); k != kid2 {
		t.Errorf("another node signs with %s, want %s", k, kid2)
	}

	f.clock.Advance(30 * time.Minute)
	checkNotAuthorized(t, func() error { _, err := f.s.VerifyAccessToken(ctx, late); return err }(), msgExpiredAccessToken)

	// Just before every token of generation 1 has surely expired, it is
	// still published; after that it is gone.
	f.clock.Advance(retiredKeyLifetime - 30*time.Minute - time.Second)
	if got := jwksKIDs(t, f.s, poolA); len(got) != 4 {
		t.Errorf("JWKS %v before the retired keys' lifetime ended, want 4 keys", got)
	}
	f.clock.Advance(time.Second)
	if diff := cmp.Diff(sorted(kid2, idKid2), jwksKIDs(t, f.s, poolA)); diff != "" {
		t.Errorf("JWKS after the retired keys' lifetime (-want +got):\n%s", diff)
	}
	checkNotAuthorized(t, func() error { _, err := f.s.VerifyAccessToken(ctx, late); return err }(), msgInvalidAccessToken)

	// The next rotation deletes the dead generation from the store.
	if got := storedKIDs(t, f.store, poolA); len(got) != 4 {
		t.Errorf("stored keys %v before the next rotation, want 4", got)
	}
	f.clock.Advance(period)
	third := mustMintAccess(t, f.s, identity(), time.Hour)
	thirdID := mustMintID(t, f.s, identity(), time.Hour)
	kid3, idKid3 := kidOf(t, third), kidOf(t, thirdID)
	if diff := cmp.Diff(sorted(kid2, idKid2, kid3, idKid3), storedKIDs(t, f.store, poolA)); diff != "" {
		t.Errorf("stored keys after the third rotation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(kid2, idKid2, kid3, idKid3), jwksKIDs(t, f.s, poolA)); diff != "" {
		t.Errorf("JWKS after the third rotation (-want +got):\n%s", diff)
	}
}

func TestRotationPeriodOption(t *testing.T) {
	store := openStore(t, "sqlite")
	clock := newClock()
	s, err := New(Options{Store: store, IssuerBaseURL: testBase, KeyEncryptionKey: testKEK, Clock: clock.Now, RotationPeriod: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	kid1 := kidOf(t, mustMintAccess(t, s, identity(), time.Hour))
	clock.Advance(2*time.Hour - time.Second)
	if kid := kidOf(t, mustMintAccess(t, s, identity(), time.Hour)); kid != kid1 {
		t.Errorf("rotated before RotationPeriod")
	}
	clock.Advance(time.Second)
	if kid := kidOf(t, mustMintAccess(t, s, identity(), time.Hour)); kid == kid1 {
		t.Errorf("not rotated after RotationPeriod")
	}
}

// TestConcurrentKeyCreation has several nodes mint in a fresh pool at
// once: they must converge on one key pair, and every token must verify
// on every node.
func TestConcurrentKeyCreation(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			store := openStore(t, backend)
			clock := newClock()
			const nodes, perNode = 3, 4
			var svcs []*Service
			for range nodes {
				svcs = append(svcs, newTestService(t, store, clock, testKEK))
			}
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				tokens []string
				errs   []error
			)
			for _, s := range svcs {
				for range perNode {
					wg.Go(func() {
						tok, _, err := s.MintAccessToken(context.Background(), identity(), time.Hour)
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							errs = append(errs, err)
							return
						}
						tokens = append(tokens, tok)
					})
				}
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			kids := map[string]bool{}
			for _, tok := range tokens {
				kids[kidOf(t, tok)] = true
				for i, s := range svcs {
					if _, err := s.VerifyAccessToken(context.Background(), tok); err != nil {
						t.Errorf("node %d: VerifyAccessToken: %v", i, err)
					}
				}
			}
			if len(kids) != 1 {
				t.Errorf("tokens signed by %d access keys, want 1", len(kids))
			}
			if got := storedKIDs(t, store, poolA); len(got) != 2 {
				t.Errorf("stored keys %v, want one access and one ID key", got)
			}
		})
	}
}

// txCounter counts the transactions run through it.
type txCounter struct {
	storage.Store
	txs atomic.Int64
}

func (c *txCounter) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	c.txs.Add(1)
	return c.Store.Tx(ctx, fn)
}

// TestFirstMintsOfOneNode has the first requests of a fresh pool reach one
// node at once, asking for access and ID tokens: they wait for one
// rotation, which makes the pool's first keys in one transaction, and every
// token is signed by those keys; none fails.
func TestFirstMintsOfOneNode(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			store := &txCounter{Store: openStore(t, backend)}
			s := newTestService(t, store, newClock(), testKEK)
			const requests = 16
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				kids  = map[string]bool{}
				errs  []error
				start = make(chan struct{})
			)
			for i := range requests {
				wg.Go(func() {
					<-start
					var tok string
					var err error
					if i%2 == 0 {
						tok, _, err = s.MintAccessToken(context.Background(), identity(), time.Hour)
					} else {
						tok, err = s.MintIDToken(context.Background(), identity(), time.Hour)
					}
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
						return
					}
					kids[kidOf(t, tok)] = true
				})
			}
			close(start)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			stored := storedKIDs(t, store, poolA)
			if len(stored) != 2 {
				t.Fatalf("stored keys %v, want one access and one ID key", stored)
			}
			for kid := range kids {
				if !slices.Contains(stored, kid) {
					t.Errorf("a token was signed by key %s, which the store does not hold (%v)", kid, stored)
				}
			}
			if len(kids) != 2 {
				t.Errorf("tokens signed by %d keys, want 2 (access and ID)", len(kids))
			}
			if n := store.txs.Load(); n != 1 {
				t.Errorf("%d transactions made the first keys, want 1", n)
			}
		})
	}
}

// TestKeyCreatedOnAnotherNode verifies, on a node that has cached the
// pool's keys, a token signed a moment later by a key another node created.
func TestKeyCreatedOnAnotherNode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	node2 := newTestService(t, f.store, f.clock, testKEK)
	// node2 caches pool A's generation-1 keys.
	if _, err := node2.VerifyAccessToken(ctx, mustMintAccess(t, f.s, identity(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Node 1 rotates; node2's cache is still fresh.
	f.clock.Advance(DefaultRotationPeriod)
	node3 := newTestService(t, f.store, f.clock, testKEK)
	fresh := mustMintAccess(t, node3, identity(), time.Hour)
	f.clock.mu.Lock()
	node2.pools[poolA].loadedAt = f.clock.now
	f.clock.mu.Unlock()
	if _, err := node2.VerifyAccessToken(ctx, fresh); err != nil {
		t.Errorf("a node with a fresh cache refuses a token of a key created elsewhere: %v", err)
	}
	// A kid that exists nowhere is still refused, fresh cache or not.
	forged := forge(map[string]any{"alg": "RS256", "kid": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))},
		accessClaimsAt(f.clock.Now()), func([]byte) []byte { return []byte("x") })
	checkNotAuthorized(t, func() error { _, err := node2.VerifyAccessToken(ctx, forged); return err }(), msgInvalidAccessToken)
}

func TestDeletePoolKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	access := mustMintAccess(t, f.s, identity(), time.Hour)
	idB := identity()
	idB.PoolID = poolB
	accessB := mustMintAccess(t, f.s, idB, time.Hour)
	if err := f.store.Tx(ctx, func(tx storage.Tx) error { return f.s.DeletePoolKeys(ctx, tx, poolA) }); err != nil {
		t.Fatal(err)
	}
	checkNotAuthorized(t, func() error { _, err := f.s.VerifyAccessToken(ctx, access); return err }(), msgInvalidAccessToken)
	if _, err := f.s.VerifyAccessToken(ctx, accessB); err != nil {
		t.Errorf("another pool's token after deleting pool A's keys: %v", err)
	}
	if got := jwksKIDs(t, f.s, poolA); len(got) != 0 {
		t.Errorf("JWKS of a pool without keys: %v", got)
	}
}

func TestKeysEncryptedAtRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	access := mustMintAccess(t, f.s, identity(), time.Hour)
	mustMintID(t, f.s, identity(), time.Hour)
	items, err := f.store.ListItems(ctx, storage.ListItemsInput{Kind: KeyItemKind, Pool: poolA, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d key items, want 2", len(items))
	}
	for _, it := range items {
		k, err := decodeKey(it)
		if err != nil {
			t.Fatal(err)
		}
		priv := privateKeyOf(t, f.s, k)
		pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
		pkcs1 := x509.MarshalPKCS1PrivateKey(priv)
		secrets := map[string][]byte{
			"PEM header":         []byte("PRIVATE KEY"),
			"JWK d member":       []byte(`"d"`),
			"JWK p member":       []byte(`"p"`),
			"JWK q member":       []byte(`"q"`),
			"PKCS #8 DER":        pkcs8[:64],
			"PKCS #1 DER":        pkcs1[:64],
			"d, raw":             priv.D.Bytes()[:32],
			"d, base64url":       []byte(base64.RawURLEncoding.EncodeToString(priv.D.Bytes())[:40]),
			"d, base64":          []byte(base64.StdEncoding.EncodeToString(priv.D.Bytes())[:40]),
			"p, base64url":       []byte(base64.RawURLEncoding.EncodeToString(priv.Primes[0].Bytes())[:40]),
			"PKCS #8, base64":    []byte(base64.StdEncoding.EncodeToString(pkcs8)[:64]),
			"PKCS #1, base64":    []byte(base64.StdEncoding.EncodeToString(pkcs1)[:64]),
			"PKCS #8, base64url": []byte(base64.RawURLEncoding.EncodeToString(pkcs8)[:64]),
		}
		for name, secret := range secrets {
			if bytes.Contains(it.Data, secret) {
				t.Errorf("item %s holds private key material in the clear (%s)", it.ID, name)
			}
		}
	}

	t.Run("a wrong key encryption key fails loudly", func(t *testing.T) {
		wrong := bytes.Repeat([]byte{0x24}, KeyEncryptionKeySize)
		node := newTestService(t, f.store, f.clock, wrong)
		_, _, err := node.MintAccessToken(ctx, identity(), time.Hour)
		if !errors.Is(err, cognito.InternalErrorException("")) || !strings.Contains(err.Error(), "key encryption key") {
			t.Fatalf("MintAccessToken with the wrong key encryption key: %v, want InternalErrorException naming the key encryption key", err)
		}
		if _, err := node.MintIDToken(ctx, identity(), time.Hour); err == nil {
			t.Fatal("MintIDToken with the wrong key encryption key succeeded")
		}
		if got := storedKIDs(t, f.store, poolA); len(got) != 2 {
			t.Errorf("stored keys %v: the wrong key must not make new keys", got)
		}
		// Verification needs only public keys.
		if _, err := node.VerifyAccessToken(ctx, access); err != nil {
			t.Errorf("VerifyAccessToken with another key encryption key: %v", err)
		}
	})

	t.Run("a sealed key moved to another record does not open", func(t *testing.T) {
		store := openStore(t, "sqlite")
		s := newTestService(t, store, newClock(), testKEK)
		mustMintAccess(t, s, identity(), time.Hour)
		other := identity()
		other.PoolID = poolB
		mustMintAccess(t, s, other, time.Hour)
		// Give pool B's access key pool A's sealed private key.
		a := currentKey(t, s, poolA, useAccess)
		b := currentKey(t, s, poolB, useAccess)
		err := store.Tx(ctx, func(tx storage.Tx) error {
			it, err := tx.GetItem(ctx, KeyItemKind, keyItemID(poolB, b.rec.KID))
			if err != nil {
				return err
			}
			rec := b.rec
			rec.SealedPrivateKey = a.rec.SealedPrivateKey
			it.Data, _ = json.Marshal(rec)
			return tx.UpdateItem(ctx, it)
		})
		if err != nil {
			t.Fatal(err)
		}
		node := newTestService(t, store, newClock(), testKEK)
		if _, _, err := node.MintAccessToken(ctx, other, time.Hour); err == nil {
			t.Fatal("signed with a sealed key moved from another pool")
		}
	})

	t.Run("a swapped public key is refused", func(t *testing.T) {
		it := items[0]
		var rec keyRecord
		if err := json.Unmarshal(it.Data, &rec); err != nil {
			t.Fatal(err)
		}
		// One bit of the modulus flipped: a different public key every
		// time, whatever the key's bytes are.
		n, err := base64.RawURLEncoding.DecodeString(rec.N)
		if err != nil {
			t.Fatal(err)
		}
		n[len(n)/2] ^= 0x01
		tampered := base64.RawURLEncoding.EncodeToString(n)
		if tampered == rec.N {
			t.Fatal("the tampered modulus is the original")
		}
		rec.N = tampered
		data, _ := json.Marshal(rec)
		if _, err := decodeKey(&storage.Item{Kind: KeyItemKind, ID: it.ID, Pool: it.Pool, Data: data}); err == nil {
			t.Error("decodeKey accepted a public key that does not match its kid")
		}
	})
}

func TestJWKSShape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	access := mustMintAccess(t, f.s, identity(), time.Hour)
	idTok := mustMintID(t, f.s, identity(), time.Hour)
	raw, err := f.s.JWKS(ctx, poolA)
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2: %s", len(generic.Keys), raw)
	}
	for _, k := range generic.Keys {
		var names []string
		for name := range k {
			names = append(names, name)
		}
		slices.Sort(names)
		if diff := cmp.Diff([]string{"alg", "e", "kid", "kty", "n", "use"}, names); diff != "" {
			t.Errorf("JWK members (-want +got):\n%s", diff)
		}
		if k["alg"] != "RS256" || k["kty"] != "RSA" || k["use"] != "sig" || k["e"] != "AQAB" {
			t.Errorf("JWK %v", k)
		}
	}
	// The published keys verify the tokens, as a relying party would.
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{access, idTok} {
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Key(jws.Signatures[0].Header.KeyID)
		if len(keys) != 1 || !keys[0].Valid() || !keys[0].IsPublic() {
			t.Fatalf("JWKS has no valid public key for kid %s", jws.Signatures[0].Header.KeyID)
		}
		if _, err := jws.Verify(keys[0]); err != nil {
			t.Errorf("token does not verify with its published key: %v", err)
		}
	}
	for _, pool := range []string{poolB, "not a pool", ""} {
		raw, err := f.s.JWKS(ctx, pool)
		if err != nil || string(raw) != `{"keys":[]}` {
			t.Errorf("JWKS(%q) = %s, %v; want an empty set", pool, raw, err)
		}
	}
	if got := fmt.Sprint(len(storedKIDs(t, f.store, poolB))); got != "0" {
		t.Errorf("JWKS created %s keys for a pool", got)
	}
}
