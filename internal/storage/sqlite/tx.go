package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// querier is what the read functions need: the reader pool (reader)
// outside a transaction, the txn inside one.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txn is a storage.Tx on the single writer connection.
type txn struct {
	db *DB
	tx *sql.Tx
	// done is set when the transaction has ended; later calls fail.
	done bool
	// failed is the first error that may have left a method half done; the
	// transaction then rolls back whatever fn returns.
	failed error
	// stmts are the writer's prepared statements bound to tx.
	stmts map[string]*sql.Stmt
	// cachedWritten is set by a write of user_pools or of an item of a
	// cacheable kind: the read cache is then invalidated when the
	// transaction has ended, before Tx returns.
	cachedWritten bool
	// keyedWritten is set by a write of an item of a kind cacheable by
	// key: the items cached by key are then dropped likewise.
	keyedWritten bool
	// originRegion and originHLC, set by ApplyAs, are the region and HLC
	// of the change-log entries written from then on ("" and 0: the
	// store's own region and a new HLC).
	originRegion string
	originHLC    int64
	// actor is who the entries the transaction writes are made by
	// (storage.EncodeActor of the context it began with), nil for none.
	actor []byte
}

var _ storage.ReplicaTx = (*txn)(nil)

// Tx runs fn in one write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits when fn returns nil. A panic in fn rolls back and
// propagates. fn must not call the DB's own write methods, or Tx: they wait
// for the writer connection that fn holds.
func (db *DB) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	return db.run(ctx, func(t *txn) error { return fn(t) })
}

// run is Tx on the concrete type; the DB's single-record write methods use
// it too.
func (db *DB) run(ctx context.Context, fn func(t *txn) error) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	db.wstmts.prepareWanted(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	t := &txn{db: db, tx: tx, actor: storage.EncodeActor(ctx)}
	committed := false
	defer func() {
		// Runs on panic too, which then carries on up the stack.
		t.done = true
		if !committed {
			tx.Rollback()
		}
		switch {
		case t.cachedWritten:
			db.cache.Invalidate() // the items cached by key too
		case t.keyedWritten:
			db.cache.InvalidateKeyed()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if t.failed != nil {
		return fmt.Errorf("sqlite: transaction rolled back after an earlier error: %w", t.failed)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	committed = true
	return nil
}

// errTxDone is returned by a Tx used after its transaction ended.
var errTxDone = errors.New("sqlite: transaction has ended")

// check returns an error when the transaction can no longer be used.
func (t *txn) check() error {
	if t.done {
		return errTxDone
	}
	return nil
}

// fail records err, a database error, as the one that dooms the
// transaction, and returns it.
func (t *txn) fail(err error) error {
	if t.failed == nil {
		t.failed = err
	}
	return err
}
