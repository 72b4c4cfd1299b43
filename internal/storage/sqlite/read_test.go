package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestReadSnapshot checks what SQLite's Read promises beyond the
// conformance suite: its reads see one snapshot, so a write that commits
// between two of them is not seen by the second, and the writer does not
// wait for the read transaction.
func TestReadSnapshot(t *testing.T) {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	ctx := context.Background()
	now := time.Now()
	write := func(data string, version int64) {
		t.Helper()
		err := db.Tx(ctx, func(tx storage.Tx) error {
			it := &storage.Item{Kind: "user", ID: "a", Pool: "p", Data: []byte(data), CreatedAt: now, UpdatedAt: now, Version: version}
			if version == 0 {
				return tx.CreateItem(ctx, it)
			}
			return tx.UpdateItem(ctx, it)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(`"one"`, 0)
	err := db.Read(ctx, func(r storage.Reader) error {
		first, err := r.GetItem(ctx, "user", "a")
		if err != nil {
			return err
		}
		write(`"two"`, first.Version) // commits while the read transaction is open
		second, err := r.GetItem(ctx, "user", "a")
		if err != nil {
			return err
		}
		if string(second.Data) != `"one"` || second.Version != first.Version {
			t.Errorf("second read in Read = %s version %d, want the snapshot's %s version %d", second.Data, second.Version, first.Data, first.Version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.GetItem(ctx, "user", "a")
	if err != nil || string(it.Data) != `"two"` {
		t.Errorf("after Read: %v, %v; want the committed write", it, err)
	}
}
