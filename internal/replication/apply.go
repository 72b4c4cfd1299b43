package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// one transaction, by the rules of the package documentation. The entries
// it writes carry the actor of c, who made the change.
func (n *Node) Apply(ctx context.Context, c storage.Change) (outcome, error) {
	if c.Actor != nil {
		ctx = storage.WithActor(ctx, *c.Actor)
	}
	var (
		out outcome
		res []KeyConflict
	)
	err := n.o.Store.Tx(ctx, func(tx storage.Tx) error {
		rtx, ok := tx.(storage.ReplicaTx)
		if !ok {
			return errNotReplica
		}
		res = res[:0]
		var err error
		out, err = n.applyIn(ctx, rtx, c, &res)
		return err
	})
	if err != nil {
		return out, err
	}
	for _, k := range res {
		n.conflicts.Add(1)
		n.log.Warn("a unique key was claimed in two regions; the record made first keeps it",
			"kind", k.Kind, "key", k.Key, "winner", k.Winner, "winner_pool", k.WinnerPool,
			"loser", k.Loser, "loser_pool", k.LoserPool, "outcome", k.Outcome, "region", c.Region, "hlc", c.HLC)
	}
	return out, nil
}

func (n *Node) applyIn(ctx context.Context, tx storage.ReplicaTx, c storage.Change, res *[]KeyConflict) (outcome, error) {
	// local is the local item of the entry, read once (prefetched).
	var (
		local      *storage.Item
		prefetched bool
	)
	if c.State != nil && c.Entity != storage.EntityUserPool {
		var (
			out  outcome
			done bool
			err  error
		)
		if local, out, done, err = n.applyOtherPool(ctx, tx, c, res); done || err != nil {
			return out, err
		}
		prefetched = true
	}
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
			err = tx.Tombstone(ctx, c.Entity, c.Key)
		} else {
			err = tx.DeleteItem(ctx, kind, c.Key, local.Version)
		}
		if err != nil {
			return 0, err
		}
		return outcomeApplied, n.forgetIfOwnRecord(ctx, tx, kind, c.Key)
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
	if !prefetched {
		local, err = tx.GetItem(ctx, kind, c.Key)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
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
	}
	if err := n.writeClaiming(ctx, tx, c, it, local != nil, out == outcomeMerged, res); err != nil {
		return 0, err
	}
	return out, nil
}

// applyOtherPool settles an entry whose item ID a local item of another
// pool holds: two pools made an item under one ID (a domain prefix), each
// in a region that had not seen the other's. The one made first keeps the
// ID, whichever state is later: the entry is dropped, or replaces the
// local item. done is false when the local item, if any, is of the entry's
// pool, and the ordinary rules apply.
// It returns the local item (nil when there is none), which nothing
// changes when done is false.
func (n *Node) applyOtherPool(ctx context.Context, tx storage.ReplicaTx, c storage.Change, res *[]KeyConflict) (*storage.Item, outcome, bool, error) {
	kind := string(c.Entity)
	local, err := tx.GetItem(ctx, kind, c.Key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, true, err
	}
	it, err := storage.DecodeItem(c.State)
	if err != nil {
		return nil, 0, true, err
	}
	if it.Kind != kind || it.ID != c.Key {
		return nil, 0, true, fmt.Errorf("change of %s %q carries %s %q", c.Entity, c.Key, it.Kind, it.ID)
	}
	if local.Pool == it.Pool {
		return local, 0, false, nil
	}
	if claimsFirst(local, it) {
		n.report(ctx, res, KeyConflict{Kind: kind, Key: c.Key, Winner: local.ID, WinnerPool: local.Pool,
			Loser: it.ID, LoserPool: it.Pool, Outcome: "dropped"})
		return nil, outcomeSkipped, true, nil
	}
	if it.Pool != "" {
		gone, err := tx.LastChange(ctx, storage.EntityUserPool, it.Pool)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, 0, true, err
		}
		if gone != nil && gone.Kind == storage.ChangeDelete {
			return nil, outcomeSkipped, true, nil
		}
	}
	n.report(ctx, res, KeyConflict{Kind: kind, Key: c.Key, Winner: it.ID, WinnerPool: it.Pool,
		Loser: local.ID, LoserPool: local.Pool, Outcome: "replaced"})
	tx.ApplyAs(c.Region, c.HLC)
	it.Version = local.Version
	return nil, outcomeApplied, true, n.writeClaiming(ctx, tx, c, it, true, false, res)
}

// KeyConflict is a unique key (a username, an alias, a domain prefix)
// that two records claimed in two regions that had not seen each other's
// claim, and how it was settled: the record made first (Winner) keeps it;
// the other (Loser) yields it by its kind's YieldFunc ("yielded"), or is
// deleted where its kind has none ("dropped").
type KeyConflict struct {
	Kind, Key                 string
	Winner, WinnerPool        string
	Loser, LoserPool, Outcome string
}

// maxClaims bounds the unique keys of one item that writeClaiming settles.
const maxClaims = 16

