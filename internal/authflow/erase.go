package authflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// eraseBatch is how many index entries eraseUser reads at a time.
const eraseBatch = 100

// eraseUser deletes, inside the transaction that deletes the user sub of
// pool (userpool.Service.OnDeleteUser), what sign-in keeps of it: its
// token families, which hold its sub and username, its refresh tokens,
// which hold its sub, its devices and their last sign-ins, its passkeys and any passkey
// registration it started, and its failed-attempt counters
// (password and MFA codes), whose IDs hold its sub. The store erases their
// earlier change-log entries with them, so
// nothing of the user stays until these items would have expired.
func eraseUser(ctx context.Context, tx storage.Tx, pool, sub string) error {
	if err := deleteAllIndexed(ctx, tx, kindTokenFamily, familiesOfPrefix(pool, sub)); err != nil {
		return err
	}
	if err := deleteAllIndexed(ctx, tx, kindRefreshToken, tokensOfPrefix(pool, sub)); err != nil {
		return err
	}
	if err := deleteDevicesOf(ctx, tx, pool, sub); err != nil {
		return err
	}
	if err := deleteAllIndexed(ctx, tx, kindPasskey, passkeysOfPrefix(pool, sub)); err != nil {
		return err
	}
	for _, id := range []string{lockoutID(pool, sub), mfaLockoutID(pool, sub), passkeyRegistrationID(pool, sub)} {
		if err := deleteIfThere(ctx, tx, id); err != nil {
			return err
		}
	}
	// The counters' shares with other regions (lockout_share.go).
	for _, id := range []string{shareID(lockoutID(pool, sub)), shareID(mfaLockoutID(pool, sub))} {
		if err := deleteKindIfThere(ctx, tx, LockoutShareItemKind, id); err != nil {
			return err
		}
	}
	return nil
}

// deleteIfThere deletes the auth_session item id inside tx, if there is
// one.
func deleteIfThere(ctx context.Context, tx storage.Tx, id string) error {
	return deleteKindIfThere(ctx, tx, kindAuthSession, id)
}

// deleteKindIfThere deletes the item kind/id inside tx, if there is one.
func deleteKindIfThere(ctx context.Context, tx storage.Tx, kind, id string) error {
	it, err := tx.GetItem(ctx, kind, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", id, err)
	}
	if err := tx.DeleteItem(ctx, kind, id, it.Version); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return nil
}

// deleteAllIndexed deletes, inside tx, every item of kind with an index
// entry under prefix.
func deleteAllIndexed(ctx context.Context, tx storage.Tx, kind, prefix string) error {
	var afterKey, afterID string
	for {
		entries, err := tx.ScanIndex(ctx, storage.ScanInput{Kind: kind, Prefix: prefix, AfterKey: afterKey, AfterID: afterID, Limit: eraseBatch})
		if err != nil {
			return fmt.Errorf("scan %s: %w", kind, err)
		}
		for _, e := range entries {
			if err := tx.DeleteItem(ctx, kind, e.Item.ID, e.Item.Version); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("delete %s %q: %w", kind, e.Item.ID, err)
			}
		}
		if len(entries) < eraseBatch {
			return nil
		}
		last := entries[len(entries)-1]
		afterKey, afterID = last.Key, last.Item.ID
	}
}
