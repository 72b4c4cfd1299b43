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
// So a transaction inserts its change_log rows last, just before COMMIT,
// after all its other statements: it first takes a transaction-level
// advisory lock, pg_advisory_xact_lock(changeLogLockClass, <oid of
// change_log>), held until commit or rollback. Only the lock holder draws
// seqs, and it releases the lock only once its commit is visible, so seq
// values become visible in increasing order and a cursor never skips one (a
// rolled-back transaction leaves a gap, which a reader passes harmlessly).
// Because the writes of a Tx queue their entries and the lock is taken only
// at the end, after every row lock the transaction will take, the section
// it serializes is one round trip and it cannot take part in a deadlock:
// its holder waits for nothing else. (Taking it at each write would hold it
// across the rest of fn, stalling every other writer and letting row locks
// and the advisory lock deadlock.) We use an advisory lock rather than
// LOCK TABLE change_log IN EXCLUSIVE MODE because that table lock also
// conflicts with autovacuum's lock on change_log, stalling writers until
// autovacuum is cancelled; neither blocks plain SELECTs. The lock key is the
// table's OID, so stores in different schemas of one database (as in tests)
// do not serialize each other.
//
// The insert, a statement after the lock with its own snapshot, also reads
// the newest entry's HLC and gives each entry a larger one, and the store's
// clock observes the result, so HLCs increase with seq even when several
// nodes, each with its own clock, write to one database.
//
// # Transactions and concurrency
//
// Transactions run at READ COMMITTED. Tx's GetUserPool, GetItem and
// GetItemByKey lock the row they return with SELECT … FOR UPDATE; the
// ItemReader methods of the DB itself do not lock. A locking read takes two
// statements (pipelined in one round trip): when FOR UPDATE waits for a
// concurrent writer, READ COMMITTED returns the writer's new row but
// evaluates the statement's subqueries with the snapshot taken before the
// wait, so one statement could pair the new row with the old keys. The
// second statement, with a snapshot taken once the lock is held, reads the
// keys and index entries, which change only under that lock. GetItemByKey
// in a Tx then checks that the locked item still holds the key, and looks
// it up again if a writer moved it meanwhile.
//
// UpdateUserPool, DeleteUserPool and DeleteItem use UPDATE/DELETE ... WHERE
// version = $n: of two writers that read the same version, the second
// blocks on the first's row lock, re-checks the WHERE clause against the
// committed row, matches nothing and gets storage.ErrConflict.
//
// A failed statement aborts a PostgreSQL transaction, so the methods that
// can meet a duplicate never run one that fails: a method that returns a
// sentinel error (ErrNotFound, ErrConflict, ErrAlreadyExists, a
// *storage.KeyConflictError) has written nothing, and the transaction
// stays usable, as on SQLite. We chose this over savepoints (one
// subtransaction per write, which PostgreSQL handles badly once a
// transaction holds more than 64) and over letting the conflict abort the
// transaction (which would make the two backends differ). Creates insert
// with ON CONFLICT DO NOTHING, which waits for a concurrent inserter of the
// same ID or key and then inserts or skips the row instead of failing:
// CreateUserPool reports a skipped row as ErrAlreadyExists. CreateItem inserts the item,
// its keys and its index entries in one statement; when a key was skipped,
// a second statement deletes the new item (ON DELETE CASCADE removes what
// was inserted with it) and it returns a *KeyConflictError naming the key.
// UpdateItem locks the row and reads its version and keys first, inserts
// only the keys the item did not hold, and on a skipped key deletes those it
// inserted before it returns; only then does it update the row. Any
// database error marks the transaction failed, and Tx rolls it back even if
// fn returns nil. Tx returns an error matching storage.ErrConflict (and
// wrapping the *pgconn.PgError) when the server aborts the transaction with
// a deadlock (40P01) or a serialization failure (40001), so callers may
// retry it.
//
// # Items
//
// Migration 0002 stores items in items, their unique keys in item_keys
// (primary key (kind, key)) and their index entries in item_index (primary
// key (kind, key, id)); both reference the item with ON DELETE CASCADE.
// ScanIndex is a range of item_index's primary key, key >= prefix AND
// key < storage.PrefixEnd(prefix), or key = prefix, continued from a cursor
// with ROW(key, id) > ROW($n, $m); it never uses LIKE, so no character is
// special. The page is cut from that range before each entry fetches its
// item through a LATERAL subquery, which can only run as a nested loop of
// primary-key lookups (a plain join let the planner choose a merge join
// whose cost grew with the cursor's depth). TestItemQueryPlans checks the
// plans, custom and generic, with EXPLAIN ANALYZE. A btree entry holds at most about 2,700 bytes,
// so longer keys or index entries fail to insert.
//
// # The read cache
//
// With Options.ReadCache (a server's store), GetUserPool and GetItem of a
// cacheable kind (storage.DeclareCached: app clients) outside a transaction
// answer from a storage.ReadCache. Every transaction that writes a pool or
// an item of such a kind ends with pg_notify on one channel, with the
// schema as payload (PostgreSQL delivers it at commit, after the writes are
// visible, and never on rollback), whether or not its own DB caches, and
// drops its own DB's cache before Tx returns. A listener on a connection of
// its own drops the cache at each notification for its schema, and keeps
// the cache on only while a notification it sends itself through the pool
// keeps coming back (cache.go). Reads in transactions, which lock or take
// their own snapshot, always read the database, so the Version checks of
// writes never rely on the cache.
//
// Items of the kinds declared cacheable by key (storage.DeclareCachedByKey:
// users) that GetItemByKey or GetItem read outside a transaction are kept
// too, by key and by ID, within the cache's bound. A transaction that
// writes such an item, and no pool or cacheable item, notifies the same
// channel with the payload "keyed <schema>": each node then drops only its
// items cached by key and keeps its cached pools and clients, so that
// sign-ups and changes of attributes do not drop the configuration every
// request reads. The notification is sent in the round trip that appends
// the transaction's change-log entries, so it costs no round trip of its
// own. A node of an earlier release does not send it: see "several nodes"
// in docs/configuration.md for upgrades.
//
// # Schema
//
// Open does not migrate. Migrate holds a session-level advisory lock keyed
// by the current schema while it applies the embedded migrations/NNNN_*.sql
// files that schema_migrations does not list, each in its own transaction,
// so several nodes starting at once apply each migration exactly once.
// Every transaction begins with a check of schema_migrations in the same
// message as its BEGIN, and each migration first locks that table
// exclusively, so no write of a node commits after a migration its binary
// does not know (schema_guard.go).
// Config and items' data are BYTEA so the caller's JSON comes back byte for
// byte; IDs and keys use the "C" collation so they sort by bytes, as in
// SQLite. Times are TIMESTAMPTZ
// (microseconds) and returned in UTC.
package postgres
