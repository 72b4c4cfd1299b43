package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// flushChanges inserts the transaction's change-log entries, in call
// order, just before COMMIT. It first takes the change-log advisory lock
// (see doc.go), so entries commit in seq order; the insert, a later
// statement with its own READ COMMITTED snapshot, then reads the newest
// stored HLC and gives each entry a larger one, so HLCs increase with seq
// whichever node wrote the earlier entries. Both statements go in one round
// trip.
func (t *txn) flushChanges(ctx context.Context) error {
	n := len(t.changes)
	if n == 0 {
		return nil
	}
	var (
		hlcs              = make([]int64, n)
		kinds, ents, keys = make([]string, n), make([]string, n), make([]string, n)
		states            = make([][]byte, n)
	)
	for i, c := range t.changes {
		hlcs[i] = t.db.hlc.Now()
		kinds[i], ents[i], keys[i], states[i] = string(c.kind), string(c.entity), c.key, c.state
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, 'change_log'::regclass::oid::int4)`, changeLogLockClass)
	// GREATEST of two sequences that both increase with n increases with n,
	// and last + n keeps every HLC above the newest stored one.
	b.Queue(`WITH last AS (
			SELECT COALESCE((SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1), 0) AS hlc
		), ins AS (
			INSERT INTO change_log (region, hlc, kind, entity, "key", state)
			SELECT $1, GREATEST(c.hlc, last.hlc + c.n), c.kind, c.entity, c."key", c.state
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[])
				WITH ORDINALITY AS c(hlc, kind, entity, "key", state, n), last
			ORDER BY c.n
			RETURNING hlc
		)
		SELECT max(hlc) FROM ins`,
		t.db.region, hlcs, kinds, ents, keys, states)
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
	rows, err := db.pool.Query(ctx, `SELECT seq, region, hlc, kind, entity, "key", state
		FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.Change, error) {
		var (
			c            storage.Change
			kind, entity string
		)
		err := row.Scan(&c.Seq, &c.Region, &c.HLC, &kind, &entity, &c.Key, &c.State)
		c.Kind = storage.ChangeKind(kind)
		c.Entity = storage.Entity(entity)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}
	return changes, nil
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
// transaction under the compaction advisory lock. HLCs increase with seq,
// so the entries older than before are exactly those up to the last one
// with an older HLC.
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
			tag, err := t.tx.Exec(ctx, `DELETE FROM change_log AS c WHERE c.seq > $1 AND c.seq <= $2
				AND (c.kind IN ('delete', 'purge') OR c.entity = ANY($3::text[]) OR EXISTS (SELECT 1 FROM change_log AS later
					WHERE later.entity = c.entity AND later."key" = c."key" AND later.seq > c.seq))`,
				lo, hi, local)
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
