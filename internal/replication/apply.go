package replication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// outcome is what applying one entry did.
type outcome int

const (
	outcomeApplied outcome = iota + 1
	outcomeSkipped
	outcomeMerged
)

// errKeyConflict is what Apply returns, wrapped, for an item another local
// item holds a unique key of.
var errKeyConflict = errors.New("another item holds a unique key of the item")

// errNotReplica is what Apply returns when the store cannot apply changes.
var errNotReplica = errors.New("replication: the store's transactions cannot apply other regions' changes (storage.ReplicaTx)")

// Apply applies the change c, made in another region, to the local store in
// one transaction, by the rules of the package documentation.
func (n *Node) Apply(ctx context.Context, c storage.Change) (outcome, error) {
	var out outcome
	err := n.o.Store.Tx(ctx, func(tx storage.Tx) error {
		rtx, ok := tx.(storage.ReplicaTx)
		if !ok {
			return errNotReplica
		}
		var err error
		out, err = n.applyIn(ctx, rtx, c)
		return err
	})
	return out, err
}

func (n *Node) applyIn(ctx context.Context, tx storage.ReplicaTx, c storage.Change) (outcome, error) {
	last, err := tx.LastChange(ctx, c.Entity, c.Key)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	if last != nil && last.Kind == storage.ChangeDelete && c.State != nil {
		// A deletion is final for the record it deleted: no state of
		// it, however late its HLC (made where the deletion was not seen
		// yet), brings it back; only the same ID made anew after the
		// deletion does.
		created, err := createdAt(c.Entity, c.State)
		if err != nil {
			return 0, err
		}
		if !created.After(storage.HLCTime(last.HLC)) {
			return outcomeSkipped, nil
		}
	}
	if c.Kind == storage.ChangeDelete && last != nil && last.Kind != storage.ChangeDelete && last.State != nil &&
		!storage.Newer(c.HLC, c.Region, last.HLC, last.Region) {
		// A deletion older than the local state still deletes the record
		// it deleted: that state was made without seeing the deletion.
		// A record made anew after the deletion stays.
		created, err := createdAt(c.Entity, last.State)
		if err != nil {
			return 0, err
		}
		if created.After(storage.HLCTime(c.HLC)) {
			return outcomeSkipped, nil
		}
		last = nil
	}
	if last != nil && !storage.Newer(c.HLC, c.Region, last.HLC, last.Region) {
		// The local state is newer: the entry loses. Its security
		// state may still be newer than the local one's.
		if last.Kind == storage.ChangeDelete || c.State == nil || c.Entity == storage.EntityUserPool {
			return outcomeSkipped, nil
		}
		return n.mergeLoser(ctx, tx, c)
	}
	if c.Entity == storage.EntityUserPool {
		return n.applyPool(ctx, tx, c)
	}
	kind := string(c.Entity)
	switch c.Kind {
	case storage.ChangePurge:
		tx.ApplyAs(c.Region, c.HLC)
		if _, err := tx.DeleteItems(ctx, kind, c.Key); err != nil {
			return 0, err
		}
		return outcomeApplied, nil
	case storage.ChangeDelete:
		local, err := tx.GetItem(ctx, kind, c.Key)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
		tx.ApplyAs(c.Region, c.HLC)
		if local == nil {
			return outcomeApplied, tx.Tombstone(ctx, c.Entity, c.Key)
		}
		return outcomeApplied, tx.DeleteItem(ctx, kind, c.Key, local.Version)
	}
	it, err := storage.DecodeItem(c.State)
	if err != nil {
		return 0, err
	}
	if it.Kind != kind || it.ID != c.Key {
		return 0, fmt.Errorf("change of %s %q carries %s %q", c.Entity, c.Key, it.Kind, it.ID)
	}
	if it.Pool != "" {
		// A deleted pool does not get items back (pool IDs are never
		// made again), nor a purge of the pool's items of the kind those
		// made before it.
		gone, err := tx.LastChange(ctx, storage.EntityUserPool, it.Pool)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
		if gone != nil && gone.Kind == storage.ChangeDelete {
			return outcomeSkipped, nil
		}
		purged, err := tx.LastChange(ctx, c.Entity, it.Pool)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
		if purged != nil && purged.Kind == storage.ChangePurge && !it.CreatedAt.After(storage.HLCTime(purged.HLC)) {
			return outcomeSkipped, nil
		}
	}
	local, err := tx.GetItem(ctx, kind, c.Key)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	tx.ApplyAs(c.Region, c.HLC)
	out := outcomeApplied
	if local != nil {
		if merge := n.o.Merge[kind]; merge != nil {
			merged, changed, err := merge(it, local)
			if err != nil {
				return 0, fmt.Errorf("merge %s %q: %w", kind, c.Key, err)
			}
			if changed {
				// The winner keeps the local side's newer security
				// state: a new local change, which replicates.
				tx.ApplyAs("", 0)
				it = merged
				out = outcomeMerged
			}
		}
		it.Version = local.Version
		err = tx.UpdateItem(ctx, it)
	} else {
		err = tx.CreateItem(ctx, it)
	}
	if storage.ConflictingKey(err) != "" {
		return 0, fmt.Errorf("%s %q: key %q: %w", kind, c.Key, storage.ConflictingKey(err), errKeyConflict)
	}
	if err != nil {
		return 0, err
	}
	return out, nil
}

