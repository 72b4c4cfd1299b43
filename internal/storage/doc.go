// Package storage defines the Store interface that every backend implements,
// the record types it stores, its sentinel errors and the change-log entry.
//
// It is a leaf: it may import only internal/cognito and the standard library.
// Backends live in storage/sqlite and storage/postgres; storage/storagetest is
// the conformance suite both must pass. Storage never returns Cognito or HTTP
// errors, only the sentinels below wrapped with %w; engine packages decide
// which Cognito exception a sentinel becomes.
package storage
