// Package storagetest is the conformance suite every storage backend runs:
// Run checks the storage.Store contract case by case (round trips, sentinel
// errors, optimistic concurrency, listing, the change log and its HLC), and
// RunConcurrency checks it under racing goroutines. A backend's test calls
// both with a function that opens a fresh, migrated, empty store; no backend
// skips a case.
//
// It may import, inside cognate, only internal/storage and internal/cognito.
// It is the one non-test package that imports testing, and only backend
// tests import it.
package storagetest
