package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cognate-dev/cognate/internal/storage"
)

var (
	_ storage.Store    = (*DB)(nil)
	_ storage.Migrator = (*DB)(nil)
)

// busyTimeout is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Options configure a DB.
type Options struct {
	// Region is the store's region, written to every change-log entry.
	Region string
	// Synchronous is the PRAGMA synchronous level: OFF, NORMAL, FULL or
	// EXTRA. Empty means FULL, which fsyncs on every commit so a committed
	// write survives power loss.
	Synchronous string
	// Clock returns the wall-clock time for HLC timestamps and migration
	// records; nil means time.Now.
	Clock func() time.Time
}

// DB is a storage.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	// w has a single connection whose transactions begin IMMEDIATE.
	w *sql.DB
	// r has several read-only connections.
	r *sql.DB
	// rstmts and wstmts are the prepared statements of r and w.
	rstmts, wstmts *stmtCache
	region         string
	clock          func() time.Time
	hlc            storage.HLC
	// lock keeps other processes (and other DBs of this process) off the
	// file until Close.
	lock *dirLock
	// cache keeps what GetUserPool and GetItem of cacheable kinds read
	// (storage.ReadCache).
	cache storage.ReadCache
	// newer holds the error of a database a newer release has migrated,
	// once CheckSchema has found one: every write returns it.
	newer storage.SchemaLatch
}

// Open opens (creating if needed) the SQLite database at path. It does not
// migrate: call Migrate before using a new or older database.
//
// The DB holds an exclusive lock on "<path>.lock" until Close: a second
// Open of the same path, in this process or another, fails with an error
// that says so. The database, its WAL and shared-memory files and the lock
// file are readable and writable by their owner only (mode 0600),
// whatever the directory's mode and the umask.
func Open(ctx context.Context, path string, opts Options) (db *DB, err error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	syncMode := strings.ToUpper(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: synchronous %q: want OFF, NORMAL, FULL or EXTRA", opts.Synchronous)
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	lock, err := lockStore(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.release()
		}
	}()
	if err := prepareFiles(path); err != nil {
		return nil, err
	}

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")

	w, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first so that journal_mode=WAL is in place before
	// a reader opens the file.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	r, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)

	db = &DB{w: w, r: r, rstmts: newStmtCache(r), wstmts: newStmtCache(w), region: opts.Region, clock: clock}
	db.hlc.Clock = clock
	if err := db.observeHLC(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	db.lock = lock
	return db, nil
}

// observeHLC advances the clock past the newest change-log entry, if the
// change log exists yet.
func (db *DB) observeHLC(ctx context.Context) error {
	var n int
	err := db.r.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'change_log'`).Scan(&n)
	if err != nil {
		return fmt.Errorf("sqlite: read change log: %w", err)
	}
	if n == 0 {
		return nil
	}
	var hlc sql.NullInt64
	if err := db.r.QueryRowContext(ctx, maxHLCQuery).Scan(&hlc); err != nil {
		return fmt.Errorf("sqlite: read change log: %w", err)
	}
	db.hlc.Observe(hlc.Int64)
	return nil
}

// Ping reports whether the database file is usable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes both pools, then releases the lock. Closing twice is
// harmless.
func (db *DB) Close() error {
	return errors.Join(db.closePools(), db.lock.release())
}

func (db *DB) closePools() error {
	return errors.Join(db.rstmts.close(), db.wstmts.close(), db.r.Close(), db.w.Close())
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits when fn returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := db.newer.Err(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a PRIMARY KEY or UNIQUE
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return true
	}
	return false
}

// toMicros and fromMicros convert between time.Time and the stored INTEGER
// microseconds since the Unix epoch.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
