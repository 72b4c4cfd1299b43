package tokens

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/internal/storage"
)

// KeyItemKind is the storage item kind of signing keys. Each key is one
// item whose Pool is the pool ID; deleting a pool's items of this kind
// (DeletePoolKeys) deletes its keys.
const KeyItemKind = "signing_key"

// Signing keys replicate, so that every region verifies the tokens every
// other region issued.
func init() { storage.DeclareKind(KeyItemKind, storage.Replicated) }

// Key uses: which kind of token a key signs.
const (
	useAccess = "access"
	useID     = "id"
)

const (
	// rsaBits is the size of every signing key, as Cognito's.
	rsaBits = 2048
	// keyCacheTTL is how long a node signs with the keys it last read
	// before reading the pool's keys again.
	keyCacheTTL = time.Minute
	// retiredKeyLifetime is how long a retired key stays published after
	// its successor was created: the longest token it can have signed, plus
	// the time another node may have gone on signing with it from its
	// cache, plus a margin for clock skew between nodes.
	retiredKeyLifetime = MaxTokenValidity + keyCacheTTL + 5*time.Minute
	// keyAADPrefix versions the additional data that binds a sealed
	// private key to its pool and kid.
	keyAADPrefix = "cognate signing key v1"
)

// keyRecord is the stored state of one signing key (the item's Data).
type keyRecord struct {
	KID        string `json:"kid"`
	Use        string `json:"use"`
	Generation int64  `json:"generation"`
	Algorithm  string `json:"alg"`
	// N and E are the public key's modulus and exponent, base64url without
	// padding, as a JWK writes them.
	N         string    `json:"n"`
	E         string    `json:"e"`
	CreatedAt time.Time `json:"created_at"`
	// SealedPrivateKey is a GCM nonce followed by the AES-256-GCM sealed
	// PKCS #8 DER of the private key.
	SealedPrivateKey []byte `json:"sealed_private_key"`
}

// signingKey is a decoded key record. Records never change after they are
// written, so one signingKey serves for as long as its key exists.
type signingKey struct {
	pool string
	rec  keyRecord
	pub  *rsa.PublicKey

	signerOnce sync.Once
	signer     jose.Signer
	signerErr  error
}

// poolKeys is the cached key set of one pool.
type poolKeys struct {
	loadedAt time.Time
	// keys are sorted by generation, then use.
	keys []*signingKey
}

func keyItemID(pool, kid string) string { return pool + "/" + kid }

func keyUniqueKey(pool, use string, gen int64) string {
	return pool + "/" + use + "/" + strconv.FormatInt(gen, 10)
}

// keyAAD is the additional data (the seal purpose) that a pool's key with
// kid is sealed with.
func keyAAD(pool, kid string) string {
	return keyAADPrefix + "\x00" + pool + "\x00" + kid
}

// thumbprintKID returns the kid of pub: its RFC 7638 SHA-256 thumbprint in
// standard base64, which has the shape of Cognito's kids.
func thumbprintKID(pub *rsa.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(tp), nil
}

// newKey generates a key pair and seals its private half for pool.
func (s *Service) newKey(pool, use string, gen int64, now time.Time) (*storage.Item, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	kid, err := thumbprintKID(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("signing key thumbprint: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal signing key: %w", err)
	}
	sealed := s.sealer.Seal(keyAAD(pool, kid), der)
	clear(der)
	rec := keyRecord{
		KID:              kid,
		Use:              use,
		Generation:       gen,
		Algorithm:        string(jose.RS256),
		N:                base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
		E:                base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes()),
		CreatedAt:        now,
		SealedPrivateKey: sealed,
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return &storage.Item{
		Kind:      KeyItemKind,
		ID:        keyItemID(pool, kid),
		Pool:      pool,
		Data:      data,
		Keys:      []string{keyUniqueKey(pool, use, gen)},
		CreatedAt: now,
		UpdatedAt: now,
	}, nil
}

