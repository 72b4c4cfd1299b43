package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// The marker statements (migration 0007): a marker is one row of
// use_markers, a WITHOUT ROWID table keyed by its ID, and an entry of the
// expiry index.
const (
	getMarkerQuery    = `SELECT id, expires_at, data FROM use_markers WHERE id = ?`
	createMarkerQuery = `INSERT INTO use_markers (id, expires_at, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	sweepMarkersQuery = `DELETE FROM use_markers WHERE id IN
		(SELECT id FROM use_markers WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`
	deletePoolMarkersQuery = `DELETE FROM use_markers WHERE id >= ? AND id < ?`
)

// markerArm is the arm of getItemsQuery that reads a marker by its ID as
// the columns of itemCols (storage.MarkerKind).
const markerArm = `'` + storage.MarkerKind + `', m.id, '', m.data, 0, 0, 1, NULL, NULL
		FROM use_markers m WHERE m.id = ?`

func getMarker(ctx context.Context, q querier, id string) (*storage.Marker, error) {
	var (
		m   storage.Marker
		exp int64
	)
	err := q.QueryRowContext(ctx, getMarkerQuery, id).Scan(&m.ID, &exp, &m.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get marker %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get marker %q: %w", id, err)
	}
	if len(m.Data) == 0 {
		m.Data = nil
	}
	m.ExpiresAt = fromMicros(exp)
	return &m, nil
}

// GetMarker returns the marker with id, or storage.ErrNotFound.
func (db *DB) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	return getMarker(ctx, db.reader(), id)
}

// GetMarker returns the marker with id, the transaction's own included,
// or storage.ErrNotFound.
func (t *txn) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	m, err := getMarker(ctx, t, id)
	return m, t.readErr(err)
}

// CreateMarker stores m, or returns storage.ErrAlreadyExists when a marker
// has its ID. The single writer connection orders it after every other
// transaction's, so a marker another transaction created is either
// committed (and refused here) or not created at all.
func (t *txn) CreateMarker(ctx context.Context, m *storage.Marker) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := storage.CheckMarker(m); err != nil {
		return err
	}
	res, err := t.ExecContext(ctx, createMarkerQuery, m.ID, toMicros(m.ExpiresAt), nullIfEmpty(m.Data))
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: create marker %q: %w", m.ID, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: create marker %q: %w", m.ID, err))
	}
	if n == 0 {
		return fmt.Errorf("create marker %q: %w", m.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// SweepMarkers deletes up to limit markers that expired before before,
// oldest first, in one write transaction.
func (db *DB) SweepMarkers(ctx context.Context, before time.Time, limit int) (int64, error) {
	if limit <= 0 {
		return 0, nil
	}
	var n int64
	err := db.run(ctx, func(t *txn) error {
		res, err := t.ExecContext(ctx, sweepMarkersQuery, toMicros(before), limit)
		if err != nil {
			return fmt.Errorf("sqlite: sweep markers: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// deletePoolMarkers deletes the markers of pool (IDs under "<pool>/").
func (t *txn) deletePoolMarkers(ctx context.Context, pool string) error {
	if _, err := t.ExecContext(ctx, deletePoolMarkersQuery, pool+"/", pool+"0"); err != nil {
		return t.fail(fmt.Errorf("sqlite: delete markers of pool %q: %w", pool, err))
	}
	return nil
}

// nullIfEmpty stores empty data as NULL.
func nullIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
