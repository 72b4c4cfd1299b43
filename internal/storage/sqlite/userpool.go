package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// notNull returns b for a NOT NULL BLOB/BYTEA column (config, data): an
// empty slice when b is nil.
func notNull(c []byte) []byte {
	if c == nil {
		return []byte{}
	}
	return c
}

// CreateUserPool stores p with version 1 and sets p.Version to 1. It returns
// storage.ErrAlreadyExists if a pool with p.ID exists.
func (db *DB) CreateUserPool(ctx context.Context, p *storage.UserPool) error {
	return db.run(ctx, func(t *txn) error { return t.CreateUserPool(ctx, p) })
}

// GetUserPool returns the pool with id, or storage.ErrNotFound.
//
// The record comes from the read cache when this process has read it since
// the last write of a cached record (storage.ReadCache): a pool write is seen by
// every read that starts after the write's transaction returned.
func (db *DB) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	p, gen, ok := db.cache.Pool(id)
	if ok {
		return p, nil
	}
	p, err := getUserPool(ctx, db.reader(), id)
	if err != nil {
		return nil, err
	}
	db.cache.PutPool(p, gen)
	return p, nil
}

// UpdateUserPool replaces the pool when p.Version is the stored version and
// sets p.Version to the new version. It returns storage.ErrNotFound or
// storage.ErrConflict.
func (db *DB) UpdateUserPool(ctx context.Context, p *storage.UserPool) error {
	return db.run(ctx, func(t *txn) error { return t.UpdateUserPool(ctx, p) })
}

// DeleteUserPool deletes the pool with id when version is the stored
// version. It returns storage.ErrNotFound or storage.ErrConflict.
func (db *DB) DeleteUserPool(ctx context.Context, id string, version int64) error {
	return db.run(ctx, func(t *txn) error { return t.DeleteUserPool(ctx, id, version) })
}

func getUserPool(ctx context.Context, q querier, id string) (*storage.UserPool, error) {
	row := q.QueryRowContext(point(ctx), `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE id = ?`, id)
	p, err := scanUserPool(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get user pool %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get user pool %q: %w", id, err)
	}
	return p, nil
}

// CreateUserPool stores p with version 1 and sets p.Version to 1. It returns
// storage.ErrAlreadyExists if a pool with p.ID exists.
func (t *txn) CreateUserPool(ctx context.Context, p *storage.UserPool) error {
	if err := t.check(); err != nil {
		return err
	}
	t.cachedWritten = true
	rec := storage.NormalizeUserPool(p, 1)
	state, err := storage.EncodeUserPool(&rec)
	if err != nil {
		return err
	}
	_, err = t.ExecContext(point(ctx), `INSERT INTO user_pools
		(id, region, name, config, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		rec.ID, rec.Region, rec.Name, notNull(rec.Config),
		toMicros(rec.CreatedAt), toMicros(rec.UpdatedAt), rec.Version)
	if isUniqueViolation(err) {
		// The failed statement wrote nothing: the transaction goes on.
		return fmt.Errorf("create user pool %q: %w", p.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: create user pool %q: %w", p.ID, err))
	}
	if err := t.appendChange(ctx, storage.ChangeCreate, storage.EntityUserPool, rec.ID, rec.ID, state); err != nil {
		return err
	}
	p.Version = rec.Version
	return nil
}

// GetUserPool returns the pool with id, or storage.ErrNotFound. The single
// writer connection already excludes every other writer.
func (t *txn) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	p, err := getUserPool(ctx, t, id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, t.fail(err)
	}
	return p, err
}

// UpdateUserPool replaces the pool when p.Version is the stored version and
// sets p.Version to the new version. It returns storage.ErrNotFound or
// storage.ErrConflict.
func (t *txn) UpdateUserPool(ctx context.Context, p *storage.UserPool) error {
	if err := t.check(); err != nil {
		return err
	}
	t.cachedWritten = true
	rec := storage.NormalizeUserPool(p, p.Version+1)
	state, err := storage.EncodeUserPool(&rec)
	if err != nil {
		return err
	}
	res, err := t.ExecContext(point(ctx), `UPDATE user_pools
		SET region = ?, name = ?, config = ?, created_at = ?, updated_at = ?, version = ?
		WHERE id = ? AND version = ?`,
		rec.Region, rec.Name, notNull(rec.Config),
		toMicros(rec.CreatedAt), toMicros(rec.UpdatedAt), rec.Version,
		rec.ID, p.Version)
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: update user pool %q: %w", p.ID, err))
	}
	if err := t.checkAffected(ctx, res, "update", p.ID); err != nil {
		return err
	}
	if err := t.appendChange(ctx, storage.ChangeUpdate, storage.EntityUserPool, rec.ID, rec.ID, state); err != nil {
		return err
	}
	p.Version = rec.Version
	return nil
}

// DeleteUserPool deletes the pool with id when version is the stored
// version. It returns storage.ErrNotFound or storage.ErrConflict.
func (t *txn) DeleteUserPool(ctx context.Context, id string, version int64) error {
	if err := t.check(); err != nil {
		return err
	}
	t.cachedWritten = true
	res, err := t.ExecContext(ctx,
		`DELETE FROM user_pools WHERE id = ? AND version = ?`, id, version)
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: delete user pool %q: %w", id, err))
	}
	if err := t.checkAffected(ctx, res, "delete", id); err != nil {
		return err
	}
	if err := t.eraseChanges(ctx, storage.EntityUserPool, id); err != nil {
		return err
	}
	return t.appendChange(ctx, storage.ChangeDelete, storage.EntityUserPool, id, id, nil)
}

// checkAffected returns nil when res changed a row, and otherwise tells a
// missing pool (storage.ErrNotFound) from a stale version
// (storage.ErrConflict). It runs inside the write transaction, so the pool
// cannot appear or vanish between the two statements.
func (t *txn) checkAffected(ctx context.Context, res sql.Result, op, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: %s user pool %q: %w", op, id, err))
	}
	if n > 0 {
		return nil
	}
	var v int64
	err = t.QueryRowContext(point(ctx), `SELECT version FROM user_pools WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s user pool %q: %w", op, id, storage.ErrNotFound)
	}
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: %s user pool %q: %w", op, id, err))
	}
	return fmt.Errorf("%s user pool %q: stored version is %d: %w", op, id, v, storage.ErrConflict)
}

// ListUserPools returns up to in.Limit pools of in.Region (of every region
// when it is "") with IDs greater than in.AfterID, ordered by ID (byte
// order).
func (db *DB) ListUserPools(ctx context.Context, in storage.ListUserPoolsInput) ([]*storage.UserPool, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: list user pools: limit %d is not positive", in.Limit)
	}
	query, args := `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE region = ? AND id > ? ORDER BY id LIMIT ?`, []any{in.Region, in.AfterID, in.Limit}
	if in.Region == "" {
		query, args = `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE id > ? ORDER BY id LIMIT ?`, []any{in.AfterID, in.Limit}
	}
	rows, err := db.reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list user pools: %w", err)
	}
	defer rows.Close()
	var pools []*storage.UserPool
	for rows.Next() {
		p, err := scanUserPool(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list user pools: %w", err)
		}
		pools = append(pools, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list user pools: %w", err)
	}
	return pools, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanUserPool(s scanner) (*storage.UserPool, error) {
	var (
		p                storage.UserPool
		created, updated int64
	)
	if err := s.Scan(&p.ID, &p.Region, &p.Name, &p.Config, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	if len(p.Config) == 0 {
		p.Config = nil
	}
	p.CreatedAt = fromMicros(created)
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}
