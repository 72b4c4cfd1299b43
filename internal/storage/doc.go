// Package storage defines the Store interface that every backend implements,
// the record types it stores, its sentinel errors and the change-log entry.
//
// User pools have their own table and methods. Everything that lives inside
// a pool (clients, users, groups, …) is an Item: opaque JSON Data plus the
// unique Keys and ordered Index strings the store finds it by, so a new kind
// needs no migration. Every kind is declared Replicated or Local by the
// package that stores it (DeclareKind): the changes of a replicated kind go
// to the change log, those of a local kind never do, and a kind declared
// neither way is refused. Items are read through ItemReader and written only
// through Transactor.Tx, whose Tx groups reads (that lock, on backends with
// concurrent writers) and writes into one transaction with their change-log
// entries; ReadTransactor.Read runs reads that must agree with each other
// together (one snapshot on SQLite). EncodeItem and EncodeUserPool define the change-log state format
// both backends write and replication reads.
// RunMigrations is the migration runner both backends share: each supplies
// its embedded NNNN_description.sql files and a MigrationDialect. It refuses
// (ErrSchemaNewer) a store that a newer release has migrated; a store that
// a newer release migrates while it serves notices through SchemaGuard and
// refuses every write from then on (SchemaLatch).
//
// It is a leaf: it may import only internal/cognito and the standard library.
// Backends live in storage/sqlite and storage/postgres; storage/storagetest is
// the conformance suite both must pass. Storage never returns Cognito or HTTP
// errors, only the sentinels below wrapped with %w; engine packages decide
// which Cognito exception a sentinel becomes.
package storage
