package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// goroutinesCreated returns how many goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestPointStatementsStartNoGoroutines holds the point statements of a
// request's reads and writes to the budget of goroutines they start with a
// cancellable context, as every request's context is: none for a read
// outside a transaction, and for a write transaction the few database/sql
// and the driver start for the transaction itself (its rollback watcher,
// BEGIN and COMMIT, and a watcher for each result set read inside it), not
// one more for each statement. Each goroutine is a thread woken on a server
// with an idle core; before, a read started two and a one-item transaction
// about ten.
func TestPointStatementsStartNoGoroutines(t *testing.T) {
	db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	item := func(i int) *storage.Item {
		return &storage.Item{
			Kind: "user", ID: fmt.Sprintf("u%d", i), Pool: "p", Data: []byte(`{}`),
			Keys: []string{fmt.Sprintf("name:u%d", i)}, Index: []string{fmt.Sprintf("email:u%d", i)},
			CreatedAt: now, UpdatedAt: now,
		}
	}
	// Warm the statement caches and the pools' connections.
	if err := db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, item(0)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, "user", "u0"); err != nil {
		t.Fatal(err)
	}

	const n = 50
	cases := []struct {
		name string
		// most is the most goroutines n runs may start.
		most uint64
		run  func(i int) error
	}{
		{"GetItem", 0, func(int) error {
			_, err := db.GetItem(ctx, "user", "u0")
			return err
		}},
		{"GetItemByKey", 0, func(int) error {
			_, err := db.GetItemByKey(ctx, "user", "name:u0")
			return err
		}},
		{"GetItems", 0, func(int) error {
			_, err := db.GetItems(ctx, []storage.ItemRef{{Kind: "user", ID: "u0"}, {Kind: "user", ID: "nobody"}})
			return err
		}},
		// A read transaction: its rollback watcher, its BEGIN, and the
		// watcher of the item's result set, read inside it.
		{"Read", 3 * n, func(int) error {
			return db.Read(ctx, func(r storage.Reader) error {
				_, err := r.GetItem(ctx, "user", "u0")
				return err
			})
		}},
		// CreateItem: the transaction's rollback watcher, BEGIN, COMMIT,
		// and the watcher of the key check's result set; the item, its
		// key, its index entry and its change-log entry start none.
		{"Tx CreateItem", 4 * n, func(i int) error {
			return db.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, item(i+1)) })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := goroutinesCreated()
			for i := range n {
				if err := tc.run(i); err != nil {
					t.Fatal(err)
				}
			}
			// A goroutine of the runtime or of the test framework may
			// start meanwhile: a few are allowed, not one a statement.
			if got := goroutinesCreated() - before; got > tc.most+5 {
				t.Errorf("%d runs started %d goroutines, want at most %d", n, got, tc.most+5)
			}
		})
	}
}

// TestTxEndsWithItsContext shows that a write transaction whose context
// ends between its statements writes nothing, though its point statements
// run without the context's cancellation.
func TestTxEndsWithItsContext(t *testing.T) {
	db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now()
	err := db.Tx(ctx, func(tx storage.Tx) error {
		if err := tx.CreateItem(ctx, &storage.Item{Kind: "user", ID: "a", Pool: "p", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		cancel()
		// database/sql rolls the transaction back once it sees the
		// context end, on a goroutine of its own: wait for it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := tx.CreateItem(ctx, &storage.Item{Kind: "user", ID: "b", Pool: "p", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return errors.New("the transaction went on after its context ended")
			}
			if err := tx.DeleteItem(ctx, "user", "b", 1); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	})
	if err == nil {
		t.Fatal("Tx returned nil after its context ended")
	}
	for _, id := range []string{"a", "b"} {
		if _, err := db.GetItem(context.Background(), "user", id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetItem(%q) after the rolled-back transaction: %v, want ErrNotFound", id, err)
		}
	}
}
