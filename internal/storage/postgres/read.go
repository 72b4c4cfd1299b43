package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cognate-dev/cognate/internal/storage"
)

// readConn is a storage.Reader on one pooled connection.
type readConn struct {
	conn *pgxpool.Conn
	// done is set when the Read has ended; later calls fail.
	done bool
}

var _ storage.Reader = (*readConn)(nil)

// errReadDone is returned by a Reader used after its Read ended.
var errReadDone = errors.New("postgres: read has ended")

// Read runs fn's reads on one connection of the pool, each at READ
// COMMITTED, the isolation of Tx: a READ COMMITTED transaction would see
// exactly what these statements see, at two more round trips (BEGIN and
// COMMIT), so Read sends none. Holding one connection spares each read
// the pool's acquire and release.
func (db *DB) Read(ctx context.Context, fn func(r storage.Reader) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire: %w", err)
	}
	r := &readConn{conn: conn}
	defer func() {
		// Runs on panic too, which then carries on up the stack.
		r.done = true
		conn.Release()
	}()
	return fn(r)
}

func (r *readConn) q() (querier, error) {
	if r.done {
		return nil, errReadDone
	}
	return r.conn, nil
}

// GetItem returns the item of kind with id, or storage.ErrNotFound.
func (r *readConn) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	q, err := r.q()
	if err != nil {
		return nil, err
	}
	return getItem(ctx, q, kind, id)
}

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound.
func (r *readConn) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	q, err := r.q()
	if err != nil {
		return nil, err
	}
	return getItemByKey(ctx, q, kind, key)
}

// ListItems returns a page of one pool's items of a kind, in ID order.
func (r *readConn) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	q, err := r.q()
	if err != nil {
		return nil, err
	}
	return listItems(ctx, q, in)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (r *readConn) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	q, err := r.q()
	if err != nil {
		return nil, err
	}
	return scanIndex(ctx, q, in)
}

// CountItems returns how many items of kind belong to pool.
func (r *readConn) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	q, err := r.q()
	if err != nil {
		return 0, err
	}
	return countItems(ctx, q, kind, pool)
}

// GetUserPool returns the pool with id, or storage.ErrNotFound.
func (r *readConn) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	q, err := r.q()
	if err != nil {
		return nil, err
	}
	return getUserPool(ctx, q, id, "")
}
