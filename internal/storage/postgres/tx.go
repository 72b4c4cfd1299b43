package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cognate-dev/cognate/internal/storage"
)

// querier is what the read functions need: the pool outside a transaction,
// the pgx.Tx inside one.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pendingChange is a change-log entry a transaction writes when it commits.
type pendingChange struct {
	kind   storage.ChangeKind
	entity storage.Entity
	key    string
	state  []byte
	// pool is the pool of the record, "" for none.
	pool string
	// region and hlc are the origin of an entry applied from another
	// region (ApplyAs); "" and 0 for the store's own.
	region string
	hlc    int64
}

// txn is a storage.Tx on one pgx transaction at READ COMMITTED.
type txn struct {
	db *DB
	tx pgx.Tx
	// done is set when the transaction has ended; later calls fail.
	done bool
	// failed is the first database error. PostgreSQL aborts the transaction
	// on any failed statement, so it then rolls back whatever fn returns.
	failed error
	// changes are the change-log entries of the writes so far, inserted
	// just before COMMIT (see doc.go).
	changes []pendingChange
	// cachedWritten is set by a write of user_pools or of an item of a
	// cacheable kind (storage.DeclareCached): the transaction then
	// notifies every node's read cache as it commits (cache.go), and this
	// node's cache is dropped when it has ended.
	cachedWritten bool
	// keyedWritten is set by a write of an item of a kind cacheable by
	// key (storage.DeclareCachedByKey: users): the transaction then
	// notifies every node to drop the items it cached by key, and this
	// node drops its own when it has ended.
	keyedWritten bool
	// notified is set once the commit's notification is queued.
	notified bool
	// originRegion and originHLC, set by ApplyAs, are the origin of the
	// entries logged from then on ("" and 0: the store's own).
	originRegion string
	originHLC    int64
	// actor is who the entries the transaction logs are made by
	// (storage.EncodeActor of the context it began with), nil for none.
	actor []byte
}

var _ storage.ReplicaTx = (*txn)(nil)

// Tx runs fn in one READ COMMITTED transaction and commits when fn returns
// nil. A panic in fn rolls back and propagates. Losing a deadlock or a
// serialization race returns an error matching storage.ErrConflict.
func (db *DB) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	return db.run(ctx, func(t *txn) error { return fn(t) })
}

// run is Tx on the concrete type; the DB's single-record write methods use
// it too.
func (db *DB) run(ctx context.Context, fn func(t *txn) error) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	// READ COMMITTED, and the schema check (schema_guard.go).
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: db.schema.Load().begin})
	if err != nil {
		return db.beginFailed(ctx, err)
	}
	t := &txn{db: db, tx: tx, actor: storage.EncodeActor(ctx)}
	committed := false
	defer func() {
		// Runs on panic too, which then carries on up the stack.
		t.done = true
		if !committed {
			tx.Rollback(context.WithoutCancel(ctx))
		}
		switch {
		case t.cachedWritten:
			db.cache.Invalidate() // the items cached by key too
		case t.keyedWritten:
			db.cache.InvalidateKeyed()
		}
	}()
	if err := fn(t); err != nil {
		return lostRace(err)
	}
	if t.failed != nil {
		return lostRace(fmt.Errorf("postgres: transaction rolled back after an earlier error: %w", t.failed))
	}
	if err := t.flushChanges(ctx); err != nil {
		return lostRace(err)
	}
	if prefix, ok := t.notification(); ok && !t.notified {
		if _, err := tx.Exec(ctx, notifyQuery, prefix); err != nil {
			return lostRace(fmt.Errorf("postgres: notify the read caches: %w", err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return lostRace(fmt.Errorf("postgres: commit: %w", err))
	}
	committed = true
	return nil
}

// notification returns the payload prefix of the notification the
// transaction sends the read caches as it commits (notifyQuery), and false
// when it wrote nothing they keep.
func (t *txn) notification() (string, bool) {
	switch {
	case t.cachedWritten:
		return "", true
	case t.keyedWritten:
		return keyedPrefix, true
	}
	return "", false
}

// SQLSTATE codes of the races a retry can win.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// lostRace wraps err with storage.ErrConflict when it is a deadlock or a
// serialization failure.
func lostRace(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected) &&
		!errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("postgres: transaction lost a race (%w): %w", storage.ErrConflict, err)
	}
	return err
}

// errTxDone is returned by a Tx used after its transaction ended.
var errTxDone = errors.New("postgres: transaction has ended")

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

// readErr passes storage.ErrNotFound through and records any other error
// as fatal to the transaction.
func (t *txn) readErr(err error) error {
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return t.fail(err)
}

// logChange queues a change-log entry of a record of pool ("" for none)
// for the commit.
func (t *txn) logChange(kind storage.ChangeKind, entity storage.Entity, key, pool string, state []byte) {
	t.changes = append(t.changes, pendingChange{kind: kind, entity: entity, key: key, pool: pool, state: state,
		region: t.originRegion, hlc: t.originHLC})
}
