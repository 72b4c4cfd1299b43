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
// failing with SQLITE_BUSY or deadlocking on a read-to-write lock upgrade,
// and writers in other processes wait up to busy_timeout. The reader pool has
// several query_only connections; with the WAL journal they read concurrently
// with the writer. Every PRAGMA (journal_mode=WAL, synchronous, busy_timeout,
// foreign_keys) is set through the DSN's _pragma parameters, so every pooled
// connection gets them, not only the first.
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
