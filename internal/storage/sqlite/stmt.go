package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxStmts bounds each pool's statement cache. Every statement the store
// runs has fixed text (ScanIndex has a handful of shapes), so the bound is
// only a guard.
const maxStmts = 128

// stmtCache holds a pool's prepared statements by text. The driver parses
// a statement each time it is run unprepared, which costs more than running
// it; a *sql.Stmt is prepared once per connection and reused.
type stmtCache struct {
	pool *sql.DB

	// mu guards stmts and wanted.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// wanted are statements a transaction ran unprepared, to prepare
	// before the next one begins (writer cache only).
	wanted map[string]bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the statement for query, preparing it on the pool when it is
// not cached yet, or nil if the cache is full or preparing fails (the
// caller then runs query unprepared, and reports any error itself).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	s := c.stmts[query]
	full := len(c.stmts) >= maxStmts
	c.mu.Unlock()
	if s != nil || full {
		return s
	}
	s, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.stmts[query]; prev != nil {
		s.Close()
		return prev
	}
	c.stmts[query] = s
	return s
}

// lookup returns the cached statement for query without preparing it; when
// there is none it notes query for prepareWanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts[query]
	if s == nil && len(c.stmts)+len(c.wanted) < maxStmts {
		c.wanted[query] = true
	}
	return s
}

// prepareWanted prepares the statements lookup noted. The writer runs it
// before BEGIN: preparing needs the pool's one connection, which a
// transaction holds.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		c.get(ctx, q)
	}
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// reader is the querier of the DB's reads: the reader pool, with its
// statements prepared.
type reader struct{ c *stmtCache }

func (db *DB) reader() reader { return reader{db.rstmts} }

func (r reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := r.c.get(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.c.pool.QueryContext(ctx, query, args...)
}

func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := r.c.get(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.c.pool.QueryRowContext(ctx, query, args...)
}

// stmt returns query's statement bound to the transaction, or nil to run it
// unprepared.
func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := t.stmts[query]; s != nil {
		return s
	}
	parent := t.db.wstmts.lookup(query)
	if parent == nil {
		return nil
	}
	s := t.tx.StmtContext(ctx, parent)
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = s
	return s
}

// ExecContext, QueryContext and QueryRowContext make a txn the querier of
// its own reads and writes.

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// point returns ctx without its cancellation, for a statement that reads or
// writes a handful of rows through a primary or unique key (a lookup, a
// one-row insert, update or delete). Such a statement takes microseconds
// and runs to its end; the statements that may run long (scans, counts,
// whole-pool deletes, compaction) keep their context and stay
// interruptible.
//
// The driver watches a cancellable context with a goroutine for every
// statement (modernc.org/sqlite interrupts the connection when the context
// ends), and database/sql adds one for every result set read outside a
// transaction. Each is started when the statement starts and woken when it
// ends; when the server has an idle core, as it has with one request in
// flight, each start wakes a sleeping thread that steals the new goroutine
// and sleeps again, so a sign-in paid for some 15 thread wake-ups and their
// context switches on its point statements alone (docs/performance.md).
//
// A write transaction still ends when its context does: Tx and Read begin
// with the caller's context, and database/sql rolls a transaction back
// when it ends, between statements, so a statement after that fails and
// the transaction writes nothing.
func point(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
