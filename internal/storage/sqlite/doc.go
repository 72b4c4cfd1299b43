// Package sqlite is cognate's embedded default storage backend: a
// storage.Store on one SQLite file through the pure-Go modernc.org/sqlite
// driver, so cognate builds without cgo.
//
// It may import, inside cognate, only internal/storage and internal/cognito
// (deps_test.go enforces this).
//
// # Connections
//
// A DB holds two database/sql pools on the same file. The writer pool has one
// connection, and its transactions start with BEGIN IMMEDIATE (the DSN's
// _txlock=immediate), so in-process writers queue on the pool instead of
// failing with SQLITE_BUSY or deadlocking on a read-to-write lock upgrade
// (busy_timeout still bounds a wait on a tool such as the sqlite3 shell
// holding the file). The reader pool has
// several query_only connections; with the WAL journal they read concurrently
// with the writer. Every PRAGMA (journal_mode=WAL, synchronous, busy_timeout,
// foreign_keys) is set through the DSN's _pragma parameters, so every pooled
// connection gets them, not only the first.
//
// # One process, owner-only files
//
// Open takes an exclusive lock (flock; LockFileEx on Windows) on
// "<path>.lock" and holds it until Close, so a second server or a
// `cognate migrate` on the same data directory, or a second Open in the
// same process, is refused with an error that names the lock: two
// processes on one file would each keep an HLC and caches the other does
// not see. The kernel drops the lock when its holder dies, even by
// SIGKILL. Before SQLite opens the file, Open creates it with mode 0600
// (or takes group and other permissions away from an existing one and
// its WAL and shared-memory files); SQLite gives the WAL and
// shared-memory files the database file's mode, so all of them are 0600
// whatever the directory's mode and the umask.
//
// # The pool cache
//
// GetUserPool and GetItem of a cacheable kind (outside a transaction)
// answer from a cache of the records they read (storage.ReadCache), which
// every transaction that writes such a record drops before its Tx returns.
// It is sound only because of the lock above: this process is the file's
// only writer.
//
// GetItemByKey of a kind declared cacheable by key (storage.DeclareCachedByKey:
// users, looked up by name on every AdminGetUser and sign-in) answers from
// the same cache, under a generation of its own and within a bound of a few
// megabytes: a transaction that writes an item of such a kind drops those
// items before its Tx returns and keeps the cached pools and clients; one
// that writes a pool or a cacheable item drops everything. The PostgreSQL backend, shared by several servers, also
// hears the other servers' writes (see its doc.go).
//
// # Transactions
//
// Tx runs on the writer connection (BEGIN IMMEDIATE), so a transaction
// excludes every other writer from its first statement to COMMIT: its reads
// need no row locks, and a unique key checked free stays free. Item writes
// therefore check first and write after: CreateItem and UpdateItem look up
// each key (a *storage.KeyConflictError names the first one, in byte order,
// that another item holds) and the version before their first write, so a
// method that returns a sentinel error has written nothing and the
// transaction goes on. A database error instead marks the transaction
// failed, and Tx rolls it back even if fn returns nil. fn must not call the
// DB's write methods or Tx: they wait for the connection fn holds. The
// single-record write methods (CreateUserPool, …) are one-call transactions
// on the same code.
//
// Read runs on a reader connection in one deferred transaction that it
// ends with ROLLBACK: its reads share one WAL snapshot, whatever the
// writer commits meanwhile, and neither waits for the other.
//
// # Contexts
//
// A statement that reads or writes a handful of rows by a primary or
// unique key runs without its context's cancellation (point in stmt.go):
// with a cancellable context, the driver and database/sql start a goroutine
// for every statement to watch it, which costs a sign-in some fifteen
// goroutines and, on a server with an idle core, as many thread wake-ups.
// Scans, counts, whole-pool deletes and compaction keep their context and
// are interrupted when it ends. Tx and Read begin with the caller's
// context, so a transaction whose context ends is still rolled back
// between statements and writes nothing.
//
// # Items
//
// Migration 0002 stores items in items, their unique keys in item_keys
// (primary key (kind, key)) and their index entries in item_index (primary
// key (kind, key, id)); both reference the item with ON DELETE CASCADE, so
// deleting items deletes their keys and entries. TEXT compares with the
// BINARY collation, so ScanIndex is a range of item_index's primary key,
// key >= prefix AND key < storage.PrefixEnd(prefix), or key = prefix, and
// continues from a cursor with the row value (key, id) > (?, ?); it never
// uses LIKE or GLOB, so no character is special. One statement returns each
// item with its keys and index entries (hex-encoded through group_concat),
// from one snapshot. TestItemQueryPlans checks the plans.
//
// The driver parses a statement every time it runs one unprepared, which
// for these statements costs more than running them, so the DB keeps the
// statements it runs prepared, per pool. The writer cannot prepare while a
// transaction holds its one connection, so a statement a transaction first
// runs unprepared is prepared before the next BEGIN.
//
// # Change log
//
// Every mutation writes its record and one change_log row in one
// transaction. The single writer makes seq (AUTOINCREMENT) increase in commit
// order, so a reader following a seq cursor never skips an entry. HLC
// timestamps come from a storage.HLC that observes the newest stored entry on
// Open, after Migrate, and inside every write transaction, so they never go
// backwards across restarts or a wall clock that steps back.
//
// # Schema
//
// Open does not migrate; Migrate applies the embedded migrations/NNNN_*.sql
// files that schema_migrations does not list, each in its own transaction.
// Times are stored as INTEGER microseconds since the Unix epoch, UTC, the
// precision PostgreSQL keeps, and returned in UTC.
package sqlite
