package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// ReplicaStore is what the replica API needs of the store.
type ReplicaStore interface {
	storage.Transactor
	storage.ItemReader
	GetUserPool(ctx context.Context, id string) (*storage.UserPool, error)
}

// ReplicasOptions configure Replicas.
type ReplicasOptions struct {
	Store ReplicaStore
	// Region is the local region; Peers every region of the topology
	// (empty when replication is off: the operations that change replicas
	// then answer OperationNotEnabledException).
	Region string
	Peers  []string
	// DefaultPoolRegions is DefaultAllRegions or DefaultOwnRegion.
	DefaultPoolRegions string
	// AccountID is the account of the replicas' ARNs.
	AccountID string
	// Clock returns the time; nil means time.Now.
	Clock func() time.Time
}

// Replicas serves Cognito's replica API (CreateUserPoolReplica,
// ListUserPoolReplicas, UpdateUserPoolReplica, DeleteUserPoolReplica) on
// the replica records: it writes what each region must hold, and each
// region's Node does the copying (a new replica) and the forgetting (a
// deleted one).
type Replicas struct {
	o    ReplicasOptions
	sets sets
}

// NewReplicas returns the replica API's engine.
func NewReplicas(o ReplicasOptions) *Replicas {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.DefaultPoolRegions == "" {
		o.DefaultPoolRegions = DefaultAllRegions
	}
	return &Replicas{o: o, sets: sets{region: o.Region, def: o.DefaultPoolRegions, peers: o.Peers}}
}

func (s *Replicas) on() error {
	if len(s.o.Peers) == 0 {
		return cognito.OperationNotEnabledException("Multi-Region replication is not configured on this deployment (replication.nats_url and replication.peers).")
	}
	return nil
}

// checkRegion checks the region a request names: a region name, and one of
// the topology.
func (s *Replicas) checkRegion(region string) error {
	if !cognito.ValidRegion(region) {
		return cognito.InvalidParameterException(fmt.Sprintf("Invalid Region name: %s.", region))
	}
	if !slices.Contains(s.o.Peers, region) {
		return cognito.InvalidParameterException(fmt.Sprintf("Region %s is not a Region of this deployment's replication topology.", region))
	}
	return nil
}

// load reads the pool the caller names and its replica set. The caller
// addresses the pool through its primary Region, or through a Region that
// holds a replica of it (replicaSet.heldBy: this region holds it too while
// it has the pool's row and the set's records, arriving, leave it out).
func (s *Replicas) load(ctx context.Context, r interface {
	storage.ItemReader
	GetUserPool(ctx context.Context, id string) (*storage.UserPool, error)
}, c cognito.Caller, id string) (replicaSet, map[string]*storage.Item, error) {
	notFound := cognito.ResourceNotFoundException(fmt.Sprintf("User pool %s does not exist.", id))
	if cognito.RegionOfPoolID(id) == "" {
		return replicaSet{}, nil, notFound
	}
	if _, err := r.GetUserPool(ctx, id); errors.Is(err, storage.ErrNotFound) {
		return replicaSet{}, nil, notFound
	} else if err != nil {
		return replicaSet{}, nil, cognito.Internal(fmt.Errorf("get user pool %q: %w", id, err))
	}
	set, recs, err := s.sets.of(ctx, r, id)
	if err != nil {
		return set, nil, cognito.Internal(err)
	}
	if c.Region == set.Primary {
		return set, recs, nil
	}
	// The caller's region holds the pool by the set, or, when it is this
	// region, by the pool's row here while the set's records are still
	// arriving (as the Node applies the pool's entries).
	held, err := set.heldBy(ctx, r, id, c.Region, s.o.Region)
	if err != nil {
		return set, nil, cognito.Internal(fmt.Errorf("get user pool %q: %w", id, err))
	}
	if !held {
		return set, nil, notFound
	}
	return set, recs, nil
}

func (s *Replicas) wire(pool string, set replicaSet, r replica) *idp.UserPoolReplicaType {
	role := idp.ReplicaRoleTypeSecondary
	if r.Region == set.Primary {
		role = idp.ReplicaRoleTypePrimary
	}
	status := idp.ReplicaStatusType(r.Status)
	return &idp.UserPoolReplicaType{
		RegionName: cognito.Ptr(r.Region), Status: &status, Role: &role,
		UserPoolArn: cognito.Ptr(cognito.UserPoolARN(r.Region, s.o.AccountID, pool)),
	}
}

// materialize writes the records of a pool's default set, so that a change
// to one replica leaves the others where they were.
func (s *Replicas) materialize(ctx context.Context, tx storage.Tx, pool string, set replicaSet) error {
	if set.Explicit {
		return nil
	}
	now := s.o.Clock()
	for _, region := range set.regions() {
		it, err := newReplicaItem(pool, set.Replicas[region], now)
		if err != nil {
			return err
		}
		if err := tx.CreateItem(ctx, it); err != nil {
			return fmt.Errorf("record the replica of %q in %s: %w", pool, region, err)
		}
	}
	return nil
}

