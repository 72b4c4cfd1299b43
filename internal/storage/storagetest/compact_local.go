package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// CompactChangesDropsLocalKinds writes change-log entries of kind, a kind
// the backend's test declared local (storage.DeclareKind) after entries of
// it were logged, as auth_session and auth_event were by earlier
// versions, beside a replicated item's: compaction removes the local
// kind's entries once they are older than the retention, live record or
// not, and keeps the replicated item's newest state. logEntry writes one
// "create" entry of Region with the given HLC, entity and key straight
// into the backend's change_log table, as an earlier version wrote it.
func CompactChangesDropsLocalKinds(t *testing.T, s storage.Store, kind string, logEntry func(ctx context.Context, hlc int64, entity, key string) error) {
	t.Helper()
	ctx := context.Background()
	for i, e := range []struct{ entity, key string }{{kind, "marker"}, {"user", "u0"}, {kind, "counter"}} {
		if err := logEntry(ctx, storage.HLCAt(time.Unix(1_000_000_000, int64(i))), e.entity, e.key); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := s.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateItem(ctx, &storage.Item{Kind: "user", ID: "u1", Pool: "p", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompactChanges(ctx, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	changes, err := s.Changes(ctx, 0, 100)
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
