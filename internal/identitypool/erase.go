package identitypool

import (
	"context"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// eraseUserLogins deletes, in the transaction that deletes the user sub of
// the user pool pool, every login linked to it in any identity pool: the
// identities stay, without the login, so no identity gets authenticated
// credentials through a user that is gone.
func (s *Service) eraseUserLogins(ctx context.Context, tx storage.Tx, pool, sub string) error {
	return deleteLoginsAt(ctx, tx, storage.ScanInput{Kind: LoginItemKind, Prefix: userIndex(pool, sub), Exact: true})
}

// eraseUserPoolLogins deletes, in the transaction that deletes the user
// pool pool, every login of its users in any identity pool.
func (s *Service) eraseUserPoolLogins(ctx context.Context, tx storage.Tx, pool string) error {
	return deleteLoginsAt(ctx, tx, storage.ScanInput{Kind: LoginItemKind, Prefix: userIndexPrefix(pool)})
}

// deleteLoginsAt deletes every login the scan finds, a page at a time.
func deleteLoginsAt(ctx context.Context, tx storage.Tx, in storage.ScanInput) error {
	in.Limit = 100
	for {
		entries, err := tx.ScanIndex(ctx, in)
		if err != nil {
			return fmt.Errorf("find logins: %w", err)
		}
		for _, e := range entries {
			if err := tx.DeleteItem(ctx, LoginItemKind, e.Item.ID, e.Item.Version); err != nil {
				return fmt.Errorf("delete login: %w", err)
			}
		}
		if len(entries) < in.Limit {
			return nil
		}
		// The page's entries are gone: the next scan starts over.
	}
}
