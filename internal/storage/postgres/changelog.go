package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// flushChanges inserts the transaction's change-log entries, in call
// order, just before COMMIT. It first takes the change-log advisory lock
// (see doc.go), so entries commit in seq order; the insert, a later
// statement with its own READ COMMITTED snapshot, then reads the greatest
// stored HLC and gives each of the store's own entries a larger one, so
// that a record's entries keep increasing HLCs with seq whichever node
// wrote the earlier ones. An entry applied from another region
// (ApplyAs) keeps its origin's region and HLC, which may be older than
// entries before it. Both statements go in one round trip.
func (t *txn) flushChanges(ctx context.Context) error {
	n := len(t.changes)
	if n == 0 {
		return nil
	}
	var (
		hlcs, fixed       = make([]int64, n), make([]int64, n)
		kinds, ents, keys = make([]string, n), make([]string, n), make([]string, n)
		regions           = make([]string, n)
		states            = make([][]byte, n)
		pools             = make([]*string, n)
	)
	for i, c := range t.changes {
		hlcs[i] = t.db.hlc.Now()
		kinds[i], ents[i], keys[i], states[i] = string(c.kind), string(c.entity), c.key, c.state
		regions[i], fixed[i] = c.region, c.hlc
		if c.pool != "" {
			pools[i] = &c.pool
		}
	}
	var actor *string
	if len(t.actor) > 0 {
		a := string(t.actor)
		actor = &a
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, 'change_log'::regclass::oid::int4)`, changeLogLockClass)
	// GREATEST of two sequences that both increase with n increases with n,
	// and last + n keeps every HLC above the newest stored one.
	b.Queue(`WITH last AS (
			SELECT COALESCE((SELECT max(hlc) FROM change_log), 0) AS hlc
		), ins AS (
			INSERT INTO change_log (region, hlc, kind, entity, "key", state, pool, actor)
			SELECT CASE WHEN c.fixed > 0 THEN c.region ELSE $1 END,
				CASE WHEN c.fixed > 0 THEN c.fixed ELSE GREATEST(c.hlc, last.hlc + c.n) END,
				c.kind, c.entity, c."key", c.state, c.pool, $10
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::bigint[], $9::text[])
				WITH ORDINALITY AS c(hlc, kind, entity, "key", state, region, fixed, pool, n), last
			ORDER BY c.n
			RETURNING hlc
		)
		SELECT max(hlc) FROM ins`,
		t.db.region, hlcs, kinds, ents, keys, states, regions, fixed, pools, actor)
	// The read caches' notification, in the same round trip (it is
	// delivered at the commit wherever in the transaction it is sent).
	prefix, notify := t.notification()
	if notify {
		b.Queue(notifyQuery, prefix)
	}
	br := t.tx.SendBatch(ctx, b)
	_, err := br.Exec()
	var last int64
	if err == nil {
		err = br.QueryRow().Scan(&last)
	}
	if err == nil && notify {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return t.fail(fmt.Errorf("postgres: append changes: %w", err))
	}
	t.db.hlc.Observe(last)
	t.changes = nil
	t.notified = t.notified || notify
	return nil
}

// ApplyAs makes the entries the transaction logs from now on carry the
// origin region and hlc of a change made in another region ("" and 0: the
// store's own again).
func (t *txn) ApplyAs(region string, hlc int64) {
	t.originRegion, t.originHLC = region, hlc
	t.db.hlc.Observe(hlc)
}

// LastChange returns the newest stored change-log entry of entity/key, or
// storage.ErrNotFound. The entries of this transaction's own writes are
// inserted at commit, so it does not see them.
func (t *txn) LastChange(ctx context.Context, entity storage.Entity, key string) (*storage.Change, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var (
		c    storage.Change
		kind string
	)
	var pool, actor *string
	err := t.tx.QueryRow(ctx, `SELECT seq, region, hlc, kind, state, pool, actor FROM change_log
		WHERE entity = $1 AND "key" = $2 ORDER BY seq DESC LIMIT 1`, string(entity), key).
		Scan(&c.Seq, &c.Region, &c.HLC, &kind, &c.State, &pool, &actor)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("last change of %s %q: %w", entity, key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, t.fail(fmt.Errorf("postgres: last change of %s %q: %w", entity, key, err))
	}
	c.Kind, c.Entity, c.Key = storage.ChangeKind(kind), entity, key
	c.Pool, c.Actor = deref(pool), decodeActor(actor)
	return &c, nil
}

// Tombstone erases the entries of entity/key and logs its delete entry,
// with the pool the newest of them named.
func (t *txn) Tombstone(ctx context.Context, entity storage.Entity, key string) error {
	if err := t.check(); err != nil {
		return err
	}
	var pool *string
	err := t.tx.QueryRow(ctx, `SELECT pool FROM change_log
		WHERE entity = $1 AND "key" = $2 ORDER BY seq DESC LIMIT 1`, string(entity), key).Scan(&pool)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return t.fail(fmt.Errorf("postgres: tombstone %s %q: %w", entity, key, err))
	}
	p := deref(pool)
	if entity == storage.EntityUserPool {
		p = key
	}
	if err := t.eraseChanges(ctx, entity, key); err != nil {
		return err
	}
	t.logChange(storage.ChangeDelete, entity, key, p, nil)
	return nil
}

// maxHLCQuery reads the newest HLC in the change log (NULL when it is
// empty). It is max() over change_log_hlc (migration 0003), so it reads one
// index entry however long the log is; without the index it would scan the
// whole log at every start.
const maxHLCQuery = `SELECT max(hlc) FROM change_log`

// Changes returns up to limit change-log entries with Seq > afterSeq, in Seq
// order.
func (db *DB) Changes(ctx context.Context, afterSeq int64, limit int) ([]storage.Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: changes: limit %d is not positive", limit)
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, region, hlc, kind, entity, "key", state, pool, actor
		FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}
	changes, err := pgx.CollectRows(rows, scanChange)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}
	return changes, nil
}

// PoolChanges returns up to limit change-log entries of pool with Seq <
// beforeSeq (any when it is 0), newest first, through the (pool, seq)
// index.
func (db *DB) PoolChanges(ctx context.Context, pool string, beforeSeq int64, limit int) ([]storage.Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: changes of pool %q: limit %d is not positive", pool, limit)
	}
	if beforeSeq <= 0 {
		beforeSeq = math.MaxInt64
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, region, hlc, kind, entity, "key", state, pool, actor
		FROM change_log WHERE pool = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, pool, beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes of pool %q: %w", pool, err)
	}
	changes, err := pgx.CollectRows(rows, scanChange)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes of pool %q: %w", pool, err)
	}
	return changes, nil
}

// scanChange reads a row of change-log columns (seq, region, hlc, kind,
// entity, key, state, pool, actor).
func scanChange(row pgx.CollectableRow) (storage.Change, error) {
	var (
		c            storage.Change
		kind, entity string
		pool, actor  *string
	)
	err := row.Scan(&c.Seq, &c.Region, &c.HLC, &kind, &entity, &c.Key, &c.State, &pool, &actor)
	c.Kind = storage.ChangeKind(kind)
	c.Entity = storage.Entity(entity)
	c.Pool, c.Actor = deref(pool), decodeActor(actor)
	return c, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func decodeActor(s *string) *storage.Actor {
	if s == nil {
		return nil
	}
	return storage.DecodeActor([]byte(*s))
}

// eraseChanges deletes every change-log entry of the record entity/key, as
// deleting the record does before it logs the tombstone: the stored ones,
// and the ones this transaction has yet to insert.
func (t *txn) eraseChanges(ctx context.Context, entity storage.Entity, key string) error {
	t.changes = slices.DeleteFunc(t.changes, func(c pendingChange) bool { return c.entity == entity && c.key == key })
	err := t.erase(ctx, `DELETE FROM change_log WHERE entity = $1 AND "key" = $2 RETURNING hlc`, string(entity), key)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: erase changes of %s %q: %w", entity, key, err))
	}
	return nil
}

// eraseChangesOfItems deletes every change-log entry of the items of kind
// with ids, as DeleteItems does once it has deleted them.
func (t *txn) eraseChangesOfItems(ctx context.Context, kind string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	t.changes = slices.DeleteFunc(t.changes, func(c pendingChange) bool {
		return c.entity == storage.Entity(kind) && slices.Contains(ids, c.key)
	})
	err := t.erase(ctx, `DELETE FROM change_log WHERE entity = $1 AND "key" = ANY($2) RETURNING hlc`, kind, ids)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: erase changes of %d %s: %w", len(ids), kind, err))
	}
	return nil
}

// erase runs a DELETE of change-log entries that returns their HLCs, and
// advances the clock past them: the entries that follow keep sorting after
// every entry ever written, even one erased since.
func (t *txn) erase(ctx context.Context, query string, args ...any) error {
	rows, err := t.tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	hlcs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, h := range hlcs {
		t.db.hlc.Observe(h)
	}
	return nil
}

// compactBatch is how many consecutive sequence numbers one compaction
// transaction covers.
const compactBatch = 1000

// CompactChanges removes the change-log entries older than before that a
// later entry of the same record supersedes, the delete and purge entries
// older than before, and the entries older than before of a kind now
// declared local (storage.LocalKinds: written before the kind was), never
// the newest entry of the log. It walks
// the log in ranges of compactBatch sequence numbers, each in its own
// transaction under the compaction advisory lock. The store's own entries
// have HLCs that increase with seq; an entry applied from another region
// carries its origin's, which may be older than entries before it, so the
// range ends at the last entry with an older HLC and each entry in it is
// checked against before too.
func (db *DB) CompactChanges(ctx context.Context, before time.Time) (int64, error) {
	var first, last, newest *int64
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT min(seq) FROM change_log),
		(SELECT seq FROM change_log WHERE hlc < $1 ORDER BY hlc DESC LIMIT 1),
		(SELECT max(seq) FROM change_log)`, storage.HLCAt(before)).Scan(&first, &last, &newest)
	if err != nil {
		return 0, fmt.Errorf("postgres: compact changes: %w", err)
	}
	if last == nil {
		return 0, nil
	}
	end := min(*last, *newest-1)
	local := storage.LocalKinds()
	var removed int64
	for lo := *first - 1; lo < end; lo += compactBatch {
		hi := min(lo+compactBatch, end)
		err := db.run(ctx, func(t *txn) error {
			if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 'change_log'::regclass::oid::int4)`, compactLockClass); err != nil {
				return t.fail(err)
			}
			tag, err := t.tx.Exec(ctx, `DELETE FROM change_log AS c WHERE c.seq > $1 AND c.seq <= $2 AND c.hlc < $4
				AND (c.kind IN ('delete', 'purge') OR c.entity = ANY($3::text[]) OR EXISTS (SELECT 1 FROM change_log AS later
					WHERE later.entity = c.entity AND later."key" = c."key" AND later.seq > c.seq))`,
				lo, hi, local, storage.HLCAt(before))
			if err != nil {
				return t.fail(err)
			}
			removed += tag.RowsAffected()
			return nil
		})
		if err != nil {
			return removed, fmt.Errorf("postgres: compact changes: %w", err)
		}
	}
	return removed, nil
}

// ForgetPool removes the pool id, its items of every kind but keep and
// their change-log entries, the pool's own entries and those keyed by it,
// and logs nothing.
func (t *txn) ForgetPool(ctx context.Context, id, keep string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	t.cachedWritten = true
	rows, err := t.tx.Query(ctx, `WITH RECURSIVE k(kind) AS (
			SELECT min(kind) FROM items
			UNION ALL
			SELECT (SELECT min(kind) FROM items WHERE kind > k.kind) FROM k WHERE k.kind IS NOT NULL)
		SELECT kind FROM k WHERE kind IS NOT NULL AND kind <> $2
			AND EXISTS (SELECT 1 FROM items WHERE items.kind = k.kind AND pool = $1)`, id, keep)
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: kinds of pool %q: %w", id, err))
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: kinds of pool %q: %w", id, err))
	}
	var total int64
	for _, kind := range kinds {
		t.noteWrite(kind)
		n, err := t.purge(ctx, kind, id, true, false)
		if err != nil {
			return 0, err
		}
		total += n
	}
	// The pool's own entries and the purge entries keyed by it, walked
	// through the (entity, key) index one probe an entity.
	t.changes = slices.DeleteFunc(t.changes, func(c pendingChange) bool { return c.key == id && string(c.entity) != keep })
	err = t.erase(ctx, `WITH RECURSIVE e(entity) AS (
			SELECT min(entity) FROM change_log
			UNION ALL
			SELECT (SELECT min(entity) FROM change_log WHERE entity > e.entity) FROM e WHERE e.entity IS NOT NULL)
		DELETE FROM change_log WHERE entity IN (SELECT entity FROM e WHERE entity IS NOT NULL AND entity <> $2)
			AND "key" = $1 RETURNING hlc`, id, keep)
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: forget the entries of pool %q: %w", id, err))
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM user_pools WHERE id = $1`, id); err != nil {
		return 0, t.fail(fmt.Errorf("postgres: forget pool %q: %w", id, err))
	}
	return total, nil
}
