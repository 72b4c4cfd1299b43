// Package replication ships the change log between regions and applies the
// changes of the other regions, so that every region of a topology accepts
// writes and converges to the same state (docs/regions.md).
//
// The feed is the store's change log: every mutation of a replicated kind
// writes an entry (origin region, HLC, the record's complete new state or a
// tombstone) in the transaction that makes it. A Node publishes the entries
// its own region wrote to a JetStream stream of that region
// (COGNATE_CHANGES_<region>, subject cognate.changes.<region>), at least
// once: each message carries the entry's region and sequence number as its
// JetStream message ID, so a resend after a crash is dropped by the stream's
// duplicate window, and the position published is kept in the store
// (a storage.Setting), so a restarted node resumes where it stopped.
//
// Every other region consumes each peer's stream through a durable pull
// consumer of its own (apply_<region>) and applies each entry in one
// transaction of the store's (storage.ReplicaTx), acknowledging it after the
// commit. Applying is idempotent and decided per record, the same way in
// every region:
//
//   - An entry applies only when it is newer, by (HLC, origin region), than
//     the newest entry the local log holds for that record (storage.Newer);
//     an older or the same entry is dropped. So a delayed message never
//     undoes a later state, a deletion's tombstone included (tombstones stay
//     in the log for change_log.retention), and a redelivered one changes
//     nothing.
//   - An applied entry is written with its origin region and HLC in the
//     local log, so it is never published again, and the local clock moves
//     past it.
//   - A kind with a merge function (users: Options.Merge) keeps the
//     security state of the losing side when it is newer than the
//     winner's: a password changed or a user disabled in one region is not
//     undone by an attribute update made concurrently in another. When the merge changes
//     the winner, the merged state is written as a new local change, which
//     replicates to every region.
//   - A deletion is final for the record it deleted: a state of the record
//     made before the deletion, or concurrently with it where it was not
//     seen yet, is dropped whatever its HLC, and a deletion that arrives
//     after such a state still deletes; only a record made anew under the
//     same ID after the deletion (by its CreatedAt) is applied.
//   - No item of a deleted pool is applied.
//   - A unique key (a username, an alias, a domain prefix) claimed by two
//     records, in regions that had not seen each other's claim, goes to
//     the record made first (by CreatedAt to the millisecond, then ID);
//     the other gives it up through its kind's YieldFunc (Options.Yield:
//     users are renamed and disabled, aliases unverified), or is deleted
//     where the kind has none. A region that receives the loser writes it
//     without the key under the loser's origin; a region that holds the
//     loser when the winner arrives writes the yield as a new local
//     change, which replicates, so the loser's own region and every other
//     reach the same state. Two pools' items under one ID (a domain
//     prefix) are settled alike: the one made first keeps the ID. Each
//     settled conflict is counted and logged with both records.
//
// # Which regions hold a pool
//
// A pool's replica set is written as replicated records of kind
// user_pool_replica (ReplicaItemKind), one per pool and region, kept in
// every region; a pool without records lives where Options.DefaultPoolRegions
// says (every peer, or its own region). A Node applies a pool's entries only
// while its region holds the pool; the others are acknowledged unapplied.
// A region that has a pool's row but no record of its own in a set that
// has records holds it too (applies, and the replica API through that
// region, by the one rule replicaSet.heldBy): the records of a set written
// in one transaction elsewhere arrive one at a time, and a region only stops
// holding a pool by removing its row with its record: forget does, and so
// does Apply when another region's entry deletes this region's record
// (forgetIfOwnRecord). A row whose record's deletion the change log holds
// is not held (a deletion applied without forgetting the pool).
// Replicas is the engine of Cognito's replica API on those records. The
// replicating Node of each region acts on its own records (Reconcile): a
// CREATING replica is copied from a snapshot of every region that holds the
// pool (snapshot.go: the newest change-log entry of each record, paged over
// NATS request-reply and applied with Apply), then set ACTIVE; a DELETING one
// is removed from the local store with storage.ReplicaTx.ForgetPool, which
// logs nothing, then its record deleted. Reseed rebuilds a region from its
// peers' snapshots the same way. ServesEndUsers tells the edges whether the
// local replica of a pool accepts end users' requests (ACTIVE, or no
// record), reading the record through the store's read cache.
//
// # Imports
//
// It may import, inside cognate, only internal/storage and internal/cognito
// (with internal/cognito/idp, the replica API's wire types);
// the engines' merge functions reach it as MergeFunc values, wired in
// cmd/cognate. deps_test.go enforces it.
package replication
