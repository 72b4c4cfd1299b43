package storage

import "context"

// ReplicaTx is a Tx that can apply a change made in another region: the
// change-log entries it writes after ApplyAs carry that change's origin
// region and HLC instead of the store's own, so the store's log records
// which region made each state (and replication does not ship the change
// back), and later comparisons of that record see the origin's timestamp.
// A store whose Tx implements it can be a replica of other regions
// (internal/replication); Transactor.Tx hands the caller's fn a ReplicaTx
// then, and the caller asserts it.
type ReplicaTx interface {
	Tx
	// ApplyAs makes every change-log entry the transaction writes from now
	// on carry region and hlc, and advances the store's clock past hlc, so
	// that local changes made after it sort after it.
	ApplyAs(region string, hlc int64)
	// LastChange returns the newest change-log entry of the record
	// entity/key (a tombstone included), or ErrNotFound when the log holds
	// none: the record never existed here, or its entries were compacted
	// away, or the pool it belonged to was deleted.
	LastChange(ctx context.Context, entity Entity, key string) (*Change, error)
	// CreateUserPool stores p with Version 1, as Store.CreateUserPool does,
	// inside the transaction.
	CreateUserPool(ctx context.Context, p *UserPool) error
	// Tombstone erases every change-log entry of entity/key and logs a
	// delete entry for it, for a record deleted elsewhere that this store
	// does not hold: the tombstone keeps a delayed older state of it from
	// being applied.
	Tombstone(ctx context.Context, entity Entity, key string) error
	// ForgetPool removes the pool id from this store and leaves no trace of
	// it in the change log: the pool's row, its items of every kind but
	// keep (with their keys and index entries), every change-log entry of
	// those items and of the pool, and the entries keyed by the pool (its
	// purge entries). It logs nothing, so nothing of it replicates: it is
	// for a region that stops holding a pool the other regions keep
	// (DeleteUserPoolReplica), and may hold again later. A pool this store
	// does not hold is no error. It returns the number of items removed.
	ForgetPool(ctx context.Context, id, keep string) (int64, error)
}

// Newer reports whether the change at (hlc, region) comes after the one at
// (thanHLC, thanRegion) in the order every region applies changes in: by
// HLC, and by region name between equal HLCs. Equal pairs name the same
// change.
func Newer(hlc int64, region string, thanHLC int64, thanRegion string) bool {
	if hlc != thanHLC {
		return hlc > thanHLC
	}
	return region > thanRegion
}
