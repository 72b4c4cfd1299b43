package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// cachedKind is a kind the read cache keeps, as app clients are.
var cachedKind = storage.DeclareCached(storage.DeclareKind("test_pg_cached", storage.Replicated))

// waitUntil polls cond until it holds, failing the test after a minute:
// what it waits for is another connection's message, whose delivery time
// the test does not assert.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReadCacheNodes runs two nodes on one schema, each with its read
// cache, and checks that a node answers from its cache (a change made
// behind the store's back is not seen), that a write on one node drops the
// other node's cache through the commit's notification, that a rolled-back
// write drops nothing elsewhere, that a node hears writes made by a store
// without a cache, and that a node whose listening connection is cut drops
// its cache and reads the database until it listens again.
func TestReadCacheNodes(t *testing.T) {
	storagetest.PostgresDSN(t)
	ctx := context.Background()
	a, dsn := openTemp(t, Options{Region: storagetest.Region, ReadCache: true}, true)
	b, err := Open(ctx, dsn, Options{Region: storagetest.Region, ReadCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	plain, err := Open(ctx, dsn, Options{Region: storagetest.Region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	waitUntil(t, "both caches are on", func() bool { return a.cache.On() && b.cache.On() })
	if plain.cache.On() {
		t.Fatal("the cache of a store opened without ReadCache is on")
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	p := &storage.UserPool{ID: "us-east-1_nodes", Region: storagetest.Region, Name: "n0", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := a.CreateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	client := &storage.Item{Kind: cachedKind, ID: "client1", Pool: p.ID, Data: []byte(`{"n":0}`), CreatedAt: now, UpdatedAt: now}
	if err := a.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, client) }); err != nil {
		t.Fatal(err)
	}
	poolName := func(db *DB) string {
		t.Helper()
		got, err := db.GetUserPool(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Name
	}
	clientData := func(db *DB) string {
		t.Helper()
		got, err := db.GetItem(ctx, cachedKind, client.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return "gone"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(got.Data)
	}
	// Node b hears both writes (whose notifications drop its cache
	// whenever they arrive) before it reads.
	waitUntil(t, "node b hears node a's writes", func() bool { return b.heardWrites.Load() >= 2 })
	if poolName(b) != "n0" || clientData(b) != `{"n":0}` {
		t.Fatal("node b does not read what node a wrote")
	}

	// A change behind the store's back (no notification) is not seen: the
	// reads come from the cache.
	if _, err := a.pool.Exec(ctx, `UPDATE user_pools SET name = 'behind' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE items SET data = '{"n":"behind"}' WHERE kind = $1 AND id = $2`, cachedKind, client.ID); err != nil {
		t.Fatal(err)
	}
	if poolName(b) != "n0" || clientData(b) != `{"n":0}` {
		t.Fatal("node b did not answer from its cache")
	}

	// A rolled-back write leaves node b's cache as it was.
	errRollback := errors.New("roll back")
	if err := a.Tx(ctx, func(tx storage.Tx) error {
		q := *p
		q.Name = "rolled back"
		if err := tx.UpdateUserPool(ctx, &q); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	// Node a's own cache dropped at once (it is the writer), and it now
	// reads the database, the change made behind its back included.
	if got := poolName(a); got != "behind" {
		t.Fatalf("node a after its rollback: %q, want the database's", got)
	}
	if poolName(b) != "n0" {
		t.Error("a rolled-back write dropped node b's cache")
	}

	// A committed write on node a: node a sees it at once, node b once the
	// notification arrives.
	p.Name = "n1"
	p.Version = 1
	if err := a.UpdateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := poolName(a); got != "n1" {
		t.Fatalf("node a after its update: %q", got)
	}
	waitUntil(t, "node b sees the pool update", func() bool { return poolName(b) == "n1" })
	// The whole cache went: the client's change behind its back shows too.
	if got := clientData(b); got != `{"n":"behind"}` {
		t.Errorf("node b's client after a pool update: %s", got)
	}

	// A store without a cache notifies the nodes that have one.
	if err := plain.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, cachedKind, client.ID)
		if err != nil {
			return err
		}
		it.Data = []byte(`{"n":2}`)
		return tx.UpdateItem(ctx, it)
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both nodes see the client update", func() bool {
		return clientData(a) == `{"n":2}` && clientData(b) == `{"n":2}`
	})
	if err := plain.Tx(ctx, func(tx storage.Tx) error {
		_, err := tx.DeletePoolItems(ctx, p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both nodes see the client deleted", func() bool {
		return clientData(a) == "gone" && clientData(b) == "gone"
	})

	// Cutting node b's listening connection drops its cache: a change
	// behind its back made after the cut is seen, whether the cache is
	// off or on again on a new connection.
	if poolName(b) != "n1" {
		t.Fatal("node b lost the pool")
	}
	pid := b.listenPID.Load()
	if _, err := plain.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "node b notices", func() bool { return !b.cache.On() || b.listenPID.Load() != pid })
	if _, err := a.pool.Exec(ctx, `UPDATE user_pools SET name = 'after the cut' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if got := poolName(b); got != "after the cut" {
		t.Errorf("node b after losing its listener: %q, want the database's", got)
	}
	waitUntil(t, "node b listens again", func() bool { return b.cache.On() && b.listenPID.Load() != pid })
	p.Version, p.Name = 2, "n3"
	if err := a.UpdateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "node b hears writes again", func() bool { return poolName(b) == "n3" })
}

// keyedKind is a kind the read cache keeps by key, as users are.
var keyedKind = storage.DeclareCachedByKey(storage.DeclareKind("test_pg_keyed", storage.Replicated))

// TestReadCacheNodesKeyed runs two nodes on one schema and checks the items
// cached by key: a node answers reads by key, and by ID, from its cache, a write of
// such an item on one node (or by a store without a cache) drops them on
// the other through the commit's notification while that node's cached
// pools stay, the writer sees its write at once, and a rolled-back write
// drops nothing elsewhere.
func TestReadCacheNodesKeyed(t *testing.T) {
	storagetest.PostgresDSN(t)
	ctx := context.Background()
	a, dsn := openTemp(t, Options{Region: storagetest.Region, ReadCache: true}, true)
	b, err := Open(ctx, dsn, Options{Region: storagetest.Region, ReadCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	plain, err := Open(ctx, dsn, Options{Region: storagetest.Region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	waitUntil(t, "both caches are on", func() bool { return a.ReadCacheOn() && b.ReadCacheOn() })

	now := time.Now().UTC().Truncate(time.Microsecond)
	p := &storage.UserPool{ID: "us-east-1_keyed", Region: storagetest.Region, Name: "n0", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := a.CreateUserPool(ctx, p); err != nil {
		t.Fatal(err)
	}
	user := &storage.Item{Kind: keyedKind, ID: "user1", Pool: p.ID, Keys: []string{"name#one"}, Data: []byte(`{"n":0}`), CreatedAt: now, UpdatedAt: now}
	if err := a.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, user) }); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "node b hears node a's writes", func() bool { return b.heardWrites.Load() >= 2 })
	poolName := func(db *DB) string {
		t.Helper()
		got, err := db.GetUserPool(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Name
	}
	userData := func(db *DB) string {
		t.Helper()
		got, err := db.GetItemByKey(ctx, keyedKind, "name#one")
		if errors.Is(err, storage.ErrNotFound) {
			return "gone"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(got.Data)
	}
	userByID := func(db *DB) string {
		t.Helper()
		got, err := db.GetItem(ctx, keyedKind, user.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return "gone"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(got.Data)
	}
	if poolName(b) != "n0" || userData(b) != `{"n":0}` || userByID(b) != `{"n":0}` {
		t.Fatal("node b does not read what node a wrote")
	}

	// Changes behind the store's back are not seen: both come from the cache.
	if _, err := a.pool.Exec(ctx, `UPDATE user_pools SET name = 'behind' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE items SET data = '{"n":"behind"}' WHERE kind = $1 AND id = $2`, keyedKind, user.ID); err != nil {
		t.Fatal(err)
	}
	if poolName(b) != "n0" || userData(b) != `{"n":0}` || userByID(b) != `{"n":0}` {
		t.Fatal("node b did not answer from its cache")
	}

	// A rolled-back write of the user on node a drops node a's own items
	// cached by key (it reads the database again) and nothing on node b.
	errRollback := errors.New("roll back")
	if err := a.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItemByKey(ctx, keyedKind, "name#one")
		if err != nil {
			return err
		}
		it.Data = []byte(`{"n":"rolled back"}`)
		if err := tx.UpdateItem(ctx, it); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if got := userData(a); got != `{"n":"behind"}` {
		t.Fatalf("node a after its rollback: %s, want the database's", got)
	}
	if userData(b) != `{"n":0}` {
		t.Error("a rolled-back write dropped node b's items cached by key")
	}

	// A committed write of the user on node a: node a sees it at once,
	// node b once the notification arrives, and node b's cached pool
	// stays (the change behind its back still does not show).
	if err := a.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItemByKey(ctx, keyedKind, "name#one")
		if err != nil {
			return err
		}
		it.Data = []byte(`{"n":1}`)
		return tx.UpdateItem(ctx, it)
	}); err != nil {
		t.Fatal(err)
	}
	if got := userData(a); got != `{"n":1}` {
		t.Fatalf("node a after its update: %s", got)
	}
	if got := userByID(a); got != `{"n":1}` {
		t.Fatalf("node a after its update, by ID: %s", got)
	}
	waitUntil(t, "node b sees the user update", func() bool { return userData(b) == `{"n":1}` && userByID(b) == `{"n":1}` })
	if got := poolName(b); got != "n0" {
		t.Errorf("node b's pool after a user's write: %q, want the cached one", got)
	}

	// A store without a cache notifies the nodes that have one: a key
	// moved to another user, and the user deleted.
	if err := plain.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItemByKey(ctx, keyedKind, "name#one")
		if err != nil {
			return err
		}
		it.Keys = []string{"name#two"}
		return tx.UpdateItem(ctx, it)
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both nodes see the key move", func() bool { return userData(a) == "gone" && userData(b) == "gone" })
	if err := plain.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItemByKey(ctx, keyedKind, "name#two")
		if err != nil {
			return err
		}
		return tx.DeleteItem(ctx, keyedKind, it.ID, it.Version)
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both nodes see the user deleted", func() bool {
		for _, db := range []*DB{a, b} {
			if _, err := db.GetItemByKey(ctx, keyedKind, "name#two"); !errors.Is(err, storage.ErrNotFound) {
				return false
			}
			if userByID(db) != "gone" {
				return false
			}
		}
		return true
	})
}
