package storage

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Replication says whether the changes of an item kind leave the store that
// makes them. Every kind written through a Tx must be declared one or the
// other (DeclareKind): the backends refuse to write an undeclared kind, so
// that no kind skips the decision.
type Replication int

const (
	// Replicated kinds (users, clients, groups, signing keys, refresh-token
	// families, …) log every change in the change log, in the transaction
	// that makes it, for the audit trail and for the other regions.
	Replicated Replication = iota + 1
	// Local kinds (the use-once markers of sign-in steps, rate and lockout
	// counters, recorded authentication events) stay in the store of the
	// region that writes them: their changes never enter the change log,
	// and compaction removes any entry of theirs written before they were
	// declared local.
	Local
)

func (r Replication) String() string {
	switch r {
	case Replicated:
		return "replicated"
	case Local:
		return "local"
	}
	return fmt.Sprintf("Replication(%d)", int(r))
}

// ErrUndeclaredKind is what a write of an item kind that no package
// declared (DeclareKind) returns, wrapped.
var ErrUndeclaredKind = errors.New("item kind declared neither replicated nor local")

var (
	// kindsMu guards kinds.
	kindsMu sync.RWMutex
	kinds   = map[string]Replication{}
)

// DeclareKind declares the item kind as r, and returns kind. The package
// that stores a kind declares it once, before it writes any (from an init
// function); declaring a kind again the same way does nothing. It panics
// when kind is empty, r is neither Replicated nor Local, or kind was
// declared the other way: a wiring mistake.
func DeclareKind(kind string, r Replication) string {
	if kind == "" || (r != Replicated && r != Local) {
		panic(fmt.Sprintf("storage: declare kind %q as %v", kind, r))
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if was, ok := kinds[kind]; ok && was != r {
		panic(fmt.Sprintf("storage: kind %q declared %v, then %v", kind, was, r))
	}
	kinds[kind] = r
	return kind
}

// KindReplication returns how kind was declared, or an error wrapping
// ErrUndeclaredKind.
func KindReplication(kind string) (Replication, error) {
	kindsMu.RLock()
	r, ok := kinds[kind]
	kindsMu.RUnlock()
	if !ok {
		return 0, fmt.Errorf("item kind %q: %w", kind, ErrUndeclaredKind)
	}
	return r, nil
}

// LocalKinds returns the kinds declared Local, sorted.
func LocalKinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := []string{}
	for k, r := range kinds {
		if r == Local {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Purged reports whether deleting a pool's items of kind logs a purge entry
// (Tx.DeletePoolItems): for every kind not declared Local. A kind no
// package of this process declared counts as replicated: a purge entry
// reveals nothing and tells every region the items went.
func Purged(kind string) bool {
	r, err := KindReplication(kind)
	return err != nil || r != Local
}

var (
	// cachedMu guards cached.
	cachedMu sync.RWMutex
	cached   = map[string]bool{}
)

// DeclareCached declares that reads of the item kind outside a transaction
// (ItemReader.GetItem on the Store) may be answered from a cache by a store
// that learns of every write of it (ReadCache), and returns kind. A
// single-process store (SQLite) caches the items of kind it read (and the
// IDs it found none of), and drops
// them when it writes one, before that write's transaction returns, so that
// a read that starts after a write returned sees it, as a read of the
// database does. A store that other processes write (PostgreSQL) also drops
// them when another node's write of the kind commits and it hears of it,
// and reads the database while it cannot hear. Declare only kinds that are
// read far more often than written (app clients); the package that stores
// the kind declares it, from an init function.
func DeclareCached(kind string) string {
	if kind == "" {
		panic("storage: declare an empty kind cached")
	}
	cachedMu.Lock()
	defer cachedMu.Unlock()
	cached[kind] = true
	return kind
}

// KindCached reports whether kind was declared cacheable (DeclareCached).
func KindCached(kind string) bool {
	cachedMu.RLock()
	defer cachedMu.RUnlock()
	return cached[kind]
}

// cachedByKey holds the kinds declared with DeclareCachedByKey; cachedMu
// guards it too.
var cachedByKey = map[string]bool{}

// DeclareCachedByKey declares that reads of the item kind by key outside a
// transaction (ItemReader.GetItemByKey on the Store) may be answered from
// a cache by a store that learns of every write of it, which drops every
// item of such kinds it cached when it writes one of them, before that
// write's transaction returns (ReadCache.InvalidateKeyed), and returns
// kind. Unlike DeclareCached it does not drop the cached configuration, so
// it suits kinds written more often than pools and clients but read far
// more often still (users). A store that other processes write
// (PostgreSQL) also drops them when another node's write of such a kind
// commits and it hears of it, and keeps them by ID for GetItem too. The
// package that stores the kind declares it, from an init function.
func DeclareCachedByKey(kind string) string {
	if kind == "" {
		panic("storage: declare an empty kind cached by key")
	}
	cachedMu.Lock()
	defer cachedMu.Unlock()
	cachedByKey[kind] = true
	return kind
}

// KindCachedByKey reports whether kind was declared cacheable by key
// (DeclareCachedByKey).
func KindCachedByKey(kind string) bool {
	cachedMu.RLock()
	defer cachedMu.RUnlock()
	return cachedByKey[kind]
}

// ReplicatedKinds returns the kinds declared Replicated, sorted.
func ReplicatedKinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := []string{}
	for k, r := range kinds {
		if r == Replicated {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
