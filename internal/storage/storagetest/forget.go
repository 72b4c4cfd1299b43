package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage"
)

// testForgetPool removes a pool with ReplicaTx.ForgetPool: its row, its
// items but those of the kept kind, and their change-log entries go, no
// entry is logged, and the other pool is untouched.
func testForgetPool(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustCreate(t, s, newPool(poolA, Region, "forgotten"))
	mustCreate(t, s, newPool(poolB, Region, "kept"))
	// A purge entry keyed by the pool.
	mustCreateItem(t, s, newItem(kindUser, poolA+"/purged", poolA, nil, nil))
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeleteItems(ctx, kindUser, poolA)
		return err
	})
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, it := range []*storage.Item{
			newItem(kindUser, poolA+"/u1", poolA, []string{poolA + "/key/u1"}, []string{poolA + "/idx"}),
			newItem(kindUser, poolA+"/u2", poolA, nil, nil),
			newItem(kindClient, poolA+"/keep", poolA, nil, nil),
			newItem(kindLocal, poolA+"/l", poolA, []string{poolA + "/key/l"}, nil),
			newItem(kindUser, poolB+"/u1", poolB, nil, nil),
		} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	before := allChanges(t, s)
	var removed int64
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		rtx, ok := tx.(storage.ReplicaTx)
		if !ok {
			t.Fatalf("the store's Tx is not a storage.ReplicaTx")
		}
		var err error
		removed, err = rtx.ForgetPool(ctx, poolA, kindClient)
		return err
	})
	if removed != 3 {
		t.Errorf("ForgetPool removed %d items, want 3 (two users and the local item)", removed)
	}
	if _, err := s.GetUserPool(ctx, poolA); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserPool(forgotten) = %v, want ErrNotFound", err)
	}
	for _, id := range []string{poolA + "/u1", poolA + "/u2"} {
		if _, err := s.GetItem(ctx, kindUser, id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetItem(%s) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.GetItemByKey(ctx, kindLocal, poolA+"/key/l"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItemByKey(local key) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetItem(ctx, kindClient, poolA+"/keep"); err != nil {
		t.Errorf("GetItem(kept kind) = %v, want the item", err)
	}
	mustGet(t, s, poolB)
	if _, err := s.GetItem(ctx, kindUser, poolB+"/u1"); err != nil {
		t.Errorf("GetItem(other pool's item) = %v", err)
	}
	after := allChanges(t, s)
	if len(after) > 0 && len(before) > 0 && after[len(after)-1].Seq > before[len(before)-1].Seq {
		t.Errorf("ForgetPool logged an entry: %+v", after[len(after)-1])
	}
	for _, c := range after {
		switch {
		case c.Entity == storage.EntityUserPool && c.Key == poolA,
			c.Entity == kindUser && (c.Key == poolA+"/u1" || c.Key == poolA+"/u2" || c.Key == poolA):
			t.Errorf("an entry of the forgotten pool is left: %+v", c)
		}
	}
	var kept, other bool
	for _, c := range after {
		kept = kept || (c.Entity == kindClient && c.Key == poolA+"/keep")
		other = other || (c.Entity == storage.EntityUserPool && c.Key == poolB)
	}
	if !kept || !other {
		t.Errorf("entries of the kept kind (%v) or of the other pool (%v) are gone", kept, other)
	}
}
