package postgres

import (
	"context"
	"fmt"

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
	br := t.tx.SendBatch(ctx, b)
	_, err := br.Exec()
	var last int64
	if err == nil {
		err = br.QueryRow().Scan(&last)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return t.fail(fmt.Errorf("postgres: append changes: %w", err))
	}
	t.db.hlc.Observe(last)
	t.changes = nil
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
