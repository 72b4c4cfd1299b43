package storage

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// Marker records that a use-once value (a sign-in step's Session or
// SECRET_BLOCK) has been used. Markers are kept apart from items, in a
// table of their own: a marker has no keys, no index entries, no version
// and no change-log entry (it is local to the store that writes it, as a
// Local item kind is), so creating one writes one row and its expiry,
// where an item writes its row, its pool index and its index entries.
type Marker struct {
	// ID is unique across the store. A pool's markers have IDs that start
	// with "<pool>/": DeletePoolItems deletes them with the pool.
	ID string
	// Data is what the marker's writer keeps with it (JSON, or nil); it
	// round-trips byte for byte.
	Data []byte
	// ExpiresAt is when the marker may go: SweepMarkers deletes the
	// markers that expired. The store keeps it to the microsecond.
	ExpiresAt time.Time
}

// MarkerReader reads markers.
type MarkerReader interface {
	// GetMarker returns the marker with id, or ErrNotFound. Outside a
	// transaction it reads the latest committed state without locking; in
	// a Tx it also sees the transaction's own CreateMarker.
	GetMarker(ctx context.Context, id string) (*Marker, error)
}

// MarkerSweeper removes expired markers.
type MarkerSweeper interface {
	// SweepMarkers deletes, in one statement of its own, up to limit
	// markers whose ExpiresAt is before before, oldest first, and returns
	// how many it deleted. Its cost grows with the markers deleted, not
	// with the markers kept.
	SweepMarkers(ctx context.Context, before time.Time, limit int) (int64, error)
}

// MarkerKind is the kind by which GetItems reads a marker together with
// items (storage.GetItems, ItemsGetter): a ref {MarkerKind, id} names the
// marker with id, returned as an Item of Kind MarkerKind with its ID and
// Data (no pool, times, keys or index; Version 1), or nil when there is
// none. No item may have this kind: the item writes refuse it.
const MarkerKind = "use_marker"

// MarkerItem returns m as GetItems returns it for a ref of MarkerKind.
func MarkerItem(m *Marker) *Item {
	return &Item{Kind: MarkerKind, ID: m.ID, Data: m.Data, Version: 1}
}

// CheckMarker returns an error when m cannot be stored: an empty ID, or an
// ID that is not valid UTF-8 or holds a NUL byte (which PostgreSQL's text
// type cannot hold).
func CheckMarker(m *Marker) error {
	if m.ID == "" {
		return fmt.Errorf("create marker: empty ID")
	}
	if !utf8.ValidString(m.ID) {
		return fmt.Errorf("create marker %q: ID is not valid UTF-8", m.ID)
	}
	for i := 0; i < len(m.ID); i++ {
		if m.ID[i] == 0 {
			return fmt.Errorf("create marker %q: ID holds a NUL byte", m.ID)
		}
	}
	return nil
}
