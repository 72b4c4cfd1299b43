package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// appendChange writes one change-log entry inside the transaction. It first
// observes the newest stored HLC, so the entry's HLC is greater than every
// earlier entry's even if another process wrote them.
func (t *txn) appendChange(ctx context.Context, kind storage.ChangeKind, entity storage.Entity, key string, state []byte) error {
	var last int64
	err := t.QueryRowContext(ctx, `SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t.fail(fmt.Errorf("sqlite: append change: %w", err))
	}
	t.db.hlc.Observe(last)
	_, err = t.ExecContext(ctx, `INSERT INTO change_log (region, hlc, kind, entity, "key", state)
		VALUES (?, ?, ?, ?, ?, ?)`,
		t.db.region, t.db.hlc.Now(), string(kind), string(entity), key, state)
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: append change: %w", err))
	}
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
		return nil, fmt.Errorf("sqlite: changes: limit %d is not positive", limit)
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT seq, region, hlc, kind, entity, "key", state
		FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	defer rows.Close()
	var changes []storage.Change
	for rows.Next() {
		var (
			c            storage.Change
			kind, entity string
		)
		if err := rows.Scan(&c.Seq, &c.Region, &c.HLC, &kind, &entity, &c.Key, &c.State); err != nil {
			return nil, fmt.Errorf("sqlite: changes: %w", err)
		}
		c.Kind = storage.ChangeKind(kind)
		c.Entity = storage.Entity(entity)
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	return changes, nil
}
