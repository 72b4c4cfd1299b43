package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
// The record comes from the read cache when it is on and this node has read
// it since the last write of a cached record it heard of (cache.go).
func (db *DB) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	p, gen, ok := db.cache.Pool(id)
	if ok {
		return p, nil
	}
	p, err := getUserPool(ctx, db.pool, id, "")
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

// getUserPool reads the pool with id; lock is "" or " FOR UPDATE".
func getUserPool(ctx context.Context, q querier, id, lock string) (*storage.UserPool, error) {
	row := q.QueryRow(ctx, `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE id = $1`+lock, id)
	p, err := scanUserPool(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get user pool %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get user pool %q: %w", id, err)
	}
	return p, nil
}

// CreateUserPool stores p with version 1 and sets p.Version to 1. It returns
// storage.ErrAlreadyExists if a pool with p.ID exists. ON CONFLICT DO
// NOTHING (which waits for a concurrent creator of the ID to finish) keeps
// the transaction usable where a unique_violation would abort it.
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
	tag, err := t.tx.Exec(ctx, `INSERT INTO user_pools
		(id, region, name, config, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO NOTHING`,
		rec.ID, rec.Region, rec.Name, notNull(rec.Config),
		rec.CreatedAt, rec.UpdatedAt, rec.Version)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: create user pool %q: %w", p.ID, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create user pool %q: %w", p.ID, storage.ErrAlreadyExists)
	}
	t.logChange(storage.ChangeCreate, storage.EntityUserPool, rec.ID, rec.ID, state)
	p.Version = rec.Version
	return nil
}

// GetUserPool returns the pool with id, or storage.ErrNotFound, and locks
// its row until the transaction ends.
func (t *txn) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	p, err := getUserPool(ctx, t.tx, id, " FOR UPDATE")
	return p, t.readErr(err)
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
	tag, err := t.tx.Exec(ctx, `UPDATE user_pools
		SET region = $1, name = $2, config = $3, created_at = $4, updated_at = $5, version = $6
		WHERE id = $7 AND version = $8`,
		rec.Region, rec.Name, notNull(rec.Config),
		rec.CreatedAt, rec.UpdatedAt, rec.Version,
		rec.ID, p.Version)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: update user pool %q: %w", p.ID, err))
	}
	if err := t.checkAffected(ctx, tag, "update", p.ID); err != nil {
		return err
	}
	t.logChange(storage.ChangeUpdate, storage.EntityUserPool, rec.ID, rec.ID, state)
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
	tag, err := t.tx.Exec(ctx, `DELETE FROM user_pools WHERE id = $1 AND version = $2`, id, version)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: delete user pool %q: %w", id, err))
	}
	if err := t.checkAffected(ctx, tag, "delete", id); err != nil {
		return err
	}
	if err := t.eraseChanges(ctx, storage.EntityUserPool, id); err != nil {
		return err
	}
	t.logChange(storage.ChangeDelete, storage.EntityUserPool, id, id, nil)
	return nil
}

// checkAffected returns nil when tag reports a changed row, and otherwise
// tells a missing pool (storage.ErrNotFound) from a stale version
// (storage.ErrConflict). A racing writer that committed first has already
// released its row lock, so this READ COMMITTED read sees its result.
func (t *txn) checkAffected(ctx context.Context, tag pgconn.CommandTag, op, id string) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var v int64
	err := t.tx.QueryRow(ctx, `SELECT version FROM user_pools WHERE id = $1`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s user pool %q: %w", op, id, storage.ErrNotFound)
	}
	if err != nil {
		return t.fail(fmt.Errorf("postgres: %s user pool %q: %w", op, id, err))
	}
	return fmt.Errorf("%s user pool %q: stored version is %d: %w", op, id, v, storage.ErrConflict)
}

// ListUserPools returns up to in.Limit pools of in.Region (of every region
// when it is "") with IDs greater than in.AfterID, ordered by ID (byte
// order).
func (db *DB) ListUserPools(ctx context.Context, in storage.ListUserPoolsInput) ([]*storage.UserPool, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("postgres: list user pools: limit %d is not positive", in.Limit)
	}
	query, args := `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE region = $1 AND id > $2 ORDER BY id LIMIT $3`, []any{in.Region, in.AfterID, in.Limit}
	if in.Region == "" {
		query, args = `SELECT id, region, name, config, created_at, updated_at, version
		FROM user_pools WHERE id > $1 ORDER BY id LIMIT $2`, []any{in.AfterID, in.Limit}
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list user pools: %w", err)
	}
	pools, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*storage.UserPool, error) {
		return scanUserPool(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list user pools: %w", err)
	}
	return pools, nil
}

func scanUserPool(row pgx.Row) (*storage.UserPool, error) {
	var p storage.UserPool
	if err := row.Scan(&p.ID, &p.Region, &p.Name, &p.Config, &p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	if len(p.Config) == 0 {
		p.Config = nil
	}
	p.CreatedAt = p.CreatedAt.UTC()
	p.UpdatedAt = p.UpdatedAt.UTC()
	return &p, nil
}
