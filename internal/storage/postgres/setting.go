package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// GetSetting returns the setting name, or storage.ErrNotFound.
func (db *DB) GetSetting(ctx context.Context, name string) (*storage.Setting, error) {
	var s storage.Setting
	err := db.pool.QueryRow(ctx, `SELECT name, value, updated_at, version FROM settings WHERE name = $1`, name).
		Scan(&s.Name, &s.Value, &s.UpdatedAt, &s.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get setting %q: %w", name, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get setting %q: %w", name, err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return &s, nil
}

// CreateSetting stores s with version 1 and sets s.Version to 1, or returns
// storage.ErrAlreadyExists. ON CONFLICT DO NOTHING waits for a concurrent
// creator of the name, so exactly one of two racing creators wins.
func (db *DB) CreateSetting(ctx context.Context, s *storage.Setting) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO settings (name, value, updated_at, version) VALUES ($1, $2, $3, 1)
		ON CONFLICT (name) DO NOTHING`, s.Name, notNull(s.Value), s.UpdatedAt.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("postgres: create setting %q: %w", s.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create setting %q: %w", s.Name, storage.ErrAlreadyExists)
	}
	s.Version = 1
	return nil
}

// UpdateSetting replaces the setting when s.Version is the stored version
// and sets s.Version to the new one. It returns storage.ErrNotFound or
// storage.ErrConflict. The version check is in the UPDATE's WHERE clause,
// which PostgreSQL re-evaluates on the newest row when a concurrent update
// committed first, so exactly one of two racing updaters wins.
func (db *DB) UpdateSetting(ctx context.Context, s *storage.Setting) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `UPDATE settings SET value = $1, updated_at = $2, version = version + 1
		WHERE name = $3 AND version = $4`, notNull(s.Value), s.UpdatedAt.UTC().Truncate(time.Microsecond), s.Name, s.Version)
	if err != nil {
		return fmt.Errorf("postgres: update setting %q: %w", s.Name, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := db.GetSetting(ctx, s.Name); err != nil {
			return fmt.Errorf("update setting %q: %w", s.Name, err)
		}
		return fmt.Errorf("update setting %q: %w", s.Name, storage.ErrConflict)
	}
	s.Version++
	return nil
}
