package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// migrateBackend is this backend for storagetest's migration checks.
func migrateBackend() storagetest.MigrateBackend[*DB] {
	return storagetest.MigrateBackend[*DB]{
		Migrations: migrations,
		Open: func(t *testing.T, clock func() time.Time) (*DB, string) {
			return openTemp(t, Options{Region: storagetest.Region, Clock: clock}, false)
		},
		Apply: (*DB).migrate,
		HasIndex: func(t *testing.T, db *DB, name string) bool {
			t.Helper()
			var exists bool
			if err := db.pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
				t.Fatal(err)
			}
			return exists
		},
		Reopen: func(ctx context.Context, dsn string, clock func() time.Time) (*DB, error) {
			return Open(ctx, dsn, Options{Region: storagetest.Region, Clock: clock})
		},
		NextHLC: func(db *DB) int64 { return db.hlc.Now() },
		Exec: func(db *DB, ctx context.Context, query string) error {
			_, err := db.pool.Exec(ctx, query)
			return err
		},
		CountRows: func(db *DB, ctx context.Context, table string) (int, error) {
			var n int
			err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
			return n, err
		},
	}
}

// TestMigrate runs storagetest.MigrateFresh: an empty store migrates
// once, and a second Migrate applies nothing.
func TestMigrate(t *testing.T) {
	storagetest.MigrateFresh(t, migrateBackend())
}

// TestMigrateExistingStore runs storagetest.MigrateExistingStore: a store
// of an earlier version keeps its change log through Migrate, and its HLC
// resumes after the newest entry.
func TestMigrateExistingStore(t *testing.T) {
	storagetest.MigrateExistingStore(t, migrateBackend())
}

// TestMigrateNewerStore runs storagetest.MigrateNewerStore: a store a newer
// release migrated is refused with storage.ErrSchemaNewer.
func TestMigrateNewerStore(t *testing.T) {
	storagetest.MigrateNewerStore(t, migrateBackend())
}

// TestSchemaNewerWhileServing runs storagetest.SchemaNewerWhileServing
// with two handles on one database, as the nodes of a rolling upgrade: a
// node's write transaction after the migration is refused by its own check
// of the schema; a node with a read cache also hears the newer node's
// migration on the read caches' channel and latches the refusal by itself,
// before it writes.
func TestSchemaNewerWhileServing(t *testing.T) {
	storagetest.PostgresDSN(t)
	second := func(t *testing.T, dsn string) *DB {
		db, err := Open(context.Background(), dsn, Options{Region: storagetest.Region})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	t.Run("checked", func(t *testing.T) {
		storagetest.SchemaNewerWhileServing(t, migrateBackend(), second, nil)
	})
	t.Run("heard", func(t *testing.T) {
		b := migrateBackend()
		b.Open = func(t *testing.T, clock func() time.Time) (*DB, string) {
			db, dsn := openTemp(t, Options{Region: storagetest.Region, Clock: clock, ReadCache: true}, false)
			// The node hears the channel before the newer node migrates.
			waitUntil(t, "the node's read cache listens", db.cache.On)
			return db, dsn
		}
		storagetest.SchemaNewerWhileServing(t, b, second, func(t *testing.T, node *DB) {
			t.Helper()
			waitUntil(t, "the node hears the migration", func() bool { return errors.Is(node.newer.Err(), storage.ErrSchemaNewer) })
		})
	})
}

// TestMigrationWaitsForTransactions holds the schema check inside each
// transaction against a newer node's migration on one database, with the
// order of events seen in pg_locks rather than timed: the migration waits
// for a transaction of the node that began before it, which commits and
// whose write the migrated database keeps; a transaction the node begins
// while the migration runs waits for it, then fails with
// storage.ErrSchemaNewer without writing, and the node latches the error.
// So no write of the node commits after the migration, whether or not the
// node has heard of it (this node has no read cache, and never checks).
func TestMigrationWaitsForTransactions(t *testing.T) {
	storagetest.PostgresDSN(t)
	ctx := context.Background()
	node, dsn := openTemp(t, Options{Region: storagetest.Region}, true)
	newer, err := Open(ctx, dsn, Options{Region: storagetest.Region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { newer.Close() })
	watch, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watch.Close(context.Background()) })
	// locks reports whether a lock of mode on this schema's
	// schema_migrations is held (granted) or awaited.
	locks := func(mode string, granted bool) bool {
		var n int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE relation = 'schema_migrations'::regclass
			AND mode = $1 AND granted = $2`, mode, granted).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	// The newer release's migration holds, once it has locked
	// schema_migrations, until the test lets it go on (gate).
	gate := rand.Int64()
	if _, err := watch.Exec(ctx, `SELECT pg_advisory_lock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	newest := ms[len(ms)-1].Version
	future := storage.Migration{Version: newest + 1, Name: fmt.Sprintf("%04d_future.sql", newest+1),
		SQL: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d); CREATE INDEX future_index ON items (updated_at)", gate)}
	item := func(id string) *storage.Item {
		now := time.Now()
		return &storage.Item{Kind: "user", ID: id, Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	}

	// A transaction of the node that began before the migration.
	wrote, release, began := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // before the handles close, should the test stop early
	go func() {
		began <- node.Tx(ctx, func(tx storage.Tx) error {
			if err := tx.CreateItem(ctx, item("before")); err != nil {
				return err
			}
			close(wrote)
			<-release
			return nil
		})
	}()
	<-wrote
	migrated := make(chan error, 1)
	go func() {
		n, err := newer.migrate(ctx, append(slices.Clone(ms), future))
		if err == nil && n != 1 {
			err = fmt.Errorf("applied %d migrations, want 1", n)
		}
		migrated <- err
	}()
	waitUntil(t, "the migration waits for the transaction that began before it", func() bool { return locks("AccessExclusiveLock", false) })
	free()
	if err := <-began; err != nil {
		t.Fatalf("the transaction that began before the migration: %v", err)
	}
	// The new migration's own SQL runs: it holds schema_migrations, and
	// waits for the gate.
	waitUntil(t, "the migration runs", func() bool {
		var n int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'
			AND query LIKE $1`, fmt.Sprintf("%%pg_advisory_xact_lock(%d)%%", gate)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0 && locks("AccessExclusiveLock", true)
	})

	// A transaction the node begins while the migration runs.
	during := make(chan error, 1)
	go func() {
		during <- node.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, item("during")) })
	}()
	waitUntil(t, "the node's transaction waits for the migration", func() bool { return locks("AccessShareLock", false) })
	if _, err := watch.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err != nil {
		t.Fatalf("the newer release's migration: %v", err)
	}
	if err := <-during; !errors.Is(err, storage.ErrSchemaNewer) {
		t.Fatalf("the node's transaction begun during the migration = %v, want storage.ErrSchemaNewer", err)
	}
	if _, err := newer.GetItem(ctx, "user", "before"); err != nil {
		t.Errorf("the write committed before the migration: %v", err)
	}
	if _, err := newer.GetItem(ctx, "user", "during"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the write refused after the migration: %v, want storage.ErrNotFound", err)
	}
	want := fmt.Sprintf("it has migration %d, which this cognate (migrations up to %d) does not know", newest+1, newest)
	if err := node.newer.Err(); !errors.Is(err, storage.ErrSchemaNewer) || !strings.Contains(err.Error(), want) {
		t.Errorf("the node's latched error = %v, want storage.ErrSchemaNewer saying %q", err, want)
	}
	if err := newer.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, item("by-the-newer-release")) }); err != nil {
		t.Errorf("the newer release's write: %v", err)
	}
}
