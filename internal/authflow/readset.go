package authflow

import (
	"context"
	"fmt"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
)

// readSet is a storage.ItemReader (and MarkerReader) holding items an
// answer read together,
// in one store call (storage.GetItems: one statement on SQLite, one round
// trip on PostgreSQL), before it acts: the user, the Session's use marker,
// and what the step checks besides (a device, an MFA answer count, the
// lockouts, a TOTP step). Each of these was a store call of its own, and on
// SQLite a read transaction of its own, which costs more than the lookup:
// a reader connection that the writer has written behind since its last
// read drops its page cache when it begins one. Reading them together
// changes nothing in what the answer decides: these reads happen before
// any write of the answer, and the transaction that acts reads again what
// it decides on. Other reads go to the store.
//
// The set also holds the first scan of the user's groups
// (directory.UserGroupsScan), read in the same store call
// (storage.GetItemsScan: one statement on SQLite, one round trip on
// PostgreSQL), which the tokens' claims read when the answer signs the
// user in; a step that opens another challenge leaves it unread.
type readSet struct {
	engineStore
	refs  []storage.ItemRef
	items []*storage.Item
	// scanned says whether scan was run with the items; entries is what
	// it found.
	scanned bool
	scan    storage.ScanInput
	entries []storage.IndexEntry
}

// ScanIndex returns the entries the set's scan found when in is that scan,
// or scans the store.
func (r *readSet) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if r.scanned && in == r.scan {
		return r.entries, nil
	}
	return r.engineStore.ScanIndex(ctx, in)
}

// GetItem returns the item as the set read it, or reads it from the store
// when the set does not name it.
func (r *readSet) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	for i, ref := range r.refs {
		if ref.Kind != kind || ref.ID != id {
			continue
		}
		if r.items[i] == nil {
			return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
		}
		return r.items[i], nil
	}
	return r.engineStore.GetItem(ctx, kind, id)
}

// GetMarker returns the marker as the set read it, or reads it from the
// store when the set does not name it.
func (r *readSet) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	for i, ref := range r.refs {
		if ref.Kind != storage.MarkerKind || ref.ID != id {
			continue
		}
		if r.items[i] == nil {
			return nil, fmt.Errorf("get marker %q: %w", id, storage.ErrNotFound)
		}
		return &storage.Marker{ID: id, Data: r.items[i].Data}, nil
	}
	return r.engineStore.GetMarker(ctx, id)
}

// readTogether reads, in one store call, the user of the call's state,
// the state's use marker and refs, for the reads of the answer that
// follow (sp.reader). It reads nothing for a state that names no user.
func (s *Service) readTogether(ctx context.Context, sp *call, refs ...storage.ItemRef) error {
	st := sp.st
	if st == nil || st.Fake || st.Sub == "" || sp.reads != nil {
		return nil
	}
	all := append([]storage.ItemRef{directory.UserRef(st.Sub), {Kind: storage.MarkerKind, ID: usedMarkerID(st.Pool, st.ID)}}, refs...)
	reads, err := s.readWithGroups(ctx, st.Pool, st.Sub, all)
	if err != nil {
		return internal(fmt.Errorf("read the answer's items: %w", err))
	}
	sp.reads = reads
	return nil
}

// readWithGroups reads the items refs name and, on a store that runs an
// index scan in the same call (storage.ItemsScanner: both backends), the
// first scan of the groups of the user sub of pool, for the tokens' claims
// if the caller mints tokens. Through a store that does not, the groups
// are left to be read when they are needed.
func (s *Service) readWithGroups(ctx context.Context, pool, sub string, refs []storage.ItemRef) (*readSet, error) {
	r := &readSet{engineStore: s.store, refs: refs}
	var err error
	if _, ok := s.store.(storage.ItemsScanner); ok {
		r.scanned, r.scan = true, directory.UserGroupsScan(pool, sub)
		r.items, r.entries, err = storage.GetItemsScan(ctx, s.store, refs, r.scan)
	} else {
		r.items, err = storage.GetItems(ctx, s.store, refs)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reader is what the call's reads outside a transaction go through: the
// items read together (readTogether), else the store.
func (s *Service) reader(sp *call) engineStore {
	if sp.reads != nil {
		return sp.reads
	}
	return s.store
}
