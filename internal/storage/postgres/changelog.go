package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// appendChange writes one change-log entry inside the mutation's
// transaction. It takes the change-log advisory lock first (see doc.go), so
// entries commit in seq order, then observes the newest stored HLC, so the
// entry's HLC exceeds every earlier entry's whichever node wrote them.
func (db *DB) appendChange(ctx context.Context, tx pgx.Tx, kind storage.ChangeKind, entity storage.Entity, key string, state []byte) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 'change_log'::regclass::oid::int4)`,
		changeLogLockClass); err != nil {
		return fmt.Errorf("postgres: append change: lock: %w", err)
	}
	var last int64
	err := tx.QueryRow(ctx, `SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: append change: %w", err)
	}
	db.hlc.Observe(last)
	_, err = tx.Exec(ctx, `INSERT INTO change_log (region, hlc, kind, entity, "key", state)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		db.region, db.hlc.Now(), string(kind), string(entity), key, state)
	if err != nil {
		return fmt.Errorf("postgres: append change: %w", err)
	}
	return nil
}

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
