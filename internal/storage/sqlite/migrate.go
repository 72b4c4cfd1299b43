package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]storage.Migration, error) {
	ms, err := storage.ReadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, in version order, each in its own write transaction,
// and returns how many it applied. Each transaction re-checks
// schema_migrations after taking the write lock, so processes migrating the
// same file at once apply each migration exactly once.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	// A migration may rewrite pools; none is cached before the server
	// serves, but drop them anyway.
	defer db.cache.Invalidate()
	return db.migrate(ctx, ms)
}

// migrate applies those of ms that schema_migrations does not list, as
// Migrate describes. Tests pass a prefix of the migrations to build a store
// of an earlier version.
func (db *DB) migrate(ctx context.Context, ms []storage.Migration) (int, error) {
	applied, err := storage.RunMigrations(ctx, migrationDialect{db}, ms)
	if err != nil {
		return applied, fmt.Errorf("sqlite: %w", err)
	}
	if err := db.observeHLC(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// migrationDialect runs migrations in SQLite's SQL, each in a write
// transaction: the write lock keeps processes apart.
type migrationDialect struct{ db *DB }

func (d migrationDialect) CreateMigrationTable(ctx context.Context) error {
	return d.db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at INTEGER NOT NULL
		)`)
		return err
	})
}

func (d migrationDialect) AppliedMigrations(ctx context.Context) ([]int64, error) {
	rows, err := d.db.r.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func (d migrationDialect) ApplyMigration(ctx context.Context, m storage.Migration) (bool, error) {
	did := false
	err := d.db.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx,
			`SELECT 1 FROM schema_migrations WHERE version = ?`, m.Version).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.Version, toMicros(d.db.clock())); err != nil {
			return err
		}
		did = true
		return nil
	})
	return did, err
}
