package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// ReplicaItemKind is the kind of the records that say which regions hold a
// pool: one item per pool and region ("<pool>/<region>"), kept in the pool
// and replicated to every region of the topology, those that do not hold
// the pool included, so that every region agrees on where each pool lives.
// Its reads outside a transaction come from the store's read cache
// (storage.DeclareCached), those that find no record included, so that the
// check every end-user request makes (Replicas.ServesEndUsers) costs no
// statement once a pool's record was read.
var ReplicaItemKind = storage.DeclareCached(storage.DeclareKind("user_pool_replica", storage.Replicated))

// The default replica sets (Options.DefaultPoolRegions): what a pool
// without replica records replicates to.
const (
	// DefaultAllRegions replicates every pool to every region of the
	// topology until its replicas are changed through the replica API.
	DefaultAllRegions = "all"
	// DefaultOwnRegion keeps every pool in its own region (the region of
	// its ID) until a replica is created, as Cognito does.
	DefaultOwnRegion = "own"
)

// Replica statuses, Cognito's ReplicaStatusType.
const (
	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
	StatusDeleting = "DELETING"
)

// replica is the data of a ReplicaItemKind item: one region's replica of a
// pool.
type replica struct {
	Region string            `json:"region"`
	Status string            `json:"status"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// holding reports whether a replica in status holds the pool's data: it
// applies the pool's changes and serves it.
func holding(status string) bool {
	return status == StatusCreating || status == StatusActive || status == StatusInactive
}

func replicaID(pool, region string) string { return pool + "/" + region }

func replicaIndex(region string) string { return "region/" + region }

// newReplicaItem returns the item of r, a replica of pool.
func newReplicaItem(pool string, r replica, now time.Time) (*storage.Item, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return &storage.Item{
		Kind: ReplicaItemKind, ID: replicaID(pool, r.Region), Pool: pool, Data: data,
		Index: []string{replicaIndex(r.Region)}, CreatedAt: now, UpdatedAt: now,
	}, nil
}

func decodeReplica(it *storage.Item) (replica, error) {
	var r replica
	if err := json.Unmarshal(it.Data, &r); err != nil || r.Region == "" {
		return r, fmt.Errorf("replica record %q is damaged: %v", it.ID, err)
	}
	return r, nil
}

// replicaRecords returns the replica records of pool, by region.
func replicaRecords(ctx context.Context, r storage.ItemReader, pool string) (map[string]*storage.Item, error) {
	out := map[string]*storage.Item{}
	after := ""
	for {
		page, err := r.ListItems(ctx, storage.ListItemsInput{Kind: ReplicaItemKind, Pool: pool, AfterID: after, Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("list the replicas of %q: %w", pool, err)
		}
		for _, it := range page {
			rep, err := decodeReplica(it)
			if err != nil {
				return nil, err
			}
			out[rep.Region] = it
		}
		if len(page) < 100 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// replicaSet is where a pool lives: its replicas by region. Explicit is
// false for a pool without replica records, whose set is the default.
type replicaSet struct {
	Primary  string
	Replicas map[string]replica
	Explicit bool
}

// sets computes pool replica sets from the local records and the default.
type sets struct {
	region, def string
	peers       []string
}

// of returns the replica set of pool.
func (s sets) of(ctx context.Context, r storage.ItemReader, pool string) (replicaSet, map[string]*storage.Item, error) {
	set := replicaSet{Primary: cognito.RegionOfPoolID(pool), Replicas: map[string]replica{}}
	recs, err := replicaRecords(ctx, r, pool)
	if err != nil {
		return set, nil, err
	}
	if len(recs) > 0 {
		set.Explicit = true
		for region, it := range recs {
			rep, err := decodeReplica(it)
			if err != nil {
				return set, nil, err
			}
			set.Replicas[region] = rep
		}
		return set, recs, nil
	}
	set.Replicas[set.Primary] = replica{Region: set.Primary, Status: StatusActive}
	if s.def == DefaultAllRegions {
		for _, p := range s.peers {
			set.Replicas[p] = replica{Region: p, Status: StatusActive}
		}
	}
	return set, recs, nil
}

// holds reports whether region holds pool by its set.
func (set replicaSet) holds(region string) bool {
	r, ok := set.Replicas[region]
	return ok && holding(r.Status)
}

// poolReader reads a pool's row.
type poolReader interface {
	GetUserPool(ctx context.Context, id string) (*storage.UserPool, error)
}

// heldBy reports whether region holds pool, as read in r, the store of
// region local: when the set holds it, and, for the local region only, when
// the set is explicit, has no record of the region, r holds the pool's row
// and r's change log holds no deletion of the region's record. A set made
// explicit in another region (materialized in one transaction there, one
// record per region) reaches this region record by record, each applied in
// its own transaction, while the entries of the other peers' streams are
// applied alongside: between two of them the local set can name some
// regions and not yet this one. A region that holds a pool's row has a
// record in every explicit set of it, since a region stops holding a pool
// by forgetting it, its row and its record removed in one transaction
// (forget); so such a row without a record is a set still arriving, and the
// region holds the pool, unless its record came and was deleted: a deletion
// applied from another region's stream before this region forgot the pool
// leaves the row without a record too, and the deletion's entry (the
// record's last, kept by ForgetPool and by the tombstone of a record never
// applied here) tells that row from one whose record has not arrived yet.
// The row in r says nothing of another region, which holds the pool by the
// set alone.
func (set replicaSet) heldBy(ctx context.Context, r poolReader, pool, region, local string) (bool, error) {
	if set.holds(region) {
		return true, nil
	}
	if _, ok := set.Replicas[region]; ok || !set.Explicit || region != local {
		return false, nil
	}
	_, err := r.GetUserPool(ctx, pool)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	deleted, err := recordDeleted(ctx, r, pool, region)
	return !deleted, err
}

// changeReader reads a record's newest change-log entry: a storage.ReplicaTx.
type changeReader interface {
	LastChange(ctx context.Context, entity storage.Entity, key string) (*storage.Change, error)
}

// recordDeleted reports whether the newest change-log entry of region's
// record of pool, as read in r (a storage.ReplicaTx, or a store whose
// transactions are ones), is its deletion.
func recordDeleted(ctx context.Context, r poolReader, pool, region string) (bool, error) {
	read := func(cr changeReader) (bool, error) {
		last, err := cr.LastChange(ctx, storage.Entity(ReplicaItemKind), replicaID(pool, region))
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("read the change log of the replica of %s in %s: %w", pool, region, err)
		}
		return last.Kind == storage.ChangeDelete, nil
	}
	switch r := r.(type) {
	case changeReader:
		return read(r)
	case storage.Transactor:
		var deleted bool
		err := r.Tx(ctx, func(tx storage.Tx) error {
			rtx, ok := tx.(storage.ReplicaTx)
			if !ok {
				return errNotReplica
			}
			var err error
			deleted, err = read(rtx)
			return err
		})
		return deleted, err
	}
	return false, errNotReplica
}

// regions returns the set's regions, sorted.
func (set replicaSet) regions() []string {
	out := make([]string, 0, len(set.Replicas))
	for r := range set.Replicas {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// poolOf returns the pool a change is about, and whether it names one. A
// change of a replica record names none: every region keeps every pool's
// replica records. Nor does a pool's deletion: every region keeps its
// tombstone, so that no delayed entry of the pool is applied anywhere
// afterwards, whatever the replica records said. Nor does an item outside
// every user pool: one of no pool, or of an identity pool (whose ID,
// "<region>:<uuid>", is no user pool's), which every region holds.
func poolOf(c storage.Change) (string, bool) {
	switch {
	case c.Entity == storage.EntityUserPool && c.Kind == storage.ChangeDelete:
		return "", false
	case c.Entity == storage.EntityUserPool:
		return c.Key, true
	case string(c.Entity) == ReplicaItemKind:
		return "", false
	case c.Kind == storage.ChangePurge:
		return c.Key, cognito.RegionOfPoolID(c.Key) != ""
	case c.State != nil:
		it, err := storage.DecodeItem(c.State)
		if err != nil || cognito.RegionOfPoolID(it.Pool) == "" {
			// No pool, or one of another kind than a user pool's (an
			// identity pool's items name their identity pool,
			// "<region>:<uuid>"): outside every user pool, held
			// everywhere.
			return "", false
		}
		return it.Pool, true
	}
	// A deletion carries no state: the engines prefix the IDs of a pool's
	// items with the pool's ID.
	prefix, _, ok := strings.Cut(c.Key, "/")
	if ok && cognito.RegionOfPoolID(prefix) != "" {
		return prefix, true
	}
	return "", false
}

// errNotHeld is what the copy of a pool gets from a region that does not
// hold it.
var errNotHeld = errors.New("the region does not hold the pool")
