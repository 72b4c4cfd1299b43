package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage"
)

// kindKeyed is a kind declared cacheable by key (storage.DeclareCachedByKey),
// as users are: a store may answer GetItemByKey of it from memory, and must
// then drop what it cached whenever such an item is written.
const kindKeyed = "storagetest_keyed"

// kindCachedCfg is a kind declared cacheable (storage.DeclareCached), as
// app clients and replica records are: a store may answer GetItem of it,
// a read that finds nothing included, from memory.
const kindCachedCfg = "storagetest_cached"

func init() {
	storage.DeclareKind(kindKeyed, storage.Replicated)
	storage.DeclareCachedByKey(kindKeyed)
	storage.DeclareKind(kindCachedCfg, storage.Replicated)
	storage.DeclareCached(kindCachedCfg)
}

// keyCacheCases are the cases of reads by key of a kind cacheable by key.
var keyCacheCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"KeyCachedReadsSeeWrites", testKeyCachedReadsSeeWrites},
	{"KeyCachedConcurrentReaders", testKeyCachedConcurrentReaders},
	{"CachedMissesSeeWrites", testCachedMissesSeeWrites},
}

// testCachedMissesSeeWrites reads, each twice (the second may come from a
// cache), an item of a cacheable kind that does not exist, then exists,
// then is gone again: a read that found nothing never hides a write that
// returned after it, and a rolled back write is never seen.
func testCachedMissesSeeWrites(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const id = "cached/1"
	get := func() (*storage.Item, error) {
		t.Helper()
		first, err1 := s.GetItem(ctx, kindCachedCfg, id)
		second, err2 := s.GetItem(ctx, kindCachedCfg, id)
		if (err1 == nil) != (err2 == nil) || (first != nil && second != nil && first.Version != second.Version) {
			t.Fatalf("two reads in a row differ: %+v, %v; %+v, %v", first, err1, second, err2)
		}
		return second, err2
	}
	wantMissing := func(when string) {
		t.Helper()
		if got, err := get(); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: GetItem = %+v, %v; want ErrNotFound", when, got, err)
		}
	}
	wantVersion := func(when string, version int64) {
		t.Helper()
		if got, err := get(); err != nil || got.Version != version {
			t.Fatalf("%s: GetItem = %+v, %v; want version %d", when, got, err, version)
		}
	}
	errRollback := errors.New("roll back")
	it := newItem(kindCachedCfg, id, poolA, nil, nil)

	wantMissing("before it is written")
	err := s.Tx(ctx, func(tx storage.Tx) error {
		if err := tx.CreateItem(ctx, it); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("a rolled back create: %v", err)
	}
	wantMissing("after a rolled back create")
	mustCreateItem(t, s, newItem(kindCachedCfg, id, poolA, nil, nil))
	wantVersion("after its create", 1)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindCachedCfg, id, 1) })
	wantMissing("after its deletion")
	mustCreateItem(t, s, newItem(kindCachedCfg, id, poolA, nil, nil))
	wantVersion("after it is created again", 1)
}