// writeClaiming writes it, the state of an entry (under the entry's
// origin), over the local item (exists) or as a new one. A unique key of
// it that another local item holds goes to the one of the two made first
// (claimsFirst): when that is the holder, it yields the key (its kind's
// YieldFunc) before it is written, under the entry's origin, so that it
// comes out the same in every region; when that is it, the holder yields
// the key in a new local change, which replicates, so that the holder's
// own region, and a region that saw the holder but not it, come to the
// same state. A kind without a YieldFunc drops the loser: a local deletion,
// which replicates.
//
// merged says that it is a merge, written as a local change (ApplyAs("",
// 0) already called), which it stays after a holder's yield.
func (n *Node) writeClaiming(ctx context.Context, tx storage.ReplicaTx, c storage.Change, it *storage.Item, exists, merged bool, res *[]KeyConflict) error {
	kind := it.Kind
	yield := n.o.Yield[kind]
	for range maxClaims {
		var err error
		if exists {
			err = tx.UpdateItem(ctx, it)
		} else {
			err = tx.CreateItem(ctx, it)
		}
		key := storage.ConflictingKey(err)
		if key == "" {
			return err
		}
		holder, err := tx.GetItemByKey(ctx, kind, key)
		if err != nil {
			return fmt.Errorf("%s %q: the holder of key %q: %w", kind, it.ID, key, err)
		}
		if holder.ID == it.ID {
			return fmt.Errorf("%s %q: key %q: %w", kind, it.ID, key, errKeyConflict)
		}
		if claimsFirst(holder, it) {
			k := KeyConflict{Kind: kind, Key: key, Winner: holder.ID, WinnerPool: holder.Pool, Loser: it.ID, LoserPool: it.Pool}
			if yield == nil {
				k.Outcome = "dropped"
				n.report(ctx, res, k)
				tx.ApplyAs("", 0)
				if exists {
					return tx.DeleteItem(ctx, kind, it.ID, it.Version)
				}
				return tx.Tombstone(ctx, c.Entity, it.ID)
			}
			k.Outcome = "yielded"
			n.report(ctx, res, k)
			if it, err = yieldKey(ctx, tx, yield, it, holder, key); err != nil {
				return err
			}
			continue
		}
		k := KeyConflict{Kind: kind, Key: key, Winner: it.ID, WinnerPool: it.Pool, Loser: holder.ID, LoserPool: holder.Pool}
		tx.ApplyAs("", 0)
		if yield == nil {
			k.Outcome = "dropped"
			err = tx.DeleteItem(ctx, kind, holder.ID, holder.Version)
		} else {
			k.Outcome = "yielded"
			var y *storage.Item
			if y, err = yieldKey(ctx, tx, yield, holder, it, key); err == nil {
				err = tx.UpdateItem(ctx, y)
			}
		}
		if storage.ConflictingKey(err) != "" {
			return fmt.Errorf("%s %q yielding key %q: key %q: %w", kind, holder.ID, key, storage.ConflictingKey(err), errKeyConflict)
		}
		if err != nil {
			return err
		}
		n.report(ctx, res, k)
		if !merged {
			tx.ApplyAs(c.Region, c.HLC)
		}
	}
	return fmt.Errorf("%s %q: more than %d keys claimed elsewhere: %w", kind, it.ID, maxClaims, errKeyConflict)
}

// yieldKey returns loser without key, by its kind's YieldFunc.
func yieldKey(ctx context.Context, tx storage.Tx, yield YieldFunc, loser, winner *storage.Item, key string) (*storage.Item, error) {
	y, err := yield(ctx, tx, loser, winner, key)
	if err != nil {
		return nil, fmt.Errorf("%s %q yielding key %q: %w", loser.Kind, loser.ID, key, err)
	}
	if slices.Contains(y.Keys, key) || y.ID != loser.ID || y.Kind != loser.Kind {
		return nil, fmt.Errorf("%s %q yielding key %q: the yield function kept it", loser.Kind, loser.ID, key)
	}
	return y, nil
}

// claimsFirst reports whether a was made before b, which then keeps a
// unique key both claim: by creation time (to the millisecond, which every
// store keeps), then by ID, then by pool, so every region decides alike.
func claimsFirst(a, b *storage.Item) bool {
	if x, y := a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli(); x != y {
		return x < y
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	return a.Pool < b.Pool
}

// report collects a settled conflict, for Apply to count and log once the
// transaction commits.
func (n *Node) report(_ context.Context, res *[]KeyConflict, k KeyConflict) {
	*res = append(*res, k)
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
			// A region that does not hold the pool may keep its
			// replica records: they go too.
			if _, err := tx.DeletePoolItems(ctx, c.Key); err != nil {
				return 0, err
			}
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

// forgetIfOwnRecord forgets, in the transaction that applies the deletion
// of the item kind/key from another region's stream, the pool whose replica
// record in this region the item was: a region that no longer has a record
// of its own in the pool's set stops holding the pool, its row removed with
// the record as forget removes them, so that no row without a record is
// left here but that of a set still arriving (replicaSet.heldBy).
func (n *Node) forgetIfOwnRecord(ctx context.Context, tx storage.ReplicaTx, kind, key string) error {
	pool, region, ok := strings.Cut(key, "/")
	if kind != ReplicaItemKind || !ok || region != n.o.Region {
		return nil
	}
	removed, err := tx.ForgetPool(ctx, pool, ReplicaItemKind)
	if err != nil {
		return fmt.Errorf("forget %s, whose replica here another region deleted: %w", pool, err)
	}
	if removed > 0 {
		n.log.Info("another region deleted this region's replica record of a pool; the pool is removed from this region", "pool", pool, "items", removed)
	}
	return nil
}
