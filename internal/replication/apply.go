package replication

import (
	"context"
	"errors"
	"fmt"

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
		// A pool deleted (or its items of the kind purged) after the
		// entry was made does not get the item back.
		for _, ref := range []struct {
			entity storage.Entity
			kind   storage.ChangeKind
		}{{storage.EntityUserPool, storage.ChangeDelete}, {c.Entity, storage.ChangePurge}} {
			gone, err := tx.LastChange(ctx, ref.entity, it.Pool)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return 0, err
			}
			if gone != nil && gone.Kind == ref.kind && storage.Newer(gone.HLC, gone.Region, c.HLC, c.Region) {
				return outcomeSkipped, nil
			}
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
			merged, changed, err := merge(it.Data, local.Data)
			if err != nil {
				return 0, fmt.Errorf("merge %s %q: %w", kind, c.Key, err)
			}
			if changed {
				// The winner keeps the local side's newer security
				// state: a new local change, which replicates.
				tx.ApplyAs("", 0)
				it.Data = merged
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
	merged, changed, err := merge(local.Data, it.Data)
	if err != nil {
		return 0, fmt.Errorf("merge %s %q: %w", kind, c.Key, err)
	}
	if !changed {
		return outcomeSkipped, nil
	}
	// Past the entry's HLC, so the new state sorts after both.
	tx.ApplyAs(c.Region, c.HLC)
	tx.ApplyAs("", 0)
	local.Data = merged
	if err := tx.UpdateItem(ctx, local); err != nil {
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
