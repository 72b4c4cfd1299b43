package sqlite

import (
	"context"
	"testing"
	"time"

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
			var n int
			err := db.r.QueryRowContext(context.Background(),
				`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n == 1
		},
		Reopen: func(ctx context.Context, path string, clock func() time.Time) (*DB, error) {
			return Open(ctx, path, Options{Region: storagetest.Region, Clock: clock})
		},
		NextHLC: func(db *DB) int64 { return db.hlc.Now() },
		Exec: func(db *DB, ctx context.Context, query string) error {
			_, err := db.w.ExecContext(ctx, query)
			return err
		},
		CountRows: func(db *DB, ctx context.Context, table string) (int, error) {
			var n int
			err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
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

// TestSchemaNewerWhileServing runs storagetest.SchemaNewerWhileServing on
// the node's own handle: a server holds the file's lock, so no second
// handle opens the file while it runs.
func TestSchemaNewerWhileServing(t *testing.T) {
	storagetest.SchemaNewerWhileServing(t, migrateBackend(), nil, nil)
}
