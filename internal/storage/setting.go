package storage

import (
	"context"
	"time"
)

// Setting is a store-wide value that belongs to no user pool: what every
// server that shares the store must agree on, such as the check values of
// the encryption keys its data is sealed with and the token issuer. Value
// is the owner's JSON, kept byte for byte. Settings are not written to the
// change log: they describe this store, not data that replicates.
type Setting struct {
	// Name identifies the setting, e.g. "encryption_keys".
	Name string
	// Value is the setting's state as JSON.
	Value []byte
	// UpdatedAt is set by the caller.
	UpdatedAt time.Time
	// Version counts writes, as for UserPool: Create stores 1; Update
	// requires the stored version and sets Version to the new one.
	Version int64
}

// Settings reads and writes store-wide settings. Each method is atomic on
// its own; two servers racing to create or update one setting get exactly
// one winner, and the other gets ErrAlreadyExists or ErrConflict.
type Settings interface {
	// GetSetting returns the setting name, or ErrNotFound.
	GetSetting(ctx context.Context, name string) (*Setting, error)
	// CreateSetting stores s with Version 1 and sets s.Version to 1, or
	// returns ErrAlreadyExists when the setting exists.
	CreateSetting(ctx context.Context, s *Setting) error
	// UpdateSetting replaces the setting's value when s.Version is the
	// stored version, then sets s.Version to the new version. It returns
	// ErrNotFound or ErrConflict.
	UpdateSetting(ctx context.Context, s *Setting) error
}
