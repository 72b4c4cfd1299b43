package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// compactLocalKind is a kind declared local after entries of it were
// logged, as auth_session and auth_event were by earlier versions.
const compactLocalKind = "postgrestest_compact_local"

func init() { storage.DeclareKind(compactLocalKind, storage.Local) }

// TestCompactChangesDropsLocalKinds writes change-log entries of a kind
// that is now local, as an earlier version wrote them, beside a replicated
// item's: compaction removes the local kind's entries once they are older
// than the retention, live record or not, and keeps the replicated item's
// newest state.
func TestCompactChangesDropsLocalKinds(t *testing.T) {
	storagetest.PostgresDSN(t)
	ctx := context.Background()
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	for i, e := range []struct{ entity, key string }{{compactLocalKind, "marker"}, {"user", "u0"}, {compactLocalKind, "counter"}} {
		if _, err := db.pool.Exec(ctx, `INSERT INTO change_log (region, hlc, kind, entity, "key", state) VALUES ($1, $2, $3, $4, $5, NULL)`, storagetest.Region, storage.HLCAt(time.Unix(1_000_000_000, int64(i))), "create", e.entity, e.key); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateItem(ctx, &storage.Item{Kind: "user", ID: "u1", Pool: "p", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CompactChanges(ctx, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	changes, err := db.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, string(c.Entity)+" "+c.Key)
	}
	if diff := cmp.Diff([]string{"user u0", "user u1"}, got); diff != "" {
		t.Errorf("change log after compaction (-want +got):\n%s", diff)
	}
}
