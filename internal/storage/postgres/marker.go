package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// The marker statements (migration 0007): a marker is one row of
// use_markers, keyed by its ID, and an entry of the expiry index.
const (
	getMarkerQuery = `SELECT id, expires_at, data FROM use_markers WHERE id = $1`
	// createMarkerQuery inserts with ON CONFLICT DO NOTHING, which waits
	// for a concurrent inserter of the same ID to finish instead of
	// failing (a unique_violation would abort the whole transaction), and
	// then inserts nothing if that one committed.
	createMarkerQuery = `INSERT INTO use_markers (id, expires_at, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	sweepMarkersQuery = `DELETE FROM use_markers WHERE id IN
		(SELECT id FROM use_markers WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)`
	deletePoolMarkersQuery = `DELETE FROM use_markers WHERE id >= $1 AND id < $2`
)

// markerArm is the arm of getItemsQuery that reads a marker by its ID (the
// parameter numbered by the %d) as the columns of itemCols
// (storage.MarkerKind).
const markerArm = `'` + storage.MarkerKind + `'::text, m.id, ''::text, m.data, 'epoch'::timestamptz, 'epoch'::timestamptz, 1::bigint, NULL::text[], NULL::text[]
		FROM use_markers m WHERE m.id = $%d`

func getMarker(ctx context.Context, q querier, id string) (*storage.Marker, error) {
	var m storage.Marker
	err := q.QueryRow(ctx, getMarkerQuery, id).Scan(&m.ID, &m.ExpiresAt, &m.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get marker %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get marker %q: %w", id, err)
	}
	if len(m.Data) == 0 {
		m.Data = nil
	}
	m.ExpiresAt = m.ExpiresAt.UTC()
	return &m, nil
}

// GetMarker returns the marker with id, or storage.ErrNotFound.
func (db *DB) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	return getMarker(ctx, db.pool, id)
}

// GetMarker returns the marker with id, the transaction's own included,
// or storage.ErrNotFound. It takes no lock: at READ COMMITTED it sees
// every marker committed before the statement starts.
func (t *txn) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	m, err := getMarker(ctx, t.tx, id)
	return m, t.readErr(err)
}

// CreateMarker stores m, or returns storage.ErrAlreadyExists when a marker
// has its ID, waiting for a transaction creating the same marker to end.
func (t *txn) CreateMarker(ctx context.Context, m *storage.Marker) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := storage.CheckMarker(m); err != nil {
		return err
	}
	var data []byte
	if len(m.Data) > 0 {
		data = m.Data
	}
	tag, err := t.tx.Exec(ctx, createMarkerQuery, m.ID, m.ExpiresAt, data)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: create marker %q: %w", m.ID, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create marker %q: %w", m.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// SweepMarkers deletes up to limit markers that expired before before,
// oldest first, in one statement.
func (db *DB) SweepMarkers(ctx context.Context, before time.Time, limit int) (int64, error) {
	if limit <= 0 {
		return 0, nil
	}
	if err := db.newer.Err(); err != nil {
		return 0, err
	}
	tag, err := db.pool.Exec(ctx, sweepMarkersQuery, before, limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: sweep markers: %w", err)
	}
	return tag.RowsAffected(), nil
}

// deletePoolMarkers deletes the markers of pool (IDs under "<pool>/").
func (t *txn) deletePoolMarkers(ctx context.Context, pool string) error {
	if _, err := t.tx.Exec(ctx, deletePoolMarkersQuery, pool+"/", pool+"0"); err != nil {
		return t.fail(fmt.Errorf("postgres: delete markers of pool %q: %w", pool, err))
	}
	return nil
}
