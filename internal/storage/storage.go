package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists means a record with the same key exists.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict means the record changed since it was read: the caller's
	// expected version is not the stored one. Exactly one of two racing
	// writers that read the same version wins; the other gets ErrConflict.
	ErrConflict = errors.New("storage: conflict")
)

// UserPool is a stored user pool. Config holds the pool's complete
// description as JSON (the shape DescribeUserPool returns), so that every
// member Cognito returns round-trips without a column per member; the
// columns beside it are the ones the store indexes or lists by.
type UserPool struct {
	// ID is the pool ID, <region>_<9 alphanumerics>.
	ID string
	// Region is the region the pool lives in.
	Region string
	// Name is the pool name (not unique: Cognito allows duplicates).
	Name string
	// Config is the pool description as JSON.
	Config []byte
	// CreatedAt and UpdatedAt are set by the caller.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts writes. Create stores version 1. Update and Delete
	// require the caller's Version to equal the stored one, and Update
	// stores Version+1 and sets the caller's Version to it.
	Version int64
}

// ListUserPoolsInput selects a page of pools in one region, or in every
// region, ordered by ID.
type ListUserPoolsInput struct {
	// Region selects the pools of one region; "" selects every pool.
	Region string
	// AfterID starts the page after this pool ID ("" for the first page).
	AfterID string
	// Limit is the page size; it must be positive.
	Limit int
}

// ChangeKind is the kind of change a change-log entry records.
type ChangeKind string

// Change kinds.
const (
	ChangeCreate ChangeKind = "create"
	ChangeUpdate ChangeKind = "update"
	ChangeDelete ChangeKind = "delete"
)

// Entity names the record type a change-log entry is about.
type Entity string

// Entities.
const (
	EntityUserPool Entity = "user_pool"
)

// Change is one change-log entry, written in the same transaction as the
// mutation it records.
//
// The change log does not keep every past state forever. What it keeps:
//
//   - Erasure: deleting a record (DeleteItem, DeleteUserPool, DeleteItems,
//     DeletePoolItems)
//     removes, in the same transaction, every earlier entry of that record,
//     so that nothing of a deleted record (a deleted user's attributes, a
//     deleted client's secrets) remains in the log but its tombstone, a
//     delete or purge entry with no state.
//   - Compaction (Store.CompactChanges): once older than the retention the
//     caller chooses, an entry superseded by a later entry of the same
//     record goes, and so do delete and purge entries.
//
// So the newest state of every live record stays in the log whatever its
// age, and a consumer that reads the log within the retention sees every
// delete. Seq values therefore have gaps; a consumer that falls behind by
// more than the retention sees a record's newest state, not each one it
// went through.
type Change struct {
	// Seq increases strictly with every entry of one store.
	Seq int64
	// Region is the origin region of the change (the store's configured
	// region), used by replication to skip its own changes.
	Region string
	// HLC is a hybrid-logical-clock timestamp: wall-clock milliseconds in
	// the high 48 bits and a logical counter in the low 16 bits. It never
	// decreases within a store, even if the wall clock steps back.
	HLC int64
	// Kind is create, update or delete.
	Kind ChangeKind
	// Entity and Key identify the record (for pools, Key is the pool ID).
	Entity Entity
	Key    string
	// State is the complete new state of the record as JSON, or nil for a
	// delete (a tombstone).
	State []byte
	// Pool is the ID of the user pool the record belongs to (the pool
	// itself for a pool's own entries and for purges), or "" for records
	// of no pool and for entries written before the log recorded pools.
	Pool string
	// Actor is who made the change (WithActor), or nil when nobody did on
	// a caller's behalf (background work) or the entry predates actors.
	// Replication carries it to the other regions with the state.
	Actor *Actor
}

// Store is the persistence interface. Every mutating method is atomic: the
// record and its change-log entry are written in one transaction or not at
// all.
type Store interface {
	// ItemReader reads items outside any transaction, without locking.
	ItemReader
	// Transactor runs several reads and writes as one transaction; items
	// are written only through it.
	Transactor
	// ReadTransactor runs several reads together, the way a request that
	// only reads runs them.
	ReadTransactor
	// Settings keeps the store-wide settings.
	Settings
	// MarkerReader and MarkerSweeper read use markers (Tx.CreateMarker
	// writes them) and remove the expired ones.
	MarkerReader
	MarkerSweeper

	// CreateUserPool stores p with Version 1, or returns ErrAlreadyExists.
	CreateUserPool(ctx context.Context, p *UserPool) error
	// GetUserPool returns the pool with id, or ErrNotFound.
	GetUserPool(ctx context.Context, id string) (*UserPool, error)
	// UpdateUserPool replaces the pool when p.Version is the stored version,
	// then sets p.Version to the new version. It returns ErrNotFound or
	// ErrConflict.
	UpdateUserPool(ctx context.Context, p *UserPool) error
	// DeleteUserPool deletes the pool with id when version is the stored
	// version. It returns ErrNotFound or ErrConflict.
	DeleteUserPool(ctx context.Context, id string, version int64) error
	// ListUserPools returns up to in.Limit pools of in.Region (of every
	// region when it is "") with IDs greater than in.AfterID, ordered by ID.
	ListUserPools(ctx context.Context, in ListUserPoolsInput) ([]*UserPool, error)

	// Changes returns up to limit change-log entries with Seq > afterSeq,
	// in Seq order.
	Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// PoolChanges returns up to limit change-log entries of pool (Change.Pool)
	// with Seq < beforeSeq (every entry when beforeSeq is 0), newest first:
	// who changed what in a pool. It reads the (pool, seq) index, so its
	// cost grows with the entries returned, not with the log.
	PoolChanges(ctx context.Context, pool string, beforeSeq int64, limit int) ([]Change, error)
	// CompactChanges removes the change-log entries with an HLC time before
	// before that no consumer needs any more (see Change): every entry
	// superseded by a later entry of the same entity and key, and every
	// delete and purge entry. It never removes the newest entry of the log,
	// which start-up reads the HLC from. It works in batches, each in a
	// transaction of its own so that writers are not held up, and returns
	// how many entries it removed.
	CompactChanges(ctx context.Context, before time.Time) (int64, error)

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Migrator is implemented by stores with schema migrations.
type Migrator interface {
	// Migrate applies every pending migration and returns how many it applied.
	Migrate(ctx context.Context) (int, error)
}

// SchemaGuard is implemented by stores that notice, while they serve, that
// a newer release has migrated their database: a rolling upgrade's new
// node applies a migration the running old nodes do not know, whose layout
// they would go on writing in the old way (after 0007 moved use markers to
// a table of their own, an old node would let a Session be used once on
// each version).
type SchemaGuard interface {
	// CheckSchema reads the versions the database's schema_migrations
	// lists and returns an error wrapping ErrSchemaNewer when one of them
	// is newer than this binary knows, as Migrate does at start. From then
	// on the store refuses every write transaction with that error, and
	// CheckSchema returns it without reading again: the node must stop.
	CheckSchema(ctx context.Context) error
}
