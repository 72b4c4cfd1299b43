package storagetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// actorEntry is what the actor case compares of a change-log entry.
type actorEntry struct {
	Kind   storage.ChangeKind
	Entity storage.Entity
	Key    string
	Pool   string
	Actor  *storage.Actor
}

func actorEntries(changes []storage.Change) []actorEntry {
	var out []actorEntry
	for _, c := range changes {
		out = append(out, actorEntry{c.Kind, c.Entity, c.Key, c.Pool, c.Actor})
	}
	return out
}

// testChangeLogActor checks that every change-log entry carries the pool
// of its record and the actor of the context its transaction began with
// (storage.WithActor), written with the entry, whichever write made it: a
// pool's own, an item's create, update and delete, a purge, and the
// store's own single-record methods; that an entry written without an
// actor has none; and that PoolChanges lists one pool's entries newest
// first, a page at a time.
func testChangeLogActor(t *testing.T, s storage.Store) {
	op := storage.Actor{Kind: storage.ActorOperator, ID: "sub-of-ada", Name: "ada", Action: "AdminCreateUser"}
	key := storage.Actor{Kind: storage.ActorAccessKey, ID: "AKIDEXAMPLE", Action: "DeleteUserPool"}
	self := storage.Actor{Kind: storage.ActorUser, ID: "sub-of-bob <b>", Action: "UpdateUserAttributes"}
	as := func(a storage.Actor) context.Context { return storage.WithActor(context.Background(), a) }

	poolRec := newPool(poolA, Region, "pool A")
	if err := s.CreateUserPool(as(key), poolRec); err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	a := newItem(kindUser, poolA+"/ada", poolA, nil, nil)
	b := newItem(kindUser, poolB+"/bob", poolB, nil, nil)
	c := newItem(kindClient, "client-of-no-pool", "", nil, nil)
	if err := s.Tx(as(op), func(tx storage.Tx) error {
		ctx := context.Background() // the actor is the transaction's, not each call's
		for _, it := range []*storage.Item{a, b, c} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	a.Data = []byte(`{"updated": true}`)
	if err := s.Tx(as(self), func(tx storage.Tx) error { return tx.UpdateItem(context.Background(), a) }); err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	// Background work carries no actor.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindClient, c.ID, 1) })
	if err := s.Tx(as(op), func(tx storage.Tx) error { return tx.DeleteItem(context.Background(), kindUser, b.ID, 1) }); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	poolRec.Name = "pool A renamed"
	if err := s.UpdateUserPool(as(op), poolRec); err != nil {
		t.Fatalf("UpdateUserPool: %v", err)
	}

	want := []actorEntry{
		{storage.ChangeCreate, storage.EntityUserPool, poolA, poolA, &key},
		{storage.ChangeCreate, storage.Entity(kindUser), a.ID, poolA, &op},
		{storage.ChangeCreate, storage.Entity(kindUser), b.ID, poolB, &op},
		{storage.ChangeCreate, storage.Entity(kindClient), c.ID, "", &op},
		{storage.ChangeUpdate, storage.Entity(kindUser), a.ID, poolA, &self},
	}
	// The deletes erased the earlier entries of b and c.
	want = []actorEntry{want[0], want[1], want[4],
		{storage.ChangeDelete, storage.Entity(kindClient), c.ID, "", nil},
		{storage.ChangeDelete, storage.Entity(kindUser), b.ID, poolB, &op},
		{storage.ChangeUpdate, storage.EntityUserPool, poolA, poolA, &op},
	}
	if diff := cmp.Diff(want, actorEntries(allChanges(t, s))); diff != "" {
		t.Fatalf("change log (-want +got):\n%s", diff)
	}

	// PoolChanges: pool A's entries, newest first, two at a time.
	ctx := context.Background()
	var got []storage.Change
	var before int64
	for range 5 {
		page, err := s.PoolChanges(ctx, poolA, before, 2)
		if err != nil {
			t.Fatalf("PoolChanges(%q, %d, 2): %v", poolA, before, err)
		}
		if len(page) > 2 {
			t.Fatalf("PoolChanges(%q, %d, 2) returned %d entries", poolA, before, len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		before = page[len(page)-1].Seq
	}
	wantA := []actorEntry{want[5], want[2], want[1], want[0]}
	if diff := cmp.Diff(wantA, actorEntries(got)); diff != "" {
		t.Errorf("PoolChanges(%q) (-want +got):\n%s", poolA, diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq >= got[i-1].Seq {
			t.Errorf("PoolChanges entry %d (seq %d) is not older than the one before (seq %d)", i, got[i].Seq, got[i-1].Seq)
		}
	}
	if len(got) > 0 && got[0].State == nil {
		t.Errorf("PoolChanges' newest entry has no state, want the pool's")
	}

	// A purge and a pool's deletion name their pool too.
	if err := s.Tx(as(key), func(tx storage.Tx) error {
		_, err := tx.DeleteItems(context.Background(), kindUser, poolA)
		return err
	}); err != nil {
		t.Fatalf("DeleteItems: %v", err)
	}
	if err := s.DeleteUserPool(as(key), poolA, poolRec.Version); err != nil {
		t.Fatalf("DeleteUserPool: %v", err)
	}
	page, err := s.PoolChanges(ctx, poolA, 0, 10)
	if err != nil {
		t.Fatalf("PoolChanges: %v", err)
	}
	wantDeleted := []actorEntry{
		{storage.ChangeDelete, storage.EntityUserPool, poolA, poolA, &key},
		{storage.ChangePurge, storage.Entity(kindUser), poolA, poolA, &key},
	}
	if diff := cmp.Diff(wantDeleted, actorEntries(page)); diff != "" {
		t.Errorf("PoolChanges after the deletes (-want +got):\n%s", diff)
	}
	if page, err := s.PoolChanges(ctx, poolB, 0, 10); err != nil || len(page) != 1 {
		t.Errorf("PoolChanges(%q) = %d entries, %v; want its one tombstone", poolB, len(page), err)
	}
	// DeletePoolItems erases the tombstones that name the pool, whatever
	// their key: what remains are its purges.
	x := newItem(kindClient, "client-x", poolB, nil, nil)
	mustCreateItem(t, s, x)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindClient, x.ID, 1) })
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateItem(ctx, newItem(kindUser, poolB+"/eve", poolB, nil, nil)); err != nil {
			return err
		}
		_, err := tx.DeletePoolItems(ctx, poolB)
		return err
	})
	page, err = s.PoolChanges(ctx, poolB, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantB := []actorEntry{{storage.ChangePurge, storage.Entity(kindUser), poolB, poolB, nil}}
	if diff := cmp.Diff(wantB, actorEntries(page)); diff != "" {
		t.Errorf("PoolChanges after DeletePoolItems (-want +got):\n%s", diff)
	}
	if _, err := s.PoolChanges(ctx, poolA, 0, 0); err == nil {
		t.Errorf("PoolChanges with limit 0 succeeded, want an error")
	}
}
