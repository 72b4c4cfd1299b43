package storage

import (
	"bytes"
	"slices"
	"sync"
)

// maxCachedRecords bounds each map of a ReadCache; when one is full it
// starts over.
const maxCachedRecords = 4096

// ReadCache keeps the user-pool records that a store's GetUserPool read and
// the items of the kinds declared cacheable (DeclareCached: app clients)
// that its GetItem read, so that a request that only reads its pool's or its
// app client's configuration (nearly every request names a pool, and every
// sign-in a client) costs no statement. A store uses it only where it learns
// of every write of those records: SQLite, whose one writer is its own
// process, drops it when each such transaction ends; PostgreSQL drops it
// when such a transaction ends and when another node's commit notifies it,
// and turns it off while it cannot hear those notifications. The rules that
// keep it as fresh as the database:
//
//   - A read that missed the cache stores what it read only if no
//     invalidation happened since it looked: a read that may have seen the
//     database before a write committed never stores after that write's
//     invalidation.
//   - A record stored before the invalidation (even one read before the
//     COMMIT) is dropped by it.
//   - So once a write's invalidation has happened, no read sees the record
//     it replaced: the same guarantee a read of the database gives. A read
//     concurrent with the COMMIT may see either, as it may in the database.
//   - While the cache is off (SetOn), nothing is looked up or stored.
//
// Reads inside a transaction never use it: they see their own snapshot.
// Records are copied in and out, so callers may modify what they get.
// Configuration changes are rare, so a write drops everything cached. The
// zero value is on and ready to use.
type ReadCache struct {
	// mu guards the fields below.
	mu sync.Mutex
	// gen counts invalidations; a read stores what it read only if gen has
	// not moved since it began.
	gen   uint64
	off   bool
	pools map[string]*UserPool
	items map[readCacheKey]*Item
}

type readCacheKey struct{ kind, id string }

// Pool returns a copy of the cached record of pool id, or else false and
// the generation a read of the database must store its result under.
func (c *ReadCache) Pool(id string) (*UserPool, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.pools[id]; p != nil {
		return copyPool(p), c.gen, true
	}
	return nil, c.gen, false
}

// PutPool stores a copy of p, read from the database after Pool returned
// gen, unless the cache was invalidated or turned off since.
func (c *ReadCache) PutPool(p *UserPool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.off {
		return
	}
	if c.pools == nil || len(c.pools) >= maxCachedRecords {
		c.pools = map[string]*UserPool{}
	}
	c.pools[p.ID] = copyPool(p)
}

// Item is Pool for items.
func (c *ReadCache) Item(kind, id string) (*Item, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it := c.items[readCacheKey{kind, id}]; it != nil {
		return copyItem(it), c.gen, true
	}
	return nil, c.gen, false
}

// PutItem is PutPool for items.
func (c *ReadCache) PutItem(it *Item, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.off {
		return
	}
	if c.items == nil || len(c.items) >= maxCachedRecords {
		c.items = map[readCacheKey]*Item{}
	}
	c.items[readCacheKey{it.Kind, it.ID}] = copyItem(it)
}

// Invalidate drops every cached record and moves the generation on.
func (c *ReadCache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateLocked()
}

func (c *ReadCache) invalidateLocked() {
	c.gen++
	c.pools, c.items = nil, nil
}

// SetOn turns the cache on or off; either way it drops what it held, so
// that nothing read before the change is served after it.
func (c *ReadCache) SetOn(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = !on
	c.invalidateLocked()
}

// On reports whether the cache is on.
func (c *ReadCache) On() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.off
}

func copyPool(p *UserPool) *UserPool {
	cp := *p
	cp.Config = bytes.Clone(p.Config)
	return &cp
}

func copyItem(it *Item) *Item {
	cp := *it
	cp.Data = bytes.Clone(it.Data)
	cp.Keys = slices.Clone(it.Keys)
	cp.Index = slices.Clone(it.Index)
	return &cp
}
