package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

var _ storage.SchemaGuard = (*DB)(nil)

// migratedPrefix starts the payload of the notification Migrate sends on
// the read caches' channel after it applied migrations: the nodes that
// hear it (those with a read cache, whose listener hears the channel)
// check the schema at once instead of at their next CheckSchema.
const migratedPrefix = "migrated "

// CheckSchema implements storage.SchemaGuard: it reads schema_migrations
// and, when a newer release has migrated the database (a node of a rolling
// upgrade that started on a newer binary), latches the error that every
// write transaction returns from then on.
func (db *DB) CheckSchema(ctx context.Context) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	listed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	if err := storage.NewerSchema(listed, ms); err != nil {
		return db.newer.Set(fmt.Errorf("postgres: %w", err))
	}
	return nil
}

// heardMigration checks the schema after another node's Migrate applied
// migrations, and logs loudly when it is newer than this binary's.
func (db *DB) heardMigration() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := db.CheckSchema(ctx)
	switch {
	case errors.Is(err, storage.ErrSchemaNewer):
		db.log.Error("postgres: a newer cognate migrated the database; this node refuses every write from now on and must stop", "err", err)
	case err != nil:
		db.log.Warn("postgres: check the schema after another node migrated it", "err", err)
	}
}