// write stores r, pool's replica, over its record when there is one.
func (s *Replicas) write(ctx context.Context, tx storage.Tx, pool string, r replica) error {
	it, err := newReplicaItem(pool, r, s.o.Clock())
	if err != nil {
		return err
	}
	was, err := tx.GetItem(ctx, ReplicaItemKind, it.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return tx.CreateItem(ctx, it)
	case err != nil:
		return err
	}
	it.CreatedAt, it.Version = was.CreatedAt, was.Version
	return tx.UpdateItem(ctx, it)
}

func checkReplicaTags(tags map[string]string) error {
	if len(tags) > 50 {
		return cognito.UserPoolTaggingException("A resource can have at most 50 tags.")
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || utf8.RuneCountInString(v) > 256 {
			return cognito.UserPoolTaggingException("A tag key must have 1 to 128 characters and a tag value at most 256.")
		}
	}
	return nil
}

// CreateUserPoolReplica adds RegionName to the pool's replicas, in status
// CREATING: that region's Node copies the pool there (a snapshot of every
// region that holds it, then the stream) and sets it ACTIVE. It is called
// through the pool's primary Region (a replica of a replica is refused).
func (s *Replicas) CreateUserPoolReplica(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolReplicaRequest) (*idp.CreateUserPoolReplicaResponse, error) {
	if err := s.on(); err != nil {
		return nil, err
	}
	pool, region := cognito.Deref(in.UserPoolId), cognito.Deref(in.RegionName)
	if err := s.checkRegion(region); err != nil {
		return nil, err
	}
	if err := checkReplicaTags(in.UserPoolTags); err != nil {
		return nil, err
	}
	var out *idp.UserPoolReplicaType
	err := s.o.Store.Tx(ctx, func(tx storage.Tx) error {
		set, _, err := s.load(ctx, tx, c, pool)
		if err != nil {
			return err
		}
		if c.Region != set.Primary {
			return cognito.InvalidParameterException(fmt.Sprintf("User pool %s in Region %s is a replica: create replicas through its primary Region, %s.", pool, c.Region, set.Primary))
		}
		if region == set.Primary {
			return cognito.InvalidParameterException(fmt.Sprintf("Region %s is the primary Region of user pool %s.", region, pool))
		}
		if was, ok := set.Replicas[region]; ok {
			if was.Status == StatusDeleting {
				return cognito.InvalidParameterException(fmt.Sprintf("The replica of user pool %s in Region %s is being deleted; try again once it is gone.", pool, region))
			}
			return cognito.InvalidParameterException(fmt.Sprintf("A replica of user pool %s already exists in Region %s.", pool, region))
		}
		if err := s.materialize(ctx, tx, pool, set); err != nil {
			return err
		}
		r := replica{Region: region, Status: StatusCreating, Tags: in.UserPoolTags}
		if err := s.write(ctx, tx, pool, r); err != nil {
			return err
		}
		out = s.wire(pool, set, r)
		return nil
	})
	if err != nil {
		return nil, internalUnlessCognito(err)
	}
	return &idp.CreateUserPoolReplicaResponse{UserPoolReplica: out}, nil
}

// ListUserPoolReplicas lists the pool's replicas, the primary first. They
// fit one page: a pool has at most one replica per region of the
// topology.
func (s *Replicas) ListUserPoolReplicas(ctx context.Context, c cognito.Caller, in *idp.ListUserPoolReplicasRequest) (*idp.ListUserPoolReplicasResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	if in.NextToken != nil {
		return nil, cognito.InvalidParameterException("Invalid pagination token.")
	}
	set, _, err := s.load(ctx, s.o.Store, c, pool)
	if err != nil {
		return nil, err
	}
	out := &idp.ListUserPoolReplicasResponse{UserPoolReplicas: []idp.UserPoolReplicaType{}}
	regions := set.regions()
	slices.SortStableFunc(regions, func(a, b string) int {
		switch {
		case a == set.Primary:
			return -1
		case b == set.Primary:
			return 1
		}
		return 0
	})
	for _, r := range regions {
		out.UserPoolReplicas = append(out.UserPoolReplicas, *s.wire(pool, set, set.Replicas[r]))
	}
	return out, nil
}

