package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]storage.Migration, error) {
	ms, err := storage.ReadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, in version order, each in its own transaction, and
// returns how many it applied. It holds a session-level advisory lock keyed
// by the current schema throughout, so nodes that start at once wait for
// each other and apply each migration exactly once.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return db.migrate(ctx, ms)
}

// migrate applies those of ms that schema_migrations does not list, as
// Migrate describes. Tests pass a prefix of the migrations to build a store
// of an earlier version.
func (db *DB) migrate(ctx context.Context, ms []storage.Migration) (int, error) {
	db.schema.Store(newSchemaGuard(ms))
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrateLockClass); err != nil {
		return 0, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer func() {
		_, err := conn.Exec(context.WithoutCancel(ctx),
			`SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrateLockClass)
		if err != nil {
			// Never return a connection that may still hold the lock to
			// the pool.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	applied, err := storage.RunMigrations(ctx, migrationDialect{db: db, conn: conn.Conn()}, ms)
	if applied > 0 {
		// A migration may rewrite pools and app clients: drop what any
		// node's read cache holds (cache.go).
		db.cache.Invalidate()
		if _, nerr := conn.Exec(context.WithoutCancel(ctx), notifyQuery, ""); nerr != nil && err == nil {
			err = fmt.Errorf("notify the read caches: %w", nerr)
		}
		// The nodes still running an older binary check the schema at
		// once (SchemaGuard).
		if _, nerr := conn.Exec(context.WithoutCancel(ctx), notifyQuery, migratedPrefix); nerr != nil && err == nil {
			err = fmt.Errorf("notify the other nodes of the migration: %w", nerr)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("postgres: %w", err)
	}
	if err := db.observeHLC(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// migrationDialect runs migrations in PostgreSQL's SQL on the connection
// that holds Migrate's advisory lock.
type migrationDialect struct {
	db   *DB
	conn *pgx.Conn
}

func (d migrationDialect) CreateMigrationTable(ctx context.Context) error {
	_, err := d.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT      NOT NULL PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL
	)`)
	return err
}

func (d migrationDialect) AppliedMigrations(ctx context.Context) ([]int64, error) {
	rows, err := d.conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

func (d migrationDialect) ApplyMigration(ctx context.Context, m storage.Migration) (bool, error) {
	// A migration already applied takes no lock: a node that starts on a
	// migrated database does not hold the others' transactions back.
	var one int
	err := d.conn.QueryRow(ctx, `SELECT 1 FROM schema_migrations WHERE version = $1`, m.Version).Scan(&one)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, err
	}
	did := false
	err = pgx.BeginFunc(ctx, d.conn, func(tx pgx.Tx) error {
		// First, before any other lock: wait for the transactions that
		// began before the migration, and hold back those that begin
		// while it runs (schema_guard.go).
		if _, err := tx.Exec(ctx, `LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT 1 FROM schema_migrations WHERE version = $1`, m.Version).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			m.Version, d.db.clock().UTC())
		if err == nil {
			did = true
		}
		return err
	})
	return did, err
}
