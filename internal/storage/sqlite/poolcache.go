package sqlite

import (
	"bytes"
	"sync"

	"github.com/cognate-dev/cognate/internal/storage"
)

// maxCachedPools bounds poolCache; when it is full the cache starts over.
const maxCachedPools = 4096

// poolCache keeps the user-pool records that GetUserPool read, so that a
// request that only reads its pool's configuration (nearly every request
// names a pool) costs no statement. It is correct because this process is
// the only writer of the file (Open holds an exclusive lock on it, and the
// bulk loader and migrations run on a stopped server's store), and every
// write of user_pools goes through a txn, which invalidates the cache when
// it has ended (committed or rolled back), before its Tx returns:
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
// get. The zero value is ready to use.
type poolCache struct {
	// mu guards gen and byID.
	mu sync.Mutex
	// gen counts invalidations; a read stores what it read only if gen has
	// not moved since it began.
	gen  uint64
	byID map[string]*storage.UserPool
}

// get returns a copy of the cached record of pool id, or else false and the
// generation a read of the database must store its result under.
func (c *poolCache) get(id string) (*storage.UserPool, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.byID[id]; p != nil {
		return copyPool(p), c.gen, true
	}
	return nil, c.gen, false
}

// put stores a copy of p, read from the database after get returned gen,
// unless a write invalidated the cache since.
func (c *poolCache) put(p *storage.UserPool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byID == nil || len(c.byID) >= maxCachedPools {
		c.byID = map[string]*storage.UserPool{}
	}
	c.byID[p.ID] = copyPool(p)
}

// invalidate drops every cached record and moves the generation on. Pool
// writes are rare (configuration changes), so dropping them all keeps this
// simple.
func (c *poolCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byID = nil
}

func copyPool(p *storage.UserPool) *storage.UserPool {
	cp := *p
	cp.Config = bytes.Clone(p.Config)
	return &cp
}
