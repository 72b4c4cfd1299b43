package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestMigrateExistingStore runs storagetest.MigrateExistingStore: a store
// of an earlier version keeps its change log through Migrate, and its HLC
// resumes after the newest entry.
func TestMigrateExistingStore(t *testing.T) {
	storagetest.MigrateExistingStore(t, storagetest.MigrateBackend[*DB]{
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
	})
}
