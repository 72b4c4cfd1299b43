package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

func cachePool(id string) *storage.UserPool {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &storage.UserPool{ID: id, Region: storagetest.Region, Name: id, Config: []byte(`{"n":0}`), CreatedAt: now, UpdatedAt: now}
}

// TestReadCachePools checks that GetUserPool, which the pool cache
// answers after a first read, sees every committed write of a pool, sees
// none that rolled back, and hands out copies.
func TestReadCachePools(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	ctx := context.Background()
	p := cachePool("us-east-1_cache1")
	if err := db.CreateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	get := func() *storage.UserPool {
		t.Helper()
		got, err := db.GetUserPool(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := get(); got.Version != 1 || string(got.Config) != `{"n":0}` {
		t.Fatalf("first read: version %d, config %s", got.Version, got.Config)
	}
	// A copy: changing it changes neither the cache nor the store.
	got := get()
	got.Name, got.Config[2] = "changed", 'X'
	if again := get(); again.Name != p.ID || string(again.Config) != `{"n":0}` {
		t.Errorf("a caller's change reached the cache: %q %s", again.Name, again.Config)
	}

	// A committed update, in a transaction and alone.
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		p.Config = []byte(`{"n":1}`)
		return tx.UpdateUserPool(ctx, p)
	}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Version != 2 || string(got.Config) != `{"n":1}` {
		t.Errorf("after an update in Tx: version %d, config %s", got.Version, got.Config)
	}
	p.Config = []byte(`{"n":2}`)
	if err := db.UpdateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Version != 3 || string(got.Config) != `{"n":2}` {
		t.Errorf("after UpdateUserPool: version %d, config %s", got.Version, got.Config)
	}

	// An update that rolls back leaves the committed record.
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx storage.Tx) error {
		q := *p
		q.Config = []byte(`{"n":99}`)
		if err := tx.UpdateUserPool(ctx, &q); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("rolled back update: %v", err)
	}
	if got := get(); got.Version != 3 || string(got.Config) != `{"n":2}` {
		t.Errorf("after a rolled back update: version %d, config %s", got.Version, got.Config)
	}

	// A deleted pool is gone at once.
	if err := db.DeleteUserPool(ctx, p.ID, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetUserPool(ctx, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DeleteUserPool: %v, want ErrNotFound", err)
	}
	// And one created again with the same ID is read anew.
	p2 := cachePool(p.ID)
	p2.Config = []byte(`{"n":"new"}`)
	if err := db.CreateUserPool(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Version != 1 || string(got.Config) != `{"n":"new"}` {
		t.Errorf("after re-creating: version %d, config %s", got.Version, got.Config)
	}
}

// TestReadCacheConcurrentReaders checks, with readers filling the cache as
// fast as they can, that once an update's transaction has returned no read
// that starts after it returns an older version.
func TestReadCacheConcurrentReaders(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region, Synchronous: "OFF"}, true)
	ctx := context.Background()
	p := cachePool("us-east-1_cache2")
	p.Config = []byte(`{"n":1}`)
	if err := db.CreateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	var committed atomic.Int64
	committed.Store(1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := committed.Load()
				got, err := db.GetUserPool(ctx, p.ID)
				if err != nil {
					errs <- err
					return
				}
				if got.Version < floor || string(got.Config) != fmt.Sprintf(`{"n":%d}`, got.Version) {
					errs <- fmt.Errorf("read version %d (config %s) after version %d was committed", got.Version, got.Config, floor)
					return
				}
			}
		})
	}
	for v := int64(2); v <= 200; v++ {
		p.Config = []byte(fmt.Sprintf(`{"n":%d}`, v))
		if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.UpdateUserPool(ctx, p) }); err != nil {
			t.Fatal(err)
		}
		committed.Store(v)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// cachedKind is an item kind declared cacheable for these tests, and
// uncachedKind one that is not.
var (
	cachedKind   = storage.DeclareCached(storage.DeclareKind("test_cached", storage.Replicated))
	uncachedKind = storage.DeclareKind("test_uncached", storage.Replicated)
)

