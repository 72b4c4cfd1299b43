package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// GetSetting returns the setting name, or storage.ErrNotFound.
func (db *DB) GetSetting(ctx context.Context, name string) (*storage.Setting, error) {
	var (
		s  storage.Setting
		us int64
	)
	err := db.r.QueryRowContext(ctx, `SELECT name, value, updated_at, version FROM settings WHERE name = ?`, name).
		Scan(&s.Name, &s.Value, &us, &s.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get setting %q: %w", name, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get setting %q: %w", name, err)
	}
	s.UpdatedAt = fromMicros(us)
	return &s, nil
}

// CreateSetting stores s with version 1 and sets s.Version to 1, or returns
// storage.ErrAlreadyExists.
func (db *DB) CreateSetting(ctx context.Context, s *storage.Setting) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at, version) VALUES (?, ?, ?, 1)`,
			s.Name, notNull(s.Value), toMicros(s.UpdatedAt))
		return err
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create setting %q: %w", s.Name, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create setting %q: %w", s.Name, err)
	}
	s.Version = 1
	return nil
}

// UpdateSetting replaces the setting when s.Version is the stored version
// and sets s.Version to the new one. It returns storage.ErrNotFound or
// storage.ErrConflict.
func (db *DB) UpdateSetting(ctx context.Context, s *storage.Setting) error {
	var missing bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE settings SET value = ?, updated_at = ?, version = version + 1
			WHERE name = ? AND version = ?`, notNull(s.Value), toMicros(s.UpdatedAt), s.Name, s.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM settings WHERE name = ?`, s.Name).Scan(&one)
		missing = errors.Is(err, sql.ErrNoRows)
		if err != nil && !missing {
			return err
		}
		return storage.ErrConflict
	})
	switch {
	case missing:
		return fmt.Errorf("update setting %q: %w", s.Name, storage.ErrNotFound)
	case errors.Is(err, storage.ErrConflict):
		return fmt.Errorf("update setting %q: %w", s.Name, storage.ErrConflict)
	case err != nil:
		return fmt.Errorf("sqlite: update setting %q: %w", s.Name, err)
	}
	s.Version++
	return nil
}
