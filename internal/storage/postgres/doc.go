// Package postgres is cognate's scale-out storage backend: a storage.Store on
// PostgreSQL through pgx/v5 (pgxpool), shared by any number of cognate nodes.
//
// It may import, inside cognate, only internal/storage and internal/cognito
// (deps_test.go enforces this).
//
// # Change-log order
//
// Readers such as replication follow the change log with a cursor: "give me
// the entries after seq N". An identity column alone does not make that safe:
// transaction A can draw seq 10, transaction B seq 11, and B commit first; a
// reader then sees 11, moves its cursor past 10, and never sees A's entry.
//
// So every mutation, after writing its record and before inserting its
// change_log row, takes a transaction-level advisory lock,
// pg_advisory_xact_lock(changeLogLockClass, <oid of change_log>), held until
// commit or rollback. Only the lock holder draws a seq, and it releases the
// lock only once its commit is visible, so seq values become visible in
// increasing order and a cursor never skips one (a rolled-back transaction
// leaves a gap, which a reader passes harmlessly). The lock is taken last in
// the transaction, after the record's row locks, so the section it
// serializes is two short statements and it cannot take part in a deadlock:
// its holder waits for nothing else. We use an advisory lock rather than
// LOCK TABLE change_log IN EXCLUSIVE MODE because that table lock also
// conflicts with autovacuum's lock on change_log, stalling writers until
// autovacuum is cancelled; neither blocks plain SELECTs. The lock key is the
// table's OID, so stores in different schemas of one database (as in tests)
// do not serialize each other.
//
// Inside the lock the mutation also reads the newest entry's HLC and
// observes it, so HLCs increase with seq even when several nodes, each with
// its own clock, write to one database.
//
// # Concurrency
//
// Transactions run at READ COMMITTED. UpdateUserPool and DeleteUserPool use
// UPDATE/DELETE ... WHERE id = $1 AND version = $2: of two writers that read
// the same version, the second blocks on the first's row lock, re-checks the
// WHERE clause against the committed row, matches nothing and gets
// storage.ErrConflict. A duplicate CreateUserPool fails with unique_violation
// (SQLSTATE 23505) and gets storage.ErrAlreadyExists.
//
// # Schema
//
// Open does not migrate. Migrate holds a session-level advisory lock keyed
// by the current schema while it applies the embedded migrations/NNNN_*.sql
// files that schema_migrations does not list, each in its own transaction,
// so several nodes starting at once apply each migration exactly once.
// Config is BYTEA so the caller's JSON comes back byte for byte; IDs use the
// "C" collation so they sort by bytes, as in SQLite. Times are TIMESTAMPTZ
// (microseconds) and returned in UTC.
package postgres
