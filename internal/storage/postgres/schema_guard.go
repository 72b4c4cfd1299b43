package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
	ms := db.schema.Load().known
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

// The schema check inside every transaction.
//
// A node learns of a newer release's migration from the notification
// Migrate sends once it has committed, or at its next CheckSchema; until
// then it would go on writing. So every transaction (db.run) begins with
// the check too, in the same message as its BEGIN (pgx.TxOptions.BeginQuery,
// sent with the simple protocol): no round trip is added. The check is one
// SELECT of the versions in schema_migrations this binary does not know,
// which fails when there is one: it casts a text naming the version to
// bigint (schemaNewerCode). Plain SQL has no statement that raises an error
// of its own choosing, and a PL/pgSQL DO block that would costs about twice
// as much at each transaction. The transaction then fails before it has
// written anything, and the DB latches the error as CheckSchema does.
//
// The read holds an ACCESS SHARE lock on schema_migrations until the
// transaction ends, and each migration begins with LOCK TABLE
// schema_migrations IN ACCESS EXCLUSIVE MODE
// (migrationDialect.ApplyMigration): a migration waits for the
// transactions that began before it, which commit before it changes
// anything, and those that begin while it runs wait for it and then see
// its version. No write of this binary commits after a migration it does
// not know, and a migration sees every write of the transactions that
// began before it. Each side takes that lock first, so neither waits for
// the other while holding a lock the other needs.

// schemaNewerCode is the SQLSTATE of the check's failure
// (invalid_text_representation), which nothing else in the BEGIN's message
// raises; schemaNewerText starts the text it fails to cast.
const (
	schemaNewerCode = "22P02"
	schemaNewerText = "a newer cognate applied migration "
)

// schemaGuard is what a DB knows of the schema: the migrations of this
// binary (or those a test's migrate applied) and the BEGIN, with the check,
// that its transactions start with.
type schemaGuard struct {
	known []storage.Migration
	begin string
}

// newSchemaGuard returns the guard for the migrations ms.
func newSchemaGuard(ms []storage.Migration) *schemaGuard {
	versions := make([]string, len(ms))
	for i, m := range ms {
		versions[i] = strconv.FormatInt(m.Version, 10)
	}
	return &schemaGuard{known: ms, begin: `BEGIN ISOLATION LEVEL READ COMMITTED; ` +
		`SELECT ('` + schemaNewerText + `' || version)::bigint FROM schema_migrations ` +
		`WHERE version <> ALL ('{` + strings.Join(versions, ",") + `}'::bigint[])`}
}

// beginFailed returns the error of a BEGIN that failed: the latched
// storage.ErrSchemaNewer when its check found a version the DB does not
// know (read again, with every such version, by CheckSchema), or err as it
// is.
func (db *DB) beginFailed(ctx context.Context, err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != schemaNewerCode || !strings.Contains(pe.Message, schemaNewerText) {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	first := db.newer.Err() == nil
	newer := db.CheckSchema(context.WithoutCancel(ctx))
	if !errors.Is(newer, storage.ErrSchemaNewer) {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if first {
		db.log.Error("postgres: a newer cognate migrated the database; this node refuses every write from now on and must stop", "err", newer)
	}
	return newer
}
