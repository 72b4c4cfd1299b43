package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// kindLocal is the local kind of the cases: its items stay out of the
// change log.
const kindLocal = "storagetest_local"

// The cases' kinds are declared as the engines declare theirs: client and
// user replicate, and kindLocal is local.
func init() {
	storage.DeclareKind(kindClient, storage.Replicated)
	storage.DeclareKind(kindUser, storage.Replicated)
	storage.DeclareKind(kindLocal, storage.Local)
}

// testLocalKindsStayOutOfChangeLog writes, deletes and purges items of a
// local kind in the transactions that write a replicated item: only the
// replicated item's changes are logged, and the local items are stored and
// read like any other.
func testLocalKindsStayOutOfChangeLog(t *testing.T, s storage.Store) {
	before := allChanges(t, s)
	local := newItem(kindLocal, "marker", poolA, []string{"marker-key"}, []string{"marker/1"})
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateItem(ctx, local); err != nil {
			return err
		}
		return tx.CreateItem(ctx, newItem(kindUser, "u1", poolA, nil, nil))
	})
	got, err := s.GetItem(context.Background(), kindLocal, "marker")
	if err != nil || got.Version != 1 || string(got.Data) != string(local.Data) {
		t.Fatalf("GetItem(local) = %+v, %v; want it stored at version 1", got, err)
	}
	if byKey, err := s.GetItemByKey(context.Background(), kindLocal, "marker-key"); err != nil || byKey.ID != "marker" {
		t.Fatalf("GetItemByKey(local) = %+v, %v", byKey, err)
	}
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		got.Data = []byte(`{"used":true}`)
		return tx.UpdateItem(ctx, got)
	})
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, id := range []string{"m2", "m3"} {
			if err := tx.CreateItem(ctx, newItem(kindLocal, id, poolA, nil, nil)); err != nil {
				return err
			}
		}
		return tx.DeleteItem(ctx, kindLocal, "marker", got.Version)
	})
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		n, err := tx.DeleteItems(ctx, kindLocal, poolA)
		if err == nil && n != 2 {
			t.Errorf("DeleteItems(local) deleted %d items, want 2", n)
		}
		return err
	})
	type entry struct {
		Kind   storage.ChangeKind
		Entity storage.Entity
		Key    string
	}
	var entries []entry
	for _, c := range changesAfter(t, s, before) {
		entries = append(entries, entry{c.Kind, c.Entity, c.Key})
	}
	want := []entry{{storage.ChangeCreate, kindUser, "u1"}}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("change log after writes of a local kind (-want +got):\n%s", diff)
	}
	if n, err := s.CountItems(context.Background(), kindLocal, poolA); err != nil || n != 0 {
		t.Errorf("CountItems(local) = %d, %v after the purge, want 0", n, err)
	}
}

// undeclaredKind is a kind no package declares.
const undeclaredKind = "storagetest_undeclared"

// testUndeclaredKindRefused checks that every item write of a kind
// declared neither replicated nor local is refused with ErrUndeclaredKind,
// having written nothing, and that the transaction stays usable.
func testUndeclaredKindRefused(t *testing.T, s storage.Store) {
	before := allChanges(t, s)
	writes := []struct {
		name string
		fn   func(ctx context.Context, tx storage.Tx) error
	}{
		{"CreateItem", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateItem(ctx, newItem(undeclaredKind, "x", poolA, []string{"k"}, []string{"i"}))
		}},
		{"UpdateItem", func(ctx context.Context, tx storage.Tx) error {
			it := newItem(undeclaredKind, "x", poolA, nil, nil)
			it.Version = 1
			return tx.UpdateItem(ctx, it)
		}},
		{"DeleteItem", func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, undeclaredKind, "x", 1) }},
		{"DeleteItems", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.DeleteItems(ctx, undeclaredKind, poolA)
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
				if err := w.fn(ctx, tx); !errors.Is(err, storage.ErrUndeclaredKind) {
					t.Errorf("%s of an undeclared kind = %v, want ErrUndeclaredKind", w.name, err)
				}
				// The transaction goes on.
				return tx.CreateItem(ctx, newItem(kindUser, "after-"+w.name, poolA, nil, nil))
			})
		})
	}
	if _, err := s.GetItem(context.Background(), undeclaredKind, "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItem(undeclared) = %v, want ErrNotFound: nothing written", err)
	}
	for _, c := range changesAfter(t, s, before) {
		if c.Entity == undeclaredKind {
			t.Errorf("change %+v logged for an undeclared kind", c)
		}
	}
	if got := len(changesAfter(t, s, before)); got != len(writes) {
		t.Errorf("%d changes logged, want %d (the user each transaction created after the refusal)", got, len(writes))
	}
}