// mergeLoser merges the security state of c, an entry older than the
// local state, into the local item, writing a new local change when that
// changes it.
func (n *Node) mergeLoser(ctx context.Context, tx storage.ReplicaTx, c storage.Change) (outcome, error) {
	kind := string(c.Entity)
	merge := n.o.Merge[kind]
	if merge == nil {
		return outcomeSkipped, nil
	}
	it, err := storage.DecodeItem(c.State)
	if err != nil {
		return 0, err
	}
	local, err := tx.GetItem(ctx, kind, c.Key)
	if errors.Is(err, storage.ErrNotFound) {
		return outcomeSkipped, nil
	}
	if err != nil {
		return 0, err
	}
	merged, changed, err := merge(local, it)
	if err != nil {
		return 0, fmt.Errorf("merge %s %q: %w", kind, c.Key, err)
	}
	if !changed {
		return outcomeSkipped, nil
	}
	// Past the entry's HLC, so the new state sorts after both.
	tx.ApplyAs(c.Region, c.HLC)
	tx.ApplyAs("", 0)
	merged.Version = local.Version
	if err := tx.UpdateItem(ctx, merged); err != nil {
		return 0, err
	}
	return outcomeMerged, nil
}

// applyPool applies an entry of a user pool.
func (n *Node) applyPool(ctx context.Context, tx storage.ReplicaTx, c storage.Change) (outcome, error) {
	local, err := tx.GetUserPool(ctx, c.Key)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	tx.ApplyAs(c.Region, c.HLC)
	switch c.Kind {
	case storage.ChangeDelete:
		if local == nil {
			return outcomeApplied, tx.Tombstone(ctx, c.Entity, c.Key)
		}
		// The pool's items go with it, as in the region that deleted it
		// (whose purge entries may come later, or not at all once
		// compacted).
		if _, err := tx.DeletePoolItems(ctx, c.Key); err != nil {
			return 0, err
		}
		return outcomeApplied, tx.DeleteUserPool(ctx, c.Key, local.Version)
	case storage.ChangePurge:
		return outcomeSkipped, nil
	}
	p, err := storage.DecodeUserPool(c.State)
	if err != nil {
		return 0, err
	}
	if p.ID != c.Key {
		return 0, fmt.Errorf("change of user pool %q carries pool %q", c.Key, p.ID)
	}
	if local == nil {
		return outcomeApplied, tx.CreateUserPool(ctx, p)
	}
	p.Version = local.Version
	return outcomeApplied, tx.UpdateUserPool(ctx, p)
}

// createdAt returns when the record a change-log state holds was made.
func createdAt(entity storage.Entity, state []byte) (time.Time, error) {
	if entity == storage.EntityUserPool {
		p, err := storage.DecodeUserPool(state)
		if err != nil {
			return time.Time{}, err
		}
		return p.CreatedAt, nil
	}
	it, err := storage.DecodeItem(state)
	if err != nil {
		return time.Time{}, err
	}
	return it.CreatedAt, nil
}
