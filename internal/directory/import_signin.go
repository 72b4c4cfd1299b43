package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// VerifyImportedPassword checks password against the hash an import job
// brought for user (SignInUser.ImportedHash), with golang.org/x/crypto's
// implementation of its algorithm. A right password replaces the imported
// hash at once with the pool's own argon2id hash and an SRP verifier, in
// one transaction that finds the imported hash unchanged (applyNewPassword,
// as for any password set), so the imported hash is checked until the
// first right password and never again. A wrong one writes nothing.
func (s *Service) VerifyImportedPassword(ctx context.Context, pool *userpool.SignInPool, user *SignInUser, pw string) (bool, error) {
	it, err := s.store.GetItem(ctx, kindUser, user.Sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != pool.ID) {
		return false, nil
	}
	if err != nil {
		return false, cognito.Internal(err)
	}
	u, err := decodeUser(it)
	if err != nil || u.ImportedHash == "" {
		return false, err
	}
	sealed := u.ImportedHash
	im, err := s.importKeys.openImportedHash(pool.ID, u.Sub, sealed)
	if err != nil {
		return false, cognito.Internal(fmt.Errorf("open imported hash of %s: %w", u.Sub, err))
	}
	ok, err := s.passwords.VerifyImported(ctx, im, pw)
	if err != nil || !ok {
		return false, err
	}
	np, err := s.hashNewPassword(ctx, pool.ID, u.Username, pw)
	if err != nil {
		return false, err
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindUser, user.Sub)
		if err != nil {
			return err
		}
		u, err := decodeUser(it)
		if err != nil {
			return err
		}
		if u.ImportedHash != sealed {
			return nil // replaced meanwhile (a password was set): nothing to upgrade
		}
		now := s.now()
		if err := s.applyNewPassword(u, pool.Config(), np, now); err != nil {
			return err
		}
		u.UpdatedAt = now
		next, err := userItem(pool.Config(), u, it.Version)
		if err != nil {
			return err
		}
		return tx.UpdateItem(ctx, next)
	})
	return err == nil, err
}
