// Package storagetest is the conformance suite every storage backend runs:
// Run checks the storage.Store contract case by case (round trips, sentinel
// errors, optimistic concurrency, listing, the change log and its HLC; for
// items also key conflicts, rollback and panics in Tx, and ScanIndex over
// values that trip LIKE matching and locale collations), and RunConcurrency
// checks it under racing goroutines (lost updates, racing unique keys, a
// change-log cursor that must not skip). A backend's test calls both with a
// function that opens a fresh, migrated, empty store; no backend skips a
// case. The Bench functions are the bodies of the backends' item and pool
// benchmarks, so both measure the same work. The checks that need a
// backend's own SQL (MigrateFresh, MigrateExistingStore,
// MigrateNewerStore, CompactChangesDropsLocalKinds) take it as functions,
// so that each backend's test holds only what differs.
//
// It may import, inside cognate, only internal/storage and internal/cognito.
// It is the one non-test package that imports testing, and only backend
// tests import it.
package storagetest
