package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/cognate-dev/cognate/internal/storage"
)

// A snapshot of a pool is the newest change-log entry of each of its
// replicated records (its replica records, the pool, then its items kind
// by kind), read from the region that holds it a page at a time through a
// NATS request to that region's Node (subject cognate.snapshot.<region>).
// The region that receives it applies each entry with Apply, as if it came
// through the stream: with the origin region and HLC the entry carries, by
// the same rules. Local kinds have no entries, so they stay where they are.
//
// Why nothing is lost or applied twice: the receiving region opens its
// filter for the pool (its replica record is CREATING, so it applies the
// pool's entries from every stream) before it asks for the first page.
// Every change made after that point reaches it through a stream; every
// change made before it is in the state a page reads, as the newest entry
// of its record, since the holders' stores have every change of the pool
// made or applied so far. A change in both is the same (region, HLC) pair,
// which Apply drops the second time as no newer than the local state. So
// the "snapshot's position" is the moment the filter opened, and the
// overlap between snapshot and stream is dropped record by record.

// snapshotSubject is where region's Node answers snapshot requests.
func snapshotSubject(region string) string { return "cognate.snapshot." + region }

// snapshotPage is the number of records a page holds at most: a page stays
// well under NATS's default largest message (1 MiB).
const snapshotPage = 100

// snapshotTimeout bounds one page's request.
const snapshotTimeout = 30 * time.Second

type snapshotRequest struct {
	// Pools asks for the IDs of the pools the region holds, after After.
	Pools bool `json:"pools,omitempty"`
	// Pool, Step and After ask for the page of Pool's records at Step
	// (0: replica records, 1: the pool, 2+: the items of each replicated
	// kind, in snapshotKinds order) after the ID After.
	Pool  string `json:"pool,omitempty"`
	Step  int    `json:"step"`
	After string `json:"after,omitempty"`
}

type snapshotResponse struct {
	Changes []json.RawMessage `json:"changes,omitempty"`
	Pools   []string          `json:"pools,omitempty"`
	Step    int               `json:"step"`
	After   string            `json:"after,omitempty"`
	Done    bool              `json:"done"`
	// NotHeld says the region does not hold the pool.
	NotHeld bool   `json:"not_held,omitempty"`
	Error   string `json:"error,omitempty"`
}

// snapshotKinds are the item kinds a snapshot walks after the replica
// records and the pool: the replicated kinds declared, sorted.
func snapshotKinds() []string {
	return slices.DeleteFunc(storage.ReplicatedKinds(), func(k string) bool { return k == ReplicaItemKind })
}

// serveSnapshots answers snapshot requests until ctx is done.
func (n *Node) serveSnapshots(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.QueueSubscribe(snapshotSubject(n.o.Region), "cognate_snapshot", func(m *nats.Msg) {
		var req snapshotRequest
		var resp *snapshotResponse
		if err := json.Unmarshal(m.Data, &req); err != nil {
			resp = &snapshotResponse{Error: "malformed request"}
		} else {
			resp, err = n.snapshotPage(ctx, req)
			if err != nil {
				n.log.Error("read a snapshot page", "pool", req.Pool, "error", err.Error())
				resp = &snapshotResponse{Error: "the region could not read its store"}
			}
		}
		data, _ := json.Marshal(resp)
		_ = m.Respond(data)
	})
	if err != nil {
		return fmt.Errorf("replication: answer snapshot requests: %w", err)
	}
	<-ctx.Done()
	_ = sub.Unsubscribe()
	return ctx.Err()
}

