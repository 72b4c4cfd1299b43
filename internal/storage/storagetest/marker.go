package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// markerCases are the use-marker cases Run runs, each on a fresh store.
var markerCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"MarkerCreateGet", testMarkerCreateGet},
	{"MarkerTxRollback", testMarkerTxRollback},
	{"MarkerGetItems", testMarkerGetItems},
	{"MarkerSweep", testMarkerSweep},
	{"MarkerDeletePool", testMarkerDeletePool},
}

// testMarkerCreateGet creates a marker, reads it back outside and inside
// a transaction, and finds a second create of its ID refused with
// ErrAlreadyExists without dooming the transaction; markers write nothing
// to the change log.
func testMarkerCreateGet(t *testing.T, s storage.Store) {
	ctx := context.Background()
	before := allChanges(t, s)
	if _, err := s.GetMarker(ctx, poolA+"/used/1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetMarker of a missing marker: %v, want ErrNotFound", err)
	}
	data := []byte("{\"next\": \"<ü>\",\n \"n\": 1.50}")
	exp := base.Add(20 * time.Minute)
	m := &storage.Marker{ID: poolA + "/used/1", Data: data, ExpiresAt: exp}
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateMarker(ctx, m); err != nil {
			return err
		}
		got, err := tx.GetMarker(ctx, m.ID)
		if err != nil || string(got.Data) != string(data) {
			return fmt.Errorf("GetMarker in the creating Tx = %+v, %v", got, err)
		}
		// The same ID again: refused, and the transaction goes on.
		if err := tx.CreateMarker(ctx, &storage.Marker{ID: m.ID, ExpiresAt: exp}); !errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("second CreateMarker in one Tx: %v, want ErrAlreadyExists", err)
		}
		return tx.CreateMarker(ctx, &storage.Marker{ID: poolA + "/used/2", ExpiresAt: exp})
	})
	got, err := s.GetMarker(ctx, m.ID)
	if err != nil {
		t.Fatalf("GetMarker: %v", err)
	}
	want := &storage.Marker{ID: m.ID, Data: data, ExpiresAt: exp.UTC().Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMarker (-want +got):\n%s", diff)
	}
	if got.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt is in %v, want UTC", got.ExpiresAt.Location())
	}
	// No data is nil data.
	got, err = s.GetMarker(ctx, poolA+"/used/2")
	if err != nil || got.Data != nil {
		t.Errorf("GetMarker of a marker without data = %+v, %v; want nil Data", got, err)
	}
	// A create in a later transaction is refused too.
	err = s.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateMarker(ctx, &storage.Marker{ID: m.ID, ExpiresAt: exp})
	})
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateMarker of an existing marker: %v, want ErrAlreadyExists", err)
	}
	if got := allChanges(t, s); len(got) != len(before) {
		t.Errorf("markers wrote %d change-log entries, want none", len(got)-len(before))
	}
	// Markers are not items: an item of MarkerKind is refused.
	err = s.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateItem(ctx, newItem(storage.MarkerKind, "x", poolA, nil, nil))
	})
	if !errors.Is(err, storage.ErrUndeclaredKind) {
		t.Errorf("CreateItem of kind %s: %v, want ErrUndeclaredKind", storage.MarkerKind, err)
	}
	// And a marker needs an ID.
	err = s.Tx(ctx, func(tx storage.Tx) error { return tx.CreateMarker(ctx, &storage.Marker{ExpiresAt: exp}) })
	if err == nil {
		t.Error("CreateMarker without an ID succeeded")
	}
}

// testMarkerTxRollback finds that a marker created in a transaction that
// fails is not stored.
func testMarkerTxRollback(t *testing.T, s storage.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx storage.Tx) error {
		if err := tx.CreateMarker(ctx, &storage.Marker{ID: poolA + "/used/r", ExpiresAt: base}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want boom", err)
	}
	if _, err := s.GetMarker(ctx, poolA+"/used/r"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetMarker after a rolled-back create: %v, want ErrNotFound", err)
	}
}