// decodeKey decodes a stored key, checking that its kid is its public
// key's thumbprint, so a public key swapped in the database does not
// verify tokens under the old kid.
func decodeKey(it *storage.Item) (*signingKey, error) {
	var rec keyRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", it.ID, err)
	}
	if rec.Use != useAccess && rec.Use != useID || rec.Algorithm != string(jose.RS256) {
		return nil, fmt.Errorf("signing key %s: unknown use %q or algorithm %q", it.ID, rec.Use, rec.Algorithm)
	}
	n, errN := base64.RawURLEncoding.DecodeString(rec.N)
	e, errE := base64.RawURLEncoding.DecodeString(rec.E)
	if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("signing key %s: malformed public key", it.ID)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < rsaBits {
		return nil, fmt.Errorf("signing key %s: %d-bit modulus", it.ID, pub.N.BitLen())
	}
	kid, err := thumbprintKID(pub)
	if err != nil || kid != rec.KID || it.ID != keyItemID(it.Pool, kid) {
		return nil, fmt.Errorf("signing key %s: kid does not match its public key", it.ID)
	}
	return &signingKey{pool: it.Pool, rec: rec, pub: pub}, nil
}

// signerFor opens k's private key with the key encryption key, once.
func (s *Service) signerFor(k *signingKey) (jose.Signer, error) {
	k.signerOnce.Do(func() {
		der, err := s.sealer.Open(keyAAD(k.pool, k.rec.KID), k.rec.SealedPrivateKey)
		if err != nil {
			k.signerErr = fmt.Errorf("signing key %s of pool %s: cannot open the private key: the key encryption key is not the one it was sealed with, or the record was altered: %w", k.rec.KID, k.pool, err)
			return
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		clear(der)
		if err != nil {
			k.signerErr = fmt.Errorf("signing key %s of pool %s: %w", k.rec.KID, k.pool, err)
			return
		}
		priv, ok := parsed.(*rsa.PrivateKey)
		if !ok || !priv.PublicKey.Equal(k.pub) {
			k.signerErr = fmt.Errorf("signing key %s of pool %s: private key does not match the public key", k.rec.KID, k.pool)
			return
		}
		k.signer, k.signerErr = jose.NewSigner(
			jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: k.rec.KID}}, nil)
	})
	return k.signer, k.signerErr
}

