package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// readCases are the Read cases Run runs, each on a fresh store.
var readCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"Read", testRead},
	{"ReadError", testReadError},
	{"ReadEnded", testReadEnded},
}

// testRead reads through Read what the store's own reads return: items by
// ID and key, lists, scans, counts and pools, with the same sentinels.
func testRead(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustCreate(t, s, newPool(poolA, Region, "pool"))
	a := newItem(kindUser, "a", poolA, []string{"key/a"}, []string{"idx/1", "idx/2"})
	b := newItem(kindUser, "b", poolA, []string{"key/b"}, []string{"idx/3"})
	mustCreateItem(t, s, a)
	mustCreateItem(t, s, b)
	err := s.Read(ctx, func(r storage.Reader) error {
		got := mustGetItem(t, r, kindUser, "a")
		if diff := cmp.Diff(mustGetItem(t, s, kindUser, "a"), got, cmpOpts); diff != "" {
			t.Errorf("GetItem in Read (-store +read):\n%s", diff)
		}
		byKey, err := r.GetItemByKey(ctx, kindUser, "key/b")
		if err != nil || byKey.ID != "b" {
			t.Errorf("GetItemByKey(key/b) in Read = %v, %v; want b", byKey, err)
		}
		if _, err := r.GetItem(ctx, kindUser, "missing"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetItem(missing) in Read: error = %v, want ErrNotFound", err)
		}
		if _, err := r.GetItemByKey(ctx, kindUser, "key/missing"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetItemByKey(missing) in Read: error = %v, want ErrNotFound", err)
		}
		if got := entryKeys(scanAll(t, r, storage.ScanInput{Kind: kindUser, Prefix: "idx/", Limit: 2})); !cmp.Equal(got, []string{"idx/1", "idx/2", "idx/3"}) {
			t.Errorf("ScanIndex in Read = %v", got)
		}
		if got := listAll(t, r, kindUser, poolA); len(got) != 2 {
			t.Errorf("ListItems in Read = %d items, want 2", len(got))
		}
		if n, err := r.CountItems(ctx, kindUser, poolA); err != nil || n != 2 {
			t.Errorf("CountItems in Read = %d, %v; want 2", n, err)
		}
		p, err := r.GetUserPool(ctx, poolA)
		if err != nil || p.Name != "pool" || p.Version != 1 {
			t.Errorf("GetUserPool in Read = %+v, %v", p, err)
		}
		if _, err := r.GetUserPool(ctx, poolB); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetUserPool(missing) in Read: error = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	// A write committed before Read starts is seen by it.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateItem(ctx, newItem(kindUser, "c", poolA, nil, nil))
	})
	if err := s.Read(ctx, func(r storage.Reader) error {
		_, err := r.GetItem(ctx, kindUser, "c")
		return err
	}); err != nil {
		t.Errorf("Read after a committed write: %v", err)
	}
}

// testReadError checks that Read returns fn's error as it is, so that a
// caller's sentinel and Cognito errors pass through.
func testReadError(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mine := errors.New("mine")
	if err := s.Read(ctx, func(storage.Reader) error { return mine }); err != mine {
		t.Errorf("Read returned %v, want fn's error as it is", err)
	}
	err := s.Read(ctx, func(r storage.Reader) error {
		_, err := r.GetItem(ctx, kindUser, "missing")
		return err
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Read of a missing item returned %v, want ErrNotFound", err)
	}
	// The store still works, for reads and writes.
	mustCreateItem(t, s, newItem(kindUser, "after", poolA, nil, nil))
}

// testReadEnded checks that a Reader kept after its Read returned does
// not read.
func testReadEnded(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustCreateItem(t, s, newItem(kindUser, "a", poolA, nil, nil))
	var kept storage.Reader
	if err := s.Read(ctx, func(r storage.Reader) error {
		kept = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.GetItem(ctx, kindUser, "a"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItem on an ended Read: error = %v, want a non-sentinel error", err)
	}
}