// testKeyCachedReadsSeeWrites reads items of a kind cacheable by key by
// their keys, each twice (the second may come from a cache), around every
// kind of write: an update, a change of keys, a rolled back update, a
// delete, a pool's items of the kind deleted, every item of a pool deleted.
// Each read after a write returned sees it; none sees a rolled back one;
// and a caller's change to what it read reaches nobody else.
func testKeyCachedReadsSeeWrites(t *testing.T, s storage.Store) {
	ctx := context.Background()
	get := func(key string) (*storage.Item, error) {
		t.Helper()
		first, err1 := s.GetItemByKey(ctx, kindKeyed, key)
		second, err2 := s.GetItemByKey(ctx, kindKeyed, key)
		if (err1 == nil) != (err2 == nil) || (first != nil && second != nil && (first.Version != second.Version || string(first.Data) != string(second.Data))) {
			t.Fatalf("two reads of key %q in a row differ: %+v, %v; %+v, %v", key, first, err1, second, err2)
		}
		return second, err2
	}
	wantData := func(key string, version int64, data string) {
		t.Helper()
		got, err := get(key)
		if err != nil || got.Version != version || string(got.Data) != data {
			t.Fatalf("GetItemByKey(%q) = %+v, %v; want version %d with %s", key, got, err, version, data)
		}
	}
	wantMissing := func(key string) {
		t.Helper()
		if got, err := get(key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("GetItemByKey(%q) = %+v, %v; want ErrNotFound", key, got, err)
		}
	}

	it := newItem(kindKeyed, "k1", poolA, []string{"name/alice", "email/alice@example.com"}, []string{"i/alice"})
	it.Data = []byte(`{"n":1}`)
	mustCreateItem(t, s, it)
	wantData("name/alice", 1, `{"n":1}`)
	wantData("email/alice@example.com", 1, `{"n":1}`)
	got, _ := get("name/alice")
	got.Data[2], got.Keys[0], got.Index[0] = 'X', "changed", "changed"
	again, _ := get("name/alice")
	if string(again.Data) != `{"n":1}` || again.Keys[0] == "changed" || again.Index[0] == "changed" {
		t.Errorf("a caller's change to what it read reached the next read: %+v", again)
	}

	// An update is seen through every key.
	it.Data = []byte(`{"n":2}`)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
	wantData("name/alice", 2, `{"n":2}`)
	wantData("email/alice@example.com", 2, `{"n":2}`)

	// A key taken away is free; a new one finds the item.
	it.Keys = []string{"name/alice", "email/alice@example.org"}
	it.Data = []byte(`{"n":3}`)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
	wantMissing("email/alice@example.com")
	wantData("email/alice@example.org", 3, `{"n":3}`)
	wantData("name/alice", 3, `{"n":3}`)

	// A rolled back update is never seen.
	boom := errors.New("boom")
	if err := s.Tx(ctx, func(tx storage.Tx) error {
		q := *it
		q.Data = []byte(`{"n":99}`)
		if err := tx.UpdateItem(ctx, &q); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rolled back update: %v", err)
	}
	wantData("name/alice", 3, `{"n":3}`)

	// A write of another item of the kind is seen, and this one is kept.
	other := newItem(kindKeyed, "k2", poolA, []string{"name/bob"}, nil)
	other.Data = []byte(`{"n":1}`)
	mustCreateItem(t, s, other)
	wantData("name/bob", 1, `{"n":1}`)
	wantData("name/alice", 3, `{"n":3}`)

	// A delete.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindKeyed, "k1", it.Version) })
	wantMissing("name/alice")
	wantMissing("email/alice@example.org")
	wantData("name/bob", 1, `{"n":1}`)

	// A pool's items of the kind deleted.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeleteItems(ctx, kindKeyed, poolA)
		return err
	})
	wantMissing("name/bob")

	// Every item of a pool deleted, whatever its kind.
	carol := newItem(kindKeyed, "k3", poolB, []string{"name/carol"}, nil)
	mustCreateItem(t, s, carol)
	wantData("name/carol", 1, string(carol.Data))
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeletePoolItems(ctx, poolB)
		return err
	})
	wantMissing("name/carol")

	// A key read missing, then created, is found.
	dave := newItem(kindKeyed, "k4", poolA, []string{"name/dave"}, nil)
	mustCreateItem(t, s, dave)
	wantData("name/dave", 1, string(dave.Data))
}

// testKeyCachedConcurrentReaders reads an item by key from several
// goroutines as fast as they can while it is updated: once an update's
// transaction has returned, no read that starts after it returns an older
// version.
func testKeyCachedConcurrentReaders(t *testing.T, s storage.Store) {
	ctx := context.Background()
	it := newItem(kindKeyed, "c1", poolA, []string{"name/conc"}, nil)
	it.Data = []byte(`{"n":1}`)
	mustCreateItem(t, s, it)
	var committed atomic.Int64
	committed.Store(1)
	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := committed.Load()
				got, err := s.GetItemByKey(ctx, kindKeyed, "name/conc")
				if err != nil {
					errs <- err
					return
				}
				if got.Version < floor || string(got.Data) != fmt.Sprintf(`{"n":%d}`, got.Version) {
					errs <- fmt.Errorf("read version %d (data %s) after version %d was committed", got.Version, got.Data, floor)
					return
				}
			}
		})
	}
	for v := int64(2); v <= 100; v++ {
		it.Data = fmt.Appendf(nil, `{"n":%d}`, v)
		inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
		committed.Store(v)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