// readKeys reads every key of pool through r, reusing the decoded keys
// already cached so that a private key is opened once per process.
func (s *Service) readKeys(ctx context.Context, r storage.ItemReader, pool string) ([]*signingKey, error) {
	known := map[string]*signingKey{}
	s.mu.Lock()
	if pk := s.pools[pool]; pk != nil {
		for _, k := range pk.keys {
			known[k.rec.KID] = k
		}
	}
	s.mu.Unlock()

	var keys []*signingKey
	after := ""
	for {
		items, err := r.ListItems(ctx, storage.ListItemsInput{Kind: KeyItemKind, Pool: pool, AfterID: after, Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("list signing keys of pool %s: %w", pool, err)
		}
		for _, it := range items {
			k, err := decodeKey(it)
			if err != nil {
				return nil, err
			}
			if old, ok := known[k.rec.KID]; ok {
				k = old
			}
			keys = append(keys, k)
		}
		if len(items) < 100 {
			break
		}
		after = items[len(items)-1].ID
	}
	slices.SortFunc(keys, func(a, b *signingKey) int {
		return cmp.Or(cmp.Compare(a.rec.Generation, b.rec.Generation), cmp.Compare(a.rec.Use, b.rec.Use))
	})
	return keys, nil
}

// loadKeys reads pool's keys from the store and caches them.
func (s *Service) loadKeys(ctx context.Context, pool string) ([]*signingKey, error) {
	keys, err := s.readKeys(ctx, s.store, pool)
	if err != nil {
		return nil, err
	}
	// A pool without keys is not cached, so tokens naming made-up pools
	// cannot fill the cache.
	s.mu.Lock()
	if len(keys) > 0 {
		s.pools[pool] = &poolKeys{loadedAt: s.clock(), keys: keys}
	} else {
		delete(s.pools, pool)
	}
	s.mu.Unlock()
	return keys, nil
}

// newest returns the key of use with the highest generation, or nil.
func newest(keys []*signingKey, use string) *signingKey {
	var best *signingKey
	for _, k := range keys {
		if k.rec.Use == use && (best == nil || k.rec.Generation > best.rec.Generation) {
			best = k
		}
	}
	return best
}

// active returns the key that signs new tokens of use, or nil when the
// pool has none or its newest one is due for rotation.
func (s *Service) active(keys []*signingKey, use string, now time.Time) *signingKey {
	k := newest(keys, use)
	if k == nil || !now.Before(k.rec.CreatedAt.Add(s.rotation)) {
		return nil
	}
	return k
}

// retiredAt returns when k stopped signing: when the first later
// generation of its use was created. ok is false while k is the newest.
func retiredAt(keys []*signingKey, k *signingKey) (at time.Time, ok bool) {
	for _, o := range keys {
		if o.rec.Use == k.rec.Use && o.rec.Generation > k.rec.Generation && (!ok || o.rec.CreatedAt.Before(at)) {
			at, ok = o.rec.CreatedAt, true
		}
	}
	return at, ok
}

// live reports whether k may still have signed an unexpired token, so it
// must stay published and accepted.
func live(keys []*signingKey, k *signingKey, now time.Time) bool {
	at, retired := retiredAt(keys, k)
	return !retired || now.Before(at.Add(retiredKeyLifetime))
}

// signingKeyFor returns the key that signs pool's new tokens of use,
// creating or rotating the pool's keys when needed.
func (s *Service) signingKeyFor(ctx context.Context, pool, use string) (*signingKey, error) {
	now := s.clock()
	s.mu.Lock()
	pk := s.pools[pool]
	s.mu.Unlock()
	if pk != nil && now.Sub(pk.loadedAt) < keyCacheTTL {
		if k := s.active(pk.keys, use, now); k != nil {
			return k, nil
		}
	}
	keys, err := s.loadKeys(ctx, pool)
	if err != nil {
		return nil, err
	}
	if k := s.active(keys, use, now); k != nil {
		return k, nil
	}
	// The pool's first mint, or the first after a rotation fell due,
	// makes the next keys. The requests of this process that need them at
	// the same time wait for that one rotation (rotations) instead of each
	// generating RSA keys that all but one would lose to the store; and
	// it goes on when the request that started it goes away, as the others
	// still wait for it.
	v, err, _ := s.rotations.Do(pool, func() (any, error) {
		return s.rotateKeys(context.WithoutCancel(ctx), pool, now)
	})
	if err != nil {
		return nil, err
	}
	if k := newest(v.([]*signingKey), use); k != nil {
		// Even when the rotation that won made a key this node's clock
		// already considers due, or a conflict left the due key in place,
		// it is the newest there is: sign with it rather than loop, and
		// rotate again on a later mint.
		return k, nil
	}
	return nil, fmt.Errorf("pool %s has no %s signing key after rotation", pool, use)
}

// rotateKeys rotates pool's keys (rotate) and returns the set the store
// holds afterwards, trying again when the pool's first keys lost a
// serialization conflict with no winner. It reads the keys again first: a
// rotation that ended since the caller read them may have made the keys
// it needs, and then it makes none.
func (s *Service) rotateKeys(ctx context.Context, pool string, now time.Time) ([]*signingKey, error) {
	keys, err := s.loadKeys(ctx, pool)
	if err != nil {
		return nil, err
	}
	if s.active(keys, useAccess, now) != nil && s.active(keys, useID, now) != nil {
		return keys, nil
	}
	for range 3 {
		if err := s.rotate(ctx, pool, keys, now); err != nil {
			return nil, err
		}
		if keys, err = s.loadKeys(ctx, pool); err != nil {
			return nil, err
		}
		if newest(keys, useAccess) != nil && newest(keys, useID) != nil {
			return keys, nil
		}
	}
	return keys, nil
}

// rotate creates the next generation of pool's keys, one for each use, and
// deletes the keys whose tokens have all expired. seen is the key set the
// caller read; when the store's set has moved on (another node rotated),
// rotate does nothing. Two nodes that create the same generation at once
// collide on its unique keys; the loser returns nil and re-reads.
func (s *Service) rotate(ctx context.Context, pool string, seen []*signingKey, now time.Time) error {
	var gen int64 = 1
	for _, k := range seen {
		gen = max(gen, k.rec.Generation+1)
	}
	// Generate outside the transaction: it takes tens of milliseconds, and
	// SQLite has one writer.
	fresh := make([]*storage.Item, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, use := range []string{useAccess, useID} {
		wg.Go(func() { fresh[i], errs[i] = s.newKey(pool, use, gen, now) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return internal(err)
	}

	err := s.store.Tx(ctx, func(tx storage.Tx) error {
		keys, err := s.readKeys(ctx, tx, pool)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.rec.Generation >= gen {
				return errLostRace
			}
		}
		for _, it := range fresh {
			if err := tx.CreateItem(ctx, it); err != nil {
				if errors.Is(err, storage.ErrAlreadyExists) {
					return errLostRace
				}
				return fmt.Errorf("create signing key %s: %w", it.ID, err)
			}
		}
		for _, k := range keys {
			if live(keys, k, now) {
				continue
			}
			it, err := tx.GetItem(ctx, KeyItemKind, keyItemID(pool, k.rec.KID))
			if err != nil {
				return fmt.Errorf("read retired signing key %s: %w", k.rec.KID, err)
			}
			if err := tx.DeleteItem(ctx, KeyItemKind, it.ID, it.Version); err != nil {
				return fmt.Errorf("delete retired signing key %s: %w", k.rec.KID, err)
			}
		}
		return nil
	})
	if err == nil || errors.Is(err, errLostRace) || errors.Is(err, storage.ErrConflict) {
		// A lost race, or a serialization conflict with the winner: the
		// caller re-reads the keys that won.
		return nil
	}
	return internal(err)
}

// errLostRace reports that another node created the generation first.
var errLostRace = errors.New("signing keys rotated concurrently")

// verificationKey returns pool's key kid when it may still have signed an
// unexpired token, or nil; the caller checks the key's use. It trusts the
// cached key set for keyCacheTTL; a kid that a fresh cache does not know
// is looked up in the store, so keys created on other nodes verify at once.
func (s *Service) verificationKey(ctx context.Context, pool, kid string) (*signingKey, error) {
	now := s.clock()
	s.mu.Lock()
	pk := s.pools[pool]
	s.mu.Unlock()
	if pk != nil && now.Sub(pk.loadedAt) < keyCacheTTL {
		if k, known := findKey(pk.keys, kid, now); known {
			return k, nil
		}
		// Unknown here: one point read tells whether another node has
		// created it since, before re-reading the whole set.
		_, err := s.store.GetItem(ctx, KeyItemKind, keyItemID(pool, kid))
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, internal(fmt.Errorf("read signing key %s of pool %s: %w", kid, pool, err))
		}
	}
	keys, err := s.loadKeys(ctx, pool)
	if err != nil {
		return nil, internal(err)
	}
	k, _ := findKey(keys, kid, now)
	return k, nil
}

// findKey returns the key kid of keys when it is live. known reports
// whether keys hold kid at all, live or not.
func findKey(keys []*signingKey, kid string, now time.Time) (k *signingKey, known bool) {
	for _, k := range keys {
		if k.rec.KID == kid {
			if !live(keys, k, now) {
				return nil, true
			}
			return k, true
		}
	}
	return nil, false
}

// DeletePoolKeys deletes every signing key of poolID in tx, for deleting
// the pool. Tokens the pool issued stop verifying on this node at once and
// on other nodes within keyCacheTTL.
func (s *Service) DeletePoolKeys(ctx context.Context, tx storage.Tx, poolID string) error {
	if _, err := tx.DeleteItems(ctx, KeyItemKind, poolID); err != nil {
		return fmt.Errorf("delete signing keys of pool %s: %w", poolID, err)
	}
	s.mu.Lock()
	delete(s.pools, poolID)
	s.mu.Unlock()
	return nil
}

// ResealSigningKey returns the data of a stored signing key (an item of
// KeyItemKind) with its private key sealed again with the current key
// encryption key, and changed set, when it was sealed with a previous one;
// changed is false when it already is sealed with the current key. It is
// the re-sealer of a key rotation (internal/cluster).
func (s *Service) ResealSigningKey(it *storage.Item) (data []byte, changed bool, err error) {
	var rec keyRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", it.ID, err)
	}
	der, key, err := s.sealer.OpenKey(keyAAD(it.Pool, rec.KID), rec.SealedPrivateKey)
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: the private key opens with no configured key: %w", it.ID, err)
	}
	defer clear(der)
	if key == 0 {
		return nil, false, nil
	}
	rec.SealedPrivateKey = s.sealer.Seal(keyAAD(it.Pool, rec.KID), der)
	data, err = json.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}
