package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cognate-dev/cognate/internal/storage"
)

var (
	_ storage.Store    = (*DB)(nil)
	_ storage.Migrator = (*DB)(nil)
)

// Advisory-lock classes (the first key of the two-int4 form), so cognate's
// locks do not collide with another application's in the same database.
const (
	// migrateLockClass keys the session lock Migrate holds; the second key
	// is hashtext(current_schema()).
	migrateLockClass = 0x636f6701 // "cog\x01"
	// changeLogLockClass keys the transaction lock every mutation takes
	// before inserting its change_log row; the second key is change_log's
	// OID.
	changeLogLockClass = 0x636f6702 // "cog\x02"
	// compactLockClass keys the transaction lock each batch of
	// CompactChanges takes, so that two nodes compacting at once take
	// turns instead of deadlocking on each other's rows; the second key
	// is change_log's OID.
	compactLockClass = 0x636f6710 // "cog\x10"
)

// Options configure a DB.
type Options struct {
	// Region is the store's region, written to every change-log entry.
	Region string
	// Clock returns the wall-clock time for HLC timestamps and migration
	// records; nil means time.Now.
	Clock func() time.Time
	// ReadCache answers GetUserPool and GetItem of cacheable kinds from a
	// cache that every node's writes of those records drop, through
	// PostgreSQL's LISTEN/NOTIFY (cache.go). It takes one more connection,
	// held for the DB's life. Whether or not it is set, the DB's own
	// writes notify the caches of the others.
	ReadCache bool
	// Logger receives the read cache's warnings; nil discards them.
	Logger *slog.Logger
	// Tracer, when not nil, is told of every statement the store's pooled
	// connections send (pgx.QueryTracer, and pgx.BatchTracer for the
	// statements sent together in one round trip when it implements it):
	// a log of statements, an OpenTelemetry tracer, or a test's count of
	// statements per operation. The read cache's listening connection is
	// not traced.
	Tracer pgx.QueryTracer
}

// DB is a storage.Store on PostgreSQL. It is safe for concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	region string
	clock  func() time.Time
	hlc    storage.HLC
	log    *slog.Logger
	// cache keeps what GetUserPool and GetItem of cacheable kinds read
	// while it is on (cache.go); without Options.ReadCache it stays off.
	cache storage.ReadCache
	// stopListening ends the read cache's listener, which closes
	// listenDone when it has; both nil without Options.ReadCache.
	stopListening context.CancelFunc
	listenDone    chan struct{}
	// listenPID is the backend process ID of the listener's latest
	// connection, for tests.
	listenPID atomic.Uint32
	// heardWrites counts the notifications of writes the listener heard,
	// for tests.
	heardWrites atomic.Uint64
	// newer holds the error of a database a newer release has migrated,
	// once CheckSchema or a transaction's check has found one: every
	// write returns it.
	newer storage.SchemaLatch
	// schema is the migrations the DB knows and the check its
	// transactions begin with (schema_guard.go): this binary's, or those
	// a test's migrate was given.
	schema atomic.Pointer[schemaGuard]
}

// Open connects to the database at dsn, a libpq URL or key=value string that
// pgx accepts (parameters pgx does not know, such as search_path, are sent as
// run-time parameters). It does not migrate: call Migrate before using a new
// or older database.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, errors.New("postgres: invalid DSN")
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	ms, err := migrations()
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, region: opts.Region, clock: clock, log: opts.Logger}
	db.schema.Store(newSchemaGuard(ms))
	if db.log == nil {
		db.log = discardLogger
	}
	db.hlc.Clock = clock
	// Off until the listener has proved that it hears the other nodes.
	db.cache.SetOn(false)
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.observeHLC(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if opts.ReadCache {
		lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		db.stopListening, db.listenDone = stop, make(chan struct{})
		go db.listen(lctx)
	}
	return db, nil
}

// observeHLC advances the clock past the newest change-log entry, if the
// change log exists yet.
func (db *DB) observeHLC(ctx context.Context) error {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('change_log') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: read change log: %w", err)
	}
	if !exists {
		return nil
	}
	var hlc *int64
	if err := db.pool.QueryRow(ctx, maxHLCQuery).Scan(&hlc); err != nil {
		return fmt.Errorf("postgres: read change log: %w", err)
	}
	if hlc != nil {
		db.hlc.Observe(*hlc)
	}
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// ReadCacheOn reports whether the read cache answers reads (cache.go): a
// store opened with Options.ReadCache turns it on once its listener has
// proved that it hears the other nodes' writes, and off while it cannot.
func (db *DB) ReadCacheOn() bool { return db.cache.On() }

// Close stops the read cache's listener and closes the pool.
func (db *DB) Close() error {
	if db.stopListening != nil {
		db.stopListening()
		<-db.listenDone
	}
	db.pool.Close()
	return nil
}