// testMarkerGetItems reads markers together with items in one GetItems,
// through storage.GetItems, in any order and number.
func testMarkerGetItems(t *testing.T, s storage.Store) {
	ctx := context.Background()
	u := newItem(kindUser, "u1", poolA, []string{"name/u1"}, []string{"email/u1"})
	mustCreateItem(t, s, u)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateMarker(ctx, &storage.Marker{ID: poolA + "/used/a", Data: []byte(`{"next":"b"}`), ExpiresAt: base})
	})
	marker := &storage.Item{Kind: storage.MarkerKind, ID: poolA + "/used/a", Data: []byte(`{"next":"b"}`), Version: 1}
	tests := []struct {
		name string
		refs []storage.ItemRef
		want []*storage.Item
	}{
		{"marker alone", []storage.ItemRef{{Kind: storage.MarkerKind, ID: poolA + "/used/a"}}, []*storage.Item{marker}},
		{"missing marker alone", []storage.ItemRef{{Kind: storage.MarkerKind, ID: poolA + "/used/none"}}, []*storage.Item{nil}},
		{"item then marker", []storage.ItemRef{{Kind: kindUser, ID: "u1"}, {Kind: storage.MarkerKind, ID: poolA + "/used/a"}},
			[]*storage.Item{u, marker}},
		{"missing marker among items", []storage.ItemRef{
			{Kind: storage.MarkerKind, ID: poolA + "/used/none"}, {Kind: kindUser, ID: "u1"},
			{Kind: kindUser, ID: "none"}, {Kind: storage.MarkerKind, ID: poolA + "/used/a"}},
			[]*storage.Item{nil, u, nil, marker}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := storage.GetItems(ctx, s, tc.refs)
			if err != nil {
				t.Fatalf("GetItems: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
				t.Errorf("GetItems (-want +got):\n%s", diff)
			}
		})
	}
}

// testMarkerSweep finds SweepMarkers deleting the expired markers only,
// oldest first and at most limit at a time.
func testMarkerSweep(t *testing.T, s storage.Store) {
	ctx := context.Background()
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 5 {
			m := &storage.Marker{ID: fmt.Sprintf("%s/used/%d", poolA, i), ExpiresAt: base.Add(time.Duration(i) * time.Minute)}
			if err := tx.CreateMarker(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	// Markers 0 to 3 expired before base+3m30s; the sweep takes two at a
	// time, the oldest first.
	now := base.Add(3*time.Minute + 30*time.Second)
	for _, want := range []int64{2, 2, 0} {
		n, err := s.SweepMarkers(ctx, now, 2)
		if err != nil || n != want {
			t.Fatalf("SweepMarkers = %d, %v; want %d", n, err, want)
		}
	}
	for i := range 5 {
		_, err := s.GetMarker(ctx, fmt.Sprintf("%s/used/%d", poolA, i))
		if gone := errors.Is(err, storage.ErrNotFound); gone != (i < 4) {
			t.Errorf("marker %d: GetMarker = %v, want gone %v", i, err, i < 4)
		}
	}
	if n, err := s.SweepMarkers(ctx, now.Add(time.Hour), 0); err != nil || n != 0 {
		t.Errorf("SweepMarkers with limit 0 = %d, %v; want 0", n, err)
	}
}

// testMarkerDeletePool finds DeletePoolItems deleting the pool's markers
// and no other pool's, even one whose ID shares the pool's as a prefix.
func testMarkerDeletePool(t *testing.T, s storage.Store) {
	ctx := context.Background()
	ids := []string{poolA + "/used/1", poolA + "/x", poolA + "0/used/1", poolA + "x/used/1", poolB + "/used/1"}
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, id := range ids {
			if err := tx.CreateMarker(ctx, &storage.Marker{ID: id, ExpiresAt: base}); err != nil {
				return err
			}
		}
		return nil
	})
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeletePoolItems(ctx, poolA)
		return err
	})
	for i, id := range ids {
		_, err := s.GetMarker(ctx, id)
		if gone := errors.Is(err, storage.ErrNotFound); gone != (i < 2) {
			t.Errorf("marker %q after deleting %s: GetMarker = %v, want gone %v", id, poolA, err, i < 2)
		}
	}
}

// testMarkerRacingCreates creates one marker from n transactions at once:
// exactly one commits it, and every other gets ErrAlreadyExists.
func testMarkerRacingCreates(t *testing.T, s storage.Store, n int) {
	ctx := deadlineContext(t)
	errs := race(t, ctx, n, func(i int) error {
		return s.Tx(ctx, func(tx storage.Tx) error {
			if _, err := tx.GetMarker(ctx, poolA+"/used/race"); err == nil {
				return fmt.Errorf("create marker: seen: %w", storage.ErrAlreadyExists)
			}
			if err := tx.CreateMarker(ctx, &storage.Marker{ID: poolA + "/used/race", ExpiresAt: base}); err != nil {
				return err
			}
			// An item write in the same transaction, as a sign-in's.
			return tx.CreateItem(ctx, newItem(kindLocal, fmt.Sprintf("w%d", i), poolA, nil, nil))
		})
	})
	ok, dup := countOutcomes(t, errs, storage.ErrAlreadyExists)
	if ok != 1 || dup != n-1 {
		t.Fatalf("%d succeeded and %d got ErrAlreadyExists, want 1 and %d", ok, dup, n-1)
	}
	if c, err := s.CountItems(ctx, kindLocal, poolA); err != nil || c != 1 {
		t.Errorf("CountItems = %d, %v; want the winner's item alone", c, err)
	}
}
