package sqlite

import (
	"bytes"
	"slices"
	"sync"

	"github.com/cognate-dev/cognate/internal/storage"
)

// maxCachedRecords bounds each map of readCache; when one is full it starts
// over.
const maxCachedRecords = 4096

// readCache keeps the user-pool records that GetUserPool read and the items
// of the kinds declared cacheable (storage.DeclareCached: app clients) that
// GetItem read, so that a request that only reads its pool's or its app
// client's configuration (nearly every request names a pool, and every
// sign-in a client) costs no statement. It is correct because this process
// is the only writer of the file (Open holds an exclusive lock on it, and
// the bulk loader and migrations run on a stopped server's store), and
// every write of user_pools or of an item of a cacheable kind goes through a
// txn, which invalidates the cache when it has ended (committed or rolled
// back), before its Tx returns:
//
//   - A read that missed the cache stores what it read only if no
//     invalidation happened since it looked: a read that may have seen the
//     database before a write committed never stores after that write's
//     invalidation.
//   - A record stored before the invalidation (even one read before the
//     COMMIT) is dropped by it.
//   - So once a write's Tx has returned, no read sees the record it
//     replaced: the same guarantee a read of the database gives. A read
//     concurrent with the COMMIT may see either, as it may in the database.
//
// Reads inside a transaction (Tx, Read) never use it: they see their own
// snapshot. Records are copied in and out, so callers may modify what they
// get. Configuration changes are rare, so a write drops everything cached.
// The zero value is ready to use.
type readCache struct {
	// mu guards the fields below.
	mu sync.Mutex
	// gen counts invalidations; a read stores what it read only if gen has
	// not moved since it began.
	gen   uint64
	pools map[string]*storage.UserPool
	items map[itemKey]*storage.Item
}

type itemKey struct{ kind, id string }

// pool returns a copy of the cached record of pool id, or else false and
// the generation a read of the database must store its result under.
func (c *readCache) pool(id string) (*storage.UserPool, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.pools[id]; p != nil {
		return copyPool(p), c.gen, true
	}
	return nil, c.gen, false
}

// putPool stores a copy of p, read from the database after pool returned
// gen, unless a write invalidated the cache since.
func (c *readCache) putPool(p *storage.UserPool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.pools == nil || len(c.pools) >= maxCachedRecords {
		c.pools = map[string]*storage.UserPool{}
	}
	c.pools[p.ID] = copyPool(p)
}

// item is pool for items.
func (c *readCache) item(kind, id string) (*storage.Item, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it := c.items[itemKey{kind, id}]; it != nil {
		return copyItem(it), c.gen, true
	}
	return nil, c.gen, false
}

// putItem is putPool for items.
func (c *readCache) putItem(it *storage.Item, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.items == nil || len(c.items) >= maxCachedRecords {
		c.items = map[itemKey]*storage.Item{}
	}
	c.items[itemKey{it.Kind, it.ID}] = copyItem(it)
}

// invalidate drops every cached record and moves the generation on.
func (c *readCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.pools, c.items = nil, nil
}

func copyPool(p *storage.UserPool) *storage.UserPool {
	cp := *p
	cp.Config = bytes.Clone(p.Config)
	return &cp
}

func copyItem(it *storage.Item) *storage.Item {
	cp := *it
	cp.Data = bytes.Clone(it.Data)
	cp.Keys = slices.Clone(it.Keys)
	cp.Index = slices.Clone(it.Index)
	return &cp
}
