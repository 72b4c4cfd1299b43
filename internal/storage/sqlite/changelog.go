package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// appendChange writes one change-log entry of a record of pool ("" for
// none) inside the transaction, with an HLC greater than every earlier
// entry's and the transaction's actor.
func (t *txn) appendChange(ctx context.Context, kind storage.ChangeKind, entity storage.Entity, key, pool string, state []byte) error {
	// No need to read the newest entry's HLC first: this process is the
	// file's only writer (the lock), its clock observed the newest entry at
	// Open, and every entry written since came from that clock.
	region, hlc := t.db.region, t.originHLC
	if t.originRegion != "" {
		region = t.originRegion
	} else {
		hlc = t.db.hlc.Now()
	}
	_, err := t.ExecContext(point(ctx), `INSERT INTO change_log (region, hlc, kind, entity, "key", state, pool, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		region, hlc, string(kind), string(entity), key, state, nullString(pool), nullBytes(t.actor))
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: append change: %w", err))
	}
	return nil
}

// ApplyAs makes the entries the transaction writes from now on carry the
// origin region and hlc of a change made in another region.
func (t *txn) ApplyAs(region string, hlc int64) {
	t.originRegion, t.originHLC = region, hlc
	t.db.hlc.Observe(hlc)
}

// LastChange returns the newest change-log entry of entity/key, or
// storage.ErrNotFound.
func (t *txn) LastChange(ctx context.Context, entity storage.Entity, key string) (*storage.Change, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var (
		c    storage.Change
		kind string
	)
	var pool, actor sql.NullString
	err := t.QueryRowContext(point(ctx), `SELECT seq, region, hlc, kind, state, pool, actor FROM change_log
		WHERE entity = ? AND "key" = ? ORDER BY seq DESC LIMIT 1`, string(entity), key).
		Scan(&c.Seq, &c.Region, &c.HLC, &kind, &c.State, &pool, &actor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("last change of %s %q: %w", entity, key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, t.fail(fmt.Errorf("sqlite: last change of %s %q: %w", entity, key, err))
	}
	c.Kind, c.Entity, c.Key = storage.ChangeKind(kind), entity, key
	c.Pool, c.Actor = pool.String, storage.DecodeActor([]byte(actor.String))
	return &c, nil
}

// Tombstone erases the entries of entity/key and logs its delete entry,
// with the pool the newest of them named.
func (t *txn) Tombstone(ctx context.Context, entity storage.Entity, key string) error {
	if err := t.check(); err != nil {
		return err
	}
	var pool sql.NullString
	err := t.QueryRowContext(point(ctx), `SELECT pool FROM change_log
		WHERE entity = ? AND "key" = ? ORDER BY seq DESC LIMIT 1`, string(entity), key).Scan(&pool)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t.fail(fmt.Errorf("sqlite: tombstone %s %q: %w", entity, key, err))
	}
	if entity == storage.EntityUserPool {
		pool = sql.NullString{String: key, Valid: true}
	}
	if err := t.eraseChanges(ctx, entity, key); err != nil {
		return err
	}
	return t.appendChange(ctx, storage.ChangeDelete, entity, key, pool.String, nil)
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
		return nil, fmt.Errorf("sqlite: changes: limit %d is not positive", limit)
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT seq, region, hlc, kind, entity, "key", state, pool, actor
		FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	changes, err := scanChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	return changes, nil
}

// PoolChanges returns up to limit change-log entries of pool with Seq <
// beforeSeq (any when it is 0), newest first, through the (pool, seq)
// index.
func (db *DB) PoolChanges(ctx context.Context, pool string, beforeSeq int64, limit int) ([]storage.Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: changes of pool %q: limit %d is not positive", pool, limit)
	}
	if beforeSeq <= 0 {
		beforeSeq = math.MaxInt64
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT seq, region, hlc, kind, entity, "key", state, pool, actor
		FROM change_log WHERE pool = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, pool, beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes of pool %q: %w", pool, err)
	}
	changes, err := scanChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes of pool %q: %w", pool, err)
	}
	return changes, nil
}

// scanChanges reads the rows of a query of change-log entries (seq,
// region, hlc, kind, entity, key, state, pool, actor) and closes them.
func scanChanges(rows *sql.Rows) ([]storage.Change, error) {
	defer rows.Close()
	var changes []storage.Change
	for rows.Next() {
		var (
			c            storage.Change
			kind, entity string
			pool, actor  sql.NullString
		)
		if err := rows.Scan(&c.Seq, &c.Region, &c.HLC, &kind, &entity, &c.Key, &c.State, &pool, &actor); err != nil {
			return nil, err
		}
		c.Kind = storage.ChangeKind(kind)
		c.Entity = storage.Entity(entity)
		c.Pool, c.Actor = pool.String, storage.DecodeActor([]byte(actor.String))
		changes = append(changes, c)
	}
	return changes, rows.Err()
}

// nullString is s, or NULL when it is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBytes is b as text, or NULL when it is empty.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// eraseChanges deletes every change-log entry of the record entity/key, as
// deleting the record does before it logs the tombstone.
func (t *txn) eraseChanges(ctx context.Context, entity storage.Entity, key string) error {
	err := t.erase(ctx, `DELETE FROM change_log WHERE entity = ? AND "key" = ? RETURNING hlc`, string(entity), key)
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: erase changes of %s %q: %w", entity, key, err))
	}
	return nil
}

// eraseChangesOfPool deletes every change-log entry of the items of kind in
// pool, as DeleteItems does before it deletes them.
func (t *txn) eraseChangesOfPool(ctx context.Context, kind, pool string) error {
	err := t.erase(ctx, `DELETE FROM change_log WHERE entity = ? AND "key" IN
		(SELECT id FROM items WHERE kind = ? AND pool = ?) RETURNING hlc`, kind, kind, pool)
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: erase changes of %s of pool %q: %w", kind, pool, err))
	}
	return nil
}

// erase runs a DELETE of change-log entries that returns their HLCs, and
// advances the clock past them: the entries that follow keep sorting after
// every entry ever written, even one erased since.
func (t *txn) erase(ctx context.Context, query string, args ...any) error {
	rows, err := t.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hlc int64
		if err := rows.Scan(&hlc); err != nil {
			return err
		}
		t.db.hlc.Observe(hlc)
	}
	return rows.Err()
}

// compactBatch is how many consecutive sequence numbers one compaction
// transaction covers.
const compactBatch = 1000

// CompactChanges removes the change-log entries older than before that a
// later entry of the same record supersedes, the delete and purge entries
// older than before, and the entries older than before of a kind now
// declared local (storage.LocalKinds: written before the kind was), never
// the newest entry of the log. It walks
// the log in ranges of compactBatch sequence numbers, each in its own write
// transaction. The store's own entries have HLCs that increase with seq;
// an entry applied from another region carries its origin's HLC, which may
// be older than entries before it, so the range ends at the last entry with
// an older HLC and each entry in it is checked against before too.
func (db *DB) CompactChanges(ctx context.Context, before time.Time) (int64, error) {
	var first, last, newest sql.NullInt64
	err := db.reader().QueryRowContext(ctx, `SELECT
		(SELECT min(seq) FROM change_log),
		(SELECT seq FROM change_log WHERE hlc < ? ORDER BY hlc DESC LIMIT 1),
		(SELECT max(seq) FROM change_log)`, storage.HLCAt(before)).Scan(&first, &last, &newest)
	if err != nil {
		return 0, fmt.Errorf("sqlite: compact changes: %w", err)
	}
	if !last.Valid {
		return 0, nil
	}
	end := min(last.Int64, newest.Int64-1)
	local, err := json.Marshal(storage.LocalKinds())
	if err != nil {
		return 0, fmt.Errorf("sqlite: compact changes: %w", err)
	}
	var removed int64
	for lo := first.Int64 - 1; lo < end; lo += compactBatch {
		hi := min(lo+compactBatch, end)
		err := db.run(ctx, func(t *txn) error {
			res, err := t.ExecContext(ctx, `DELETE FROM change_log WHERE seq > ? AND seq <= ? AND hlc < ?
				AND (kind IN ('delete', 'purge') OR entity IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM change_log AS later
					WHERE later.entity = change_log.entity AND later."key" = change_log."key" AND later.seq > change_log.seq))`,
				lo, hi, storage.HLCAt(before), string(local))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			removed += n
			return err
		})
		if err != nil {
			return removed, fmt.Errorf("sqlite: compact changes: %w", err)
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
	kinds, err := t.kindsOfPool(ctx, id)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, kind := range kinds {
		if kind == keep {
			continue
		}
		n, err := t.purge(ctx, kind, id, true, false)
		if err != nil {
			return 0, err
		}
		total += n
	}
	// The pool's own entries and the purge entries keyed by it, walked
	// through the (entity, key) index one probe an entity.
	err = t.erase(ctx, `WITH RECURSIVE e(entity) AS (
			SELECT min(entity) FROM change_log
			UNION ALL
			SELECT (SELECT min(entity) FROM change_log WHERE entity > e.entity) FROM e WHERE e.entity IS NOT NULL)
		DELETE FROM change_log WHERE entity IN (SELECT entity FROM e WHERE entity IS NOT NULL AND entity <> ?)
			AND "key" = ? RETURNING hlc`, keep, id)
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: forget the entries of pool %q: %w", id, err))
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM user_pools WHERE id = ?`, id); err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: forget pool %q: %w", id, err))
	}
	return total, nil
}