// TestReadCacheItems checks that GetItem of a cacheable kind, which the
// cache answers after a first read, sees every committed create, update and
// delete of such an item, one by one and by pool, sees none that rolled
// back, and hands out copies; and that a kind not declared cacheable is
// read from the database each time.
func TestReadCacheItems(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	it := &storage.Item{Kind: cachedKind, ID: "c1", Pool: "us-east-1_p", Data: []byte(`{"n":1}`),
		Keys: []string{"k1"}, Index: []string{"i1"}, CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	get := func() *storage.Item {
		t.Helper()
		got, err := db.GetItem(ctx, cachedKind, "c1")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := get(); got.Version != 1 || string(got.Data) != `{"n":1}` {
		t.Fatalf("first read: %+v", got)
	}
	got := get()
	got.Data[2], got.Keys[0], got.Index[0] = 'X', "changed", "changed"
	if again := get(); string(again.Data) != `{"n":1}` || again.Keys[0] != "k1" || again.Index[0] != "i1" {
		t.Errorf("a caller's change reached the cache: %+v", again)
	}

	it.Data = []byte(`{"n":2}`)
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.UpdateItem(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Version != 2 || string(got.Data) != `{"n":2}` {
		t.Errorf("after an update: %+v", got)
	}
	boom := errors.New("boom")
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		q := *it
		q.Data = []byte(`{"n":99}`)
		if err := tx.UpdateItem(ctx, &q); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rolled back update: %v", err)
	}
	if got := get(); got.Version != 2 || string(got.Data) != `{"n":2}` {
		t.Errorf("after a rolled back update: %+v", got)
	}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.DeleteItem(ctx, cachedKind, "c1", 2) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, cachedKind, "c1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DeleteItem: %v, want ErrNotFound", err)
	}

	// Deleting a pool's items of the kind drops them too.
	it = &storage.Item{Kind: cachedKind, ID: "c2", Pool: "us-east-1_p", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, cachedKind, "c2"); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		_, err := tx.DeleteItems(ctx, cachedKind, "us-east-1_p")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, cachedKind, "c2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DeleteItems: %v, want ErrNotFound", err)
	}

	// Deleting every item of a pool, whatever the kind, drops them too.
	it = &storage.Item{Kind: cachedKind, ID: "c3", Pool: "us-east-1_q", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, cachedKind, "c3"); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		_, err := tx.DeletePoolItems(ctx, "us-east-1_q")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, cachedKind, "c3"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DeletePoolItems: %v, want ErrNotFound", err)
	}

	// A kind not declared cacheable is never cached.
	u := &storage.Item{Kind: uncachedKind, ID: "u1", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, uncachedKind, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := db.cache.Item(uncachedKind, "u1"); ok {
		t.Error("an item of a kind not declared cacheable is in the cache")
	}
	if _, _, ok := db.cache.Item(cachedKind, "c2"); ok {
		t.Error("a deleted item is still in the cache")
	}
}

// keyedKind is an item kind declared cacheable by key for these tests.
var keyedKind = storage.DeclareCachedByKey(storage.DeclareKind("test_keyed", storage.Replicated))

// TestReadCacheByKey checks what the store contract (storagetest's
// KeyCached cases) cannot see: that GetItemByKey of a kind cacheable by
// key is answered from the cache after a first read, that a write of such
// a kind drops those items and keeps the cached configuration, and that a
// write of the configuration drops both.
func TestReadCacheByKey(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := cachePool("us-east-1_keyed")
	if err := db.CreateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	it := &storage.Item{Kind: keyedKind, ID: "u1", Pool: p.ID, Data: []byte(`{"n":1}`), Keys: []string{"name/u1"}, CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	read := func() {
		t.Helper()
		if _, err := db.GetUserPool(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetItemByKey(ctx, keyedKind, "name/u1"); err != nil {
			t.Fatal(err)
		}
	}
	cached := func() (pool, item bool) {
		_, _, pool = db.cache.Pool(p.ID)
		_, _, item = db.cache.ItemByKey(keyedKind, "name/u1")
		return pool, item
	}
	read()
	if pool, item := cached(); !pool || !item {
		t.Fatalf("after a read: pool cached %v, item cached %v; want both", pool, item)
	}
	// A write of another item of the kind drops the items cached by key,
	// not the pool.
	other := &storage.Item{Kind: keyedKind, ID: "u2", Pool: p.ID, Data: []byte(`{}`), Keys: []string{"name/u2"}, CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, other) }); err != nil {
		t.Fatal(err)
	}
	if pool, item := cached(); !pool || item {
		t.Errorf("after a write of the kind: pool cached %v, item cached %v; want the pool only", pool, item)
	}
	read()
	// A write of the pool drops both.
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.UpdateUserPool(ctx, p) }); err != nil {
		t.Fatal(err)
	}
	if pool, item := cached(); pool || item {
		t.Errorf("after a write of the pool: pool cached %v, item cached %v; want neither", pool, item)
	}
	// A read by key of a kind not cacheable by key is not cached, and
	// neither is one inside a transaction.
	u := &storage.Item{Kind: uncachedKind, ID: "x1", Data: []byte(`{}`), Keys: []string{"x/1"}, CreatedAt: now, UpdatedAt: now}
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItemByKey(ctx, uncachedKind, "x/1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := db.cache.ItemByKey(uncachedKind, "x/1"); ok {
		t.Error("an item of a kind not cacheable by key is in the cache")
	}
	if err := db.Tx(ctx, func(tx storage.Tx) error {
		_, err := tx.GetItemByKey(ctx, keyedKind, "name/u2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := db.cache.ItemByKey(keyedKind, "name/u2"); ok {
		t.Error("a read inside a transaction filled the cache")
	}
}
