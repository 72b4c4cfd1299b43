package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

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
// node without a read cache notices the newer schema at its CheckSchema; a
// node with one hears the newer node's migration on the read caches'
// channel and stops writing by itself, at once.
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
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				err := node.Tx(context.Background(), func(storage.Tx) error { return nil })
				if errors.Is(err, storage.ErrSchemaNewer) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the node did not hear the migration: a write transaction still answers %v", err)
				}
			}
		})
	})
}