// snapshotPage reads one page of a snapshot from the local store.
func (n *Node) snapshotPage(ctx context.Context, req snapshotRequest) (*snapshotResponse, error) {
	st := n.o.Store
	if req.Pools {
		pools, err := st.ListUserPools(ctx, storage.ListUserPoolsInput{AfterID: req.After, Limit: snapshotPage})
		if err != nil {
			return nil, err
		}
		resp := &snapshotResponse{Pools: []string{}, Done: len(pools) < snapshotPage}
		for _, p := range pools {
			resp.Pools = append(resp.Pools, p.ID)
			resp.After = p.ID
		}
		return resp, nil
	}
	// Pool "" asks for the records outside every pool (identity pools,
	// their identities, …), which every region holds.
	if req.Pool != "" {
		if _, err := st.GetUserPool(ctx, req.Pool); errors.Is(err, storage.ErrNotFound) {
			return &snapshotResponse{NotHeld: true, Done: true}, nil
		} else if err != nil {
			return nil, err
		}
	}
	kinds := snapshotKinds()
	resp := &snapshotResponse{Step: req.Step, After: req.After}
	err := st.Tx(ctx, func(tx storage.Tx) error {
		rtx, ok := tx.(storage.ReplicaTx)
		if !ok {
			return errNotReplica
		}
		add := func(entity storage.Entity, key string) error {
			c, err := rtx.LastChange(ctx, entity, key)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if c.State == nil {
				return nil
			}
			data, err := encode(*c)
			if err != nil {
				return err
			}
			resp.Changes = append(resp.Changes, data)
			return nil
		}
		for resp.Step < 2+len(kinds) && len(resp.Changes) < snapshotPage {
			if resp.Step == 1 {
				if req.Pool != "" {
					if err := add(storage.EntityUserPool, req.Pool); err != nil {
						return err
					}
				}
				resp.Step, resp.After = 2, ""
				continue
			}
			kind := ReplicaItemKind
			if resp.Step > 1 {
				kind = kinds[resp.Step-2]
			}
			limit := snapshotPage - len(resp.Changes)
			items, err := tx.ListItems(ctx, storage.ListItemsInput{Kind: kind, Pool: req.Pool, AfterID: resp.After, Limit: limit})
			if err != nil {
				return err
			}
			for _, it := range items {
				if err := add(storage.Entity(kind), it.ID); err != nil {
					return err
				}
				resp.After = it.ID
			}
			if len(items) < limit {
				// The kind is done.
				resp.Step, resp.After = resp.Step+1, ""
			}
			if req.Step == 0 && resp.Step > 0 {
				// The replica records come in a page of their own, so the
				// receiver can decide whether it holds the pool before
				// it reads the rest.
				break
			}
		}
		resp.Done = resp.Step >= 2+len(kinds)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// request sends one snapshot request to region and decodes the answer.
func (n *Node) request(ctx context.Context, region string, req snapshotRequest) (*snapshotResponse, error) {
	if n.o.JetStream == nil {
		return nil, errors.New("replication: no NATS connection")
	}
	data, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	m, err := n.o.JetStream.Conn().RequestWithContext(ctx, snapshotSubject(region), data)
	if err != nil {
		return nil, fmt.Errorf("replication: snapshot request to %s: %w", region, err)
	}
	var resp snapshotResponse
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return nil, fmt.Errorf("replication: snapshot answer of %s: %w", region, err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("replication: snapshot of %s: %s", region, resp.Error)
	}
	return &resp, nil
}

// remotePools returns the IDs of the pools region holds.
func (n *Node) remotePools(ctx context.Context, region string) ([]string, error) {
	var out []string
	req := snapshotRequest{Pools: true}
	for {
		resp, err := n.request(ctx, region, req)
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Pools...)
		if resp.Done || len(resp.Pools) == 0 {
			return out, nil
		}
		req.After = resp.After
	}
}

// copyFrom applies region's snapshot of pool. After the replica records
// (the first page) it asks held whether to go on; it returns errNotHeld
// when region does not hold the pool.
func (n *Node) copyFrom(ctx context.Context, region, pool string, held func() (bool, error)) (applied int, err error) {
	req := snapshotRequest{Pool: pool}
	for {
		resp, err := n.request(ctx, region, req)
		if err != nil {
			return applied, err
		}
		if resp.NotHeld {
			return applied, errNotHeld
		}
		for _, raw := range resp.Changes {
			c, err := decode(raw)
			if err != nil {
				return applied, fmt.Errorf("replication: snapshot of %s: %w", region, err)
			}
			out, err := n.Apply(ctx, c)
			switch {
			case errors.Is(err, errKeyConflict):
				n.conflicts.Add(1)
				n.log.Warn("a record of a snapshot conflicts with a local item's unique key; not applied",
					"source", region, "entity", c.Entity, "key", c.Key, "error", err.Error())
			case err != nil:
				return applied, fmt.Errorf("replication: apply %s %q of the snapshot of %s: %w", c.Entity, c.Key, region, err)
			case out != outcomeSkipped:
				applied++
			}
		}
		if n.pageHook != nil {
			n.pageHook(pool, resp.Step)
		}
		if resp.Done {
			return applied, nil
		}
		if req.Step == 0 && resp.Step > 0 && held != nil {
			ok, err := held()
			if err != nil || !ok {
				return applied, err
			}
		}
		req.Step, req.After = resp.Step, resp.After
	}
}

// holds reports whether this region holds pool, by its local replica
// records and the default.
func (n *Node) holds(ctx context.Context, pool string) (bool, error) {
	set, _, err := n.sets.of(ctx, n.o.Store, pool)
	if err != nil {
		return false, err
	}
	return set.holds(n.o.Region), nil
}

// applies reports whether this region applies the stream entries of pool:
// when it holds the pool by its replica records and the default (holds),
// and when its store holds the pool's row while the records, still
// arriving, leave this region out (replicaSet.heldBy, the rule the replica
// API addresses a pool by too).
func (n *Node) applies(ctx context.Context, pool string) (bool, error) {
	set, _, err := n.sets.of(ctx, n.o.Store, pool)
	if err != nil {
		return false, err
	}
	return set.heldBy(ctx, n.o.Store, pool, n.o.Region, n.o.Region)
}

// reconcileInterval is how often a running Node looks for its replicas to
// copy or remove.
const reconcileInterval = time.Second

// reconcileLoop copies the pools whose replica in this region is CREATING
// and removes those whose replica is DELETING, until ctx is done.
func (n *Node) reconcileLoop(ctx context.Context) {
	for {
		if err := n.Reconcile(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("copy or remove this region's replicas; trying again", "error", err.Error())
		}
		if !sleep(ctx, reconcileInterval) {
			return
		}
	}
}

// Reconcile does, once, what this region's replica records ask of it: a
// CREATING replica is copied from every region that holds the pool, then
// set ACTIVE; a DELETING one is removed from this region's store (and
// only this region's), then its record deleted. Both are idempotent: an
// interrupted copy or removal is done again whole.
func (n *Node) Reconcile(ctx context.Context) error {
	var mine []*storage.Item
	in := storage.ScanInput{Kind: ReplicaItemKind, Prefix: replicaIndex(n.o.Region), Exact: true, Limit: 100}
	for {
		page, err := n.o.Store.ScanIndex(ctx, in)
		if err != nil {
			return err
		}
		for _, e := range page {
			mine = append(mine, e.Item)
		}
		if len(page) < in.Limit {
			break
		}
		in.AfterKey, in.AfterID = page[len(page)-1].Key, page[len(page)-1].Item.ID
	}
	var errs []error
	for _, it := range mine {
		rep, err := decodeReplica(it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch rep.Status {
		case StatusCreating:
			errs = append(errs, n.copyIn(ctx, it.Pool))
		case StatusDeleting:
			errs = append(errs, n.forget(ctx, it.Pool))
		}
	}
	return errors.Join(errs...)
}

// copyIn copies pool from every other region that holds it, and sets this
// region's replica ACTIVE.
func (n *Node) copyIn(ctx context.Context, pool string) error {
	set, _, err := n.sets.of(ctx, n.o.Store, pool)
	if err != nil {
		return err
	}
	total := 0
	for _, src := range set.regions() {
		r := set.Replicas[src]
		if src == n.o.Region || (r.Status != StatusActive && r.Status != StatusInactive) {
			continue
		}
		applied, err := n.copyFrom(ctx, src, pool, nil)
		if errors.Is(err, errNotHeld) && src != set.Primary {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy %s from %s: %w", pool, src, err)
		}
		total += applied
	}
	err = n.o.Store.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, ReplicaItemKind, replicaID(pool, n.o.Region))
		if err != nil {
			return err
		}
		rep, err := decodeReplica(it)
		if err != nil || rep.Status != StatusCreating {
			return err
		}
		rep.Status = StatusActive
		up, err := newReplicaItem(pool, rep, n.o.Clock())
		if err != nil {
			return err
		}
		up.CreatedAt, up.Version = it.CreatedAt, it.Version
		return tx.UpdateItem(ctx, up)
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("set the replica of %s active: %w", pool, err)
	}
	n.copies.Add(1)
	n.log.Info("copied a pool to this region; its replica is active", "pool", pool, "records_applied", total)
	return nil
}

// forget removes pool from this region without a trace that replicates,
// and deletes this region's replica record (which does replicate).
func (n *Node) forget(ctx context.Context, pool string) error {
	var removed int64
	err := n.o.Store.Tx(ctx, func(tx storage.Tx) error {
		rtx, ok := tx.(storage.ReplicaTx)
		if !ok {
			return errNotReplica
		}
		it, err := tx.GetItem(ctx, ReplicaItemKind, replicaID(pool, n.o.Region))
		if err != nil {
			return err
		}
		if rep, err := decodeReplica(it); err != nil || rep.Status != StatusDeleting {
			return err
		}
		if removed, err = rtx.ForgetPool(ctx, pool, ReplicaItemKind); err != nil {
			return err
		}
		return tx.DeleteItem(ctx, ReplicaItemKind, it.ID, it.Version)
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove the replica of %s: %w", pool, err)
	}
	n.log.Info("removed a pool's replica from this region", "pool", pool, "items", removed)
	return nil
}

// ReseedReport says what Reseed did.
type ReseedReport struct {
	// Forgotten are the pools removed before the copy (Replace).
	Forgotten []string
	// Copied are the pools this region holds, copied; Skipped the pools
	// the sources hold that this region does not (their replica records
	// are copied all the same).
	Copied, Skipped []string
	// Applied counts the records applied.
	Applied int
}

// Reseed rebuilds this region's copy of its pools, and of the records
// outside every pool, from the snapshots of the regions from (every other
// region of the topology when empty), for a region that joins a topology
// or was cut off longer than change_log.retention. Every source must
// answer. With replace, the pools
// some source holds, or whose replica set names a source, are first
// removed from the local store without a trace that replicates (their
// changes not yet published go with them), so that what the sources
// deleted long ago does not survive here; a pool only this region holds
// stays, and so do the local records outside every pool (the snapshots
// bring newer states of them, but do not remove any). Without replace, the snapshots are applied over the local state
// by the usual rules. Local kinds stay local and are not copied.
//
// The Node must not be running (the region's servers stopped), and the
// sources' Nodes must be, to answer.
func (n *Node) Reseed(ctx context.Context, from []string, replace bool) (ReseedReport, error) {
	var rep ReseedReport
	if len(from) == 0 {
		for _, p := range n.o.Peers {
			if p != n.o.Region {
				from = append(from, p)
			}
		}
	}
	holders := map[string][]string{}
	var pools []string
	for _, src := range from {
		ids, err := n.remotePools(ctx, src)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			if _, ok := holders[id]; !ok {
				pools = append(pools, id)
			}
			holders[id] = append(holders[id], src)
		}
	}
	slices.Sort(pools)
	if replace {
		local, err := n.localPools(ctx)
		if err != nil {
			return rep, err
		}
		for _, id := range local {
			set, _, err := n.sets.of(ctx, n.o.Store, id)
			if err != nil {
				return rep, err
			}
			named := slices.ContainsFunc(from, func(src string) bool { _, ok := set.Replicas[src]; return ok })
			if _, held := holders[id]; !held && !named {
				continue
			}
			err = n.o.Store.Tx(ctx, func(tx storage.Tx) error {
				rtx, ok := tx.(storage.ReplicaTx)
				if !ok {
					return errNotReplica
				}
				_, err := rtx.ForgetPool(ctx, id, "")
				return err
			})
			if err != nil {
				return rep, fmt.Errorf("replication: forget %s: %w", id, err)
			}
			rep.Forgotten = append(rep.Forgotten, id)
		}
	}
	// The records outside every pool, which every region holds.
	for _, src := range from {
		applied, err := n.copyFrom(ctx, src, "", nil)
		if err != nil {
			return rep, err
		}
		rep.Applied += applied
	}
	for _, id := range pools {
		held := func() (bool, error) { return n.holds(ctx, id) }
		copied := false
		for _, src := range holders[id] {
			applied, err := n.copyFrom(ctx, src, id, held)
			if errors.Is(err, errNotHeld) {
				continue
			}
			if err != nil {
				return rep, err
			}
			rep.Applied += applied
			if ok, err := held(); err != nil {
				return rep, err
			} else if ok {
				copied = true
			}
		}
		if copied {
			rep.Copied = append(rep.Copied, id)
		} else {
			rep.Skipped = append(rep.Skipped, id)
		}
	}
	return rep, nil
}

// localPools returns the IDs of every pool of the local store.
func (n *Node) localPools(ctx context.Context) ([]string, error) {
	var out []string
	in := storage.ListUserPoolsInput{Limit: 100}
	for {
		page, err := n.o.Store.ListUserPools(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			out = append(out, p.ID)
		}
		if len(page) < in.Limit {
			return out, nil
		}
		in.AfterID = page[len(page)-1].ID
	}
}
