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
// the items of the kinds declared cacheable (DeclareCached: app clients,
// replica records) that its GetItem read, or found missing (Absent), so that a request that only reads its pool's or its
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
//
// Apart from the configuration, it keeps the items of the kinds declared
// cacheable by key (DeclareCachedByKey: users) that a store's GetItemByKey
// read, under their own generation, by kind and key, and at most
// maxKeyedBytes of them (an arbitrary one goes to make room): a write of
// such a kind drops them all (InvalidateKeyed) and leaves the
// configuration cached, and every invalidation of the configuration drops
// them too. The same rules keep them fresh.
type ReadCache struct {
	// mu guards the fields below.
	mu sync.Mutex
	// gen counts invalidations; a read stores what it read only if gen has
	// not moved since it began.
	gen   uint64
	off   bool
	pools map[string]*UserPool
	items map[readCacheKey]*Item
	// absent holds the items of cacheable kinds a read found missing.
	absent map[readCacheKey]bool
	// keyedGen counts the invalidations of keyed (every invalidation
	// moves it); keyedBytes is the size of what keyed holds.
	keyedGen   uint64
	keyed      map[readCacheKey]*Item
	keyedBytes int
}

// maxKeyedBytes bounds the items the keyed part of a ReadCache holds, by
// the size of their data, keys and index entries: about 7,000 users of a
// kilobyte with their index entries, so that a server of a large pool
// spends a few megabytes on them, not more.
const maxKeyedBytes = 8 << 20

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

// Absent reports whether a read of the database found no item of kind
// with id, and no write of the cached kinds has happened since. A read
// that missed stores its finding with PutAbsent, so that a record that
// does not exist (a pool without replica records) costs no statement
// either.
func (c *ReadCache) Absent(kind, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.absent[readCacheKey{kind, id}]
}

// PutAbsent records that a read of the database, after Item returned gen,
// found no item of kind with id, unless the cache was invalidated or
// turned off since.
func (c *ReadCache) PutAbsent(kind, id string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.off {
		return
	}
	if c.absent == nil || len(c.absent) >= maxCachedRecords {
		c.absent = map[readCacheKey]bool{}
	}
	c.absent[readCacheKey{kind, id}] = true
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
	c.pools, c.items, c.absent = nil, nil, nil
	c.invalidateKeyedLocked()
}

// ItemByKey returns a copy of the cached item of kind that holds key, or
// else false and the generation a read of the database must store its
// result under (PutItemByKey).
func (c *ReadCache) ItemByKey(kind, key string) (*Item, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it := c.keyed[readCacheKey{kind, key}]; it != nil {
		return copyItem(it), c.keyedGen, true
	}
	return nil, c.keyedGen, false
}

// PutItemByKey stores a copy of it, read from the database by key after
// ItemByKey returned gen, unless the cache was invalidated (either way) or
// turned off since.
func (c *ReadCache) PutItemByKey(key string, it *Item, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.keyedGen || c.off {
		return
	}
	size := itemSize(it)
	if size > maxKeyedBytes {
		return
	}
	if c.keyed == nil {
		c.keyed = map[readCacheKey]*Item{}
	}
	k := readCacheKey{it.Kind, key}
	if old := c.keyed[k]; old != nil {
		c.keyedBytes -= itemSize(old)
		delete(c.keyed, k)
	}
	// Make room by dropping arbitrary items (map order): with reads spread
	// over more items than fit, about the share that fits is found.
	for old, v := range c.keyed {
		if c.keyedBytes+size <= maxKeyedBytes {
			break
		}
		c.keyedBytes -= itemSize(v)
		delete(c.keyed, old)
	}
	c.keyed[k] = copyItem(it)
	c.keyedBytes += size
}

// InvalidateKeyed drops the items cached by key and moves their generation
// on; the configuration stays cached.
func (c *ReadCache) InvalidateKeyed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateKeyedLocked()
}

func (c *ReadCache) invalidateKeyedLocked() {
	c.keyedGen++
	c.keyed, c.keyedBytes = nil, 0
}

// itemSize is about what a copy of it holds.
func itemSize(it *Item) int {
	n := len(it.Kind) + len(it.ID) + len(it.Pool) + len(it.Data) + 128
	for _, k := range it.Keys {
		n += len(k) + 16
	}
	for _, k := range it.Index {
		n += len(k) + 16
	}
	return n
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
