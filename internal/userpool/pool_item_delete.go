package userpool

import (
	"context"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// deletePoolItem deletes, in one transaction, the item of kind that find
// locates by name in the pool poolID, once the caller may use the pool:
// what the Delete operations of a pool's domains, identity providers,
// resource servers, managed login styles and terms documents do. what
// names the record in the error of a failed delete.
func deletePoolItem[R any](ctx context.Context, s *Service, c cognito.Caller, poolID, name, kind, what string,
	find func(ctx context.Context, r storage.ItemReader, pool, name string) (*storage.Item, R, error)) error {
	return s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, _, err := find(ctx, tx, poolID, name)
		if err != nil {
			return err
		}
		if err := tx.DeleteItem(ctx, kind, it.ID, it.Version); err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		return nil
	})
}