// UpdateUserPoolReplica sets a secondary replica ACTIVE or INACTIVE,
// through the primary Region or a secondary one.
func (s *Replicas) UpdateUserPoolReplica(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolReplicaRequest) (*idp.UpdateUserPoolReplicaResponse, error) {
	if err := s.on(); err != nil {
		return nil, err
	}
	pool, region, status := cognito.Deref(in.UserPoolId), cognito.Deref(in.RegionName), string(cognito.Deref(in.Status))
	if err := s.checkRegion(region); err != nil {
		return nil, err
	}
	var out *idp.UserPoolReplicaType
	err := s.o.Store.Tx(ctx, func(tx storage.Tx) error {
		set, _, err := s.load(ctx, tx, c, pool)
		if err != nil {
			return err
		}
		r, ok := set.Replicas[region]
		switch {
		case !ok:
			return cognito.ResourceNotFoundException(fmt.Sprintf("User pool %s has no replica in Region %s.", pool, region))
		case region == set.Primary:
			return cognito.InvalidParameterException(fmt.Sprintf("The status of the primary replica of user pool %s cannot be changed.", pool))
		case r.Status == StatusCreating || r.Status == StatusDeleting:
			return cognito.InvalidParameterException(fmt.Sprintf("The replica of user pool %s in Region %s is %s.", pool, region, r.Status))
		}
		if err := s.materialize(ctx, tx, pool, set); err != nil {
			return err
		}
		r.Status = status
		if err := s.write(ctx, tx, pool, r); err != nil {
			return err
		}
		out = s.wire(pool, set, r)
		return nil
	})
	if err != nil {
		return nil, internalUnlessCognito(err)
	}
	return &idp.UpdateUserPoolReplicaResponse{UserPoolReplica: out}, nil
}

// DeleteUserPoolReplica deletes an INACTIVE secondary replica, through the
// primary Region: the replica goes DELETING, and its region's Node removes
// the pool and its items from that region only, then the record.
func (s *Replicas) DeleteUserPoolReplica(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolReplicaRequest) (*idp.DeleteUserPoolReplicaResponse, error) {
	if err := s.on(); err != nil {
		return nil, err
	}
	pool, region := cognito.Deref(in.UserPoolId), cognito.Deref(in.RegionName)
	if err := s.checkRegion(region); err != nil {
		return nil, err
	}
	var out *idp.UserPoolReplicaType
	err := s.o.Store.Tx(ctx, func(tx storage.Tx) error {
		set, _, err := s.load(ctx, tx, c, pool)
		if err != nil {
			return err
		}
		if c.Region != set.Primary {
			return cognito.InvalidParameterException(fmt.Sprintf("Delete a replica of user pool %s through its primary Region, %s.", pool, set.Primary))
		}
		r, ok := set.Replicas[region]
		switch {
		case !ok:
			return cognito.ResourceNotFoundException(fmt.Sprintf("User pool %s has no replica in Region %s.", pool, region))
		case region == set.Primary:
			return cognito.InvalidParameterException(fmt.Sprintf("The primary replica of user pool %s cannot be deleted; delete the user pool instead.", pool))
		case r.Status != StatusInactive:
			return cognito.InvalidParameterException(fmt.Sprintf("The replica of user pool %s in Region %s is %s: only an INACTIVE replica can be deleted (UpdateUserPoolReplica).", pool, region, r.Status))
		}
		if err := s.materialize(ctx, tx, pool, set); err != nil {
			return err
		}
		r.Status = StatusDeleting
		if err := s.write(ctx, tx, pool, r); err != nil {
			return err
		}
		out = s.wire(pool, set, r)
		return nil
	})
	if err != nil {
		return nil, internalUnlessCognito(err)
	}
	return &idp.DeleteUserPoolReplicaResponse{UserPoolReplica: out}, nil
}

// internalUnlessCognito passes a *cognito.Error through and makes any other
// error an internal one.
func internalUnlessCognito(err error) error {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return ce
	}
	return cognito.Internal(err)
}

// Replicated reports whether replication is configured: without it every
// region serves every pool's end users, and ServesEndUsers reads nothing.
func (s *Replicas) Replicated() bool { return s != nil && len(s.o.Peers) > 0 }

// ServesEndUsers checks that this region serves the end users of pool:
// that its replica of the pool is ACTIVE. As on Cognito, a replica that is
// CREATING or INACTIVE (or DELETING) accepts administrator operations only
// (UserPoolReplicaType: "INACTIVE — The replica has been created, but is
// not accepting requests for end-users"); the end-user operations, and the
// hosted UI's pages and OAuth endpoints, are refused with
// ResourceNotFoundException. A pool without a record for this region
// (replication off, a pool whose replicas nobody changed, or one this
// region does not hold, whose records are then missing too) is served as
// before. The record comes from the store's read cache, which a write of
// any replica record, local or replicated, drops.
func (s *Replicas) ServesEndUsers(ctx context.Context, pool string) error {
	if !s.Replicated() || pool == "" {
		return nil
	}
	it, err := s.o.Store.GetItem(ctx, ReplicaItemKind, replicaID(pool, s.o.Region))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return cognito.Internal(fmt.Errorf("get the replica of %q in %s: %w", pool, s.o.Region, err))
	}
	rep, err := decodeReplica(it)
	if err != nil {
		return cognito.Internal(err)
	}
	if rep.Status == StatusActive {
		return nil
	}
	return cognito.ResourceNotFoundException(fmt.Sprintf(
		"The replica of user pool %s in Region %s is %s: it does not accept requests of end users, only administrator operations.",
		pool, s.o.Region, rep.Status))
}
