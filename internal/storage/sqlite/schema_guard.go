package sqlite

import (
	"context"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

var _ storage.SchemaGuard = (*DB)(nil)

// CheckSchema implements storage.SchemaGuard: it reads schema_migrations
// and, when a newer release has migrated the file, latches the error that
// every write transaction returns from then on. A server holds the file's
// lock while it runs, so on SQLite a newer cognate migrates the file only
// once this one has stopped; the check is kept for the same behaviour on
// both stores.
func (db *DB) CheckSchema(ctx context.Context) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	listed, err := migrationDialect{db}.AppliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: read schema_migrations: %w", err)
	}
	if err := storage.NewerSchema(listed, ms); err != nil {
		return db.newer.Set(fmt.Errorf("sqlite: %w", err))
	}
	return nil
}
