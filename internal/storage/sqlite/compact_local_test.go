package sqlite

import (
	"context"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// compactLocalKind is a kind declared local after entries of it were
// logged, as auth_session and auth_event were by earlier versions.
const compactLocalKind = "sqlitetest_compact_local"

func init() { storage.DeclareKind(compactLocalKind, storage.Local) }

// TestCompactChangesDropsLocalKinds runs
// storagetest.CompactChangesDropsLocalKinds: compaction drops the logged
// entries of a kind that is now local.
func TestCompactChangesDropsLocalKinds(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	storagetest.CompactChangesDropsLocalKinds(t, db, compactLocalKind, func(ctx context.Context, hlc int64, entity, key string) error {
		_, err := db.w.ExecContext(ctx, `INSERT INTO change_log (region, hlc, kind, entity, "key", state) VALUES (?, ?, ?, ?, ?, NULL)`, storagetest.Region, hlc, "create", entity, key)
		return err
	})
}
