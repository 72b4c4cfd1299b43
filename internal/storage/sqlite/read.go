package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// readTxn is a storage.Reader on one reader connection, in one read
// transaction: every read sees the same snapshot of the database (WAL),
// whatever commits meanwhile.
type readTxn struct {
	db *DB
	tx *sql.Tx
	// done is set when the transaction has ended; later calls fail.
	done bool
	// stmts are the reader's prepared statements bound to tx.
	stmts map[string]*sql.Stmt
}

var _ storage.Reader = (*readTxn)(nil)

// errReadDone is returned by a Reader used after its Read ended.
var errReadDone = errors.New("sqlite: read transaction has ended")

// Read runs fn's reads in one read transaction (BEGIN, deferred, on a
// reader connection, ended with ROLLBACK: it wrote nothing), so they see
// one snapshot and pay for one transaction, not one each. It never waits
// for the writer, nor the writer for it.
func (db *DB) Read(ctx context.Context, fn func(r storage.Reader) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	r := &readTxn{db: db, tx: tx}
	defer func() {
		// Runs on panic too, which then carries on up the stack.
		r.done = true
		tx.Rollback()
	}()
	return fn(r)
}

func (r *readTxn) check() error {
	if r.done {
		return errReadDone
	}
	return nil
}

// stmt returns query's statement bound to the transaction, preparing it on
// the reader pool when it is not cached, or nil to run it unprepared.
func (r *readTxn) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := r.stmts[query]; s != nil {
		return s
	}
	parent := r.db.rstmts.get(ctx, query)
	if parent == nil {
		return nil
	}
	s := r.tx.StmtContext(ctx, parent)
	if r.stmts == nil {
		r.stmts = map[string]*sql.Stmt{}
	}
	r.stmts[query] = s
	return s
}

// QueryContext and QueryRowContext make a readTxn the querier of the read
// functions.
func (r *readTxn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.tx.QueryContext(ctx, query, args...)
}

func (r *readTxn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.tx.QueryRowContext(ctx, query, args...)
}

// GetItem returns the item of kind with id, or storage.ErrNotFound.
func (r *readTxn) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return getItem(ctx, r, kind, id)
}

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound.
func (r *readTxn) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return getItemByKey(ctx, r, kind, key)
}

// ListItems returns a page of one pool's items of a kind, in ID order.
func (r *readTxn) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return listItems(ctx, r, in)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (r *readTxn) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return scanIndex(ctx, r, in)
}

// CountItems returns how many items of kind belong to pool.
func (r *readTxn) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	return countItems(ctx, r, kind, pool)
}

// GetUserPool returns the pool with id, or storage.ErrNotFound.
func (r *readTxn) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return getUserPool(ctx, r, id)
}
