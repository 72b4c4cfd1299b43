package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cognate-dev/cognate/internal/storage"
)

// backendPID returns the server process of tx's connection.
func backendPID(t *testing.T, tx storage.Tx) uint32 {
	t.Helper()
	var pid uint32
	if err := tx.(*txn).tx.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitBlocked waits until the server process pid waits for a lock.
func waitBlocked(db *DB, pid uint32) error {
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(5 * time.Millisecond) {
		var blocked bool
		err := db.pool.QueryRow(context.Background(),
			`SELECT cardinality(pg_blocking_pids($1)) > 0`, int32(pid)).Scan(&blocked)
		if err != nil {
			return err
		}
		if blocked {
			return nil
		}
	}
	return errors.New("the reader never waited for the writer's lock")
}

func testItem(id string, keys ...string) *storage.Item {
	return &storage.Item{
		Kind: "user", ID: id, Pool: "p", Data: []byte(`{}`), Keys: keys,
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}
}

// TestLockedReadAfterWait checks the locking reads of a Tx that wait for a
// concurrent writer: once it commits they return its new item with its new
// keys (not keys from a snapshot taken before the wait), and GetItemByKey
// follows a key the writer moved to another item.
func TestLockedReadAfterWait(t *testing.T) {
	tests := []struct {
		name  string
		write func(ctx context.Context, tx storage.Tx) error
		read  func(ctx context.Context, tx storage.Tx) (*storage.Item, error)
		want  *storage.Item // Kind, ID, Keys and Version compared
	}{
		{
			name: "GetItem sees the new keys",
			write: func(ctx context.Context, tx storage.Tx) error {
				x, err := tx.GetItem(ctx, "user", "x")
				if err != nil {
					return err
				}
				x.Keys = []string{"k2", "k3"}
				return tx.UpdateItem(ctx, x)
			},
			read: func(ctx context.Context, tx storage.Tx) (*storage.Item, error) {
				return tx.GetItem(ctx, "user", "x")
			},
			want: &storage.Item{Kind: "user", ID: "x", Keys: []string{"k2", "k3"}, Version: 2},
		},
		{
			name: "GetItemByKey follows a moved key",
			write: func(ctx context.Context, tx storage.Tx) error {
				x, err := tx.GetItem(ctx, "user", "x")
				if err != nil {
					return err
				}
				x.Keys = nil
				if err := tx.UpdateItem(ctx, x); err != nil {
					return err
				}
				y, err := tx.GetItem(ctx, "user", "y")
				if err != nil {
					return err
				}
				y.Keys = append(y.Keys, "k1")
				return tx.UpdateItem(ctx, y)
			},
			read: func(ctx context.Context, tx storage.Tx) (*storage.Item, error) {
				return tx.GetItemByKey(ctx, "user", "k1")
			},
			want: &storage.Item{Kind: "user", ID: "y", Keys: []string{"k1", "ky"}, Version: 2},
		},
		{
			name: "GetItemByKey of a deleted item",
			write: func(ctx context.Context, tx storage.Tx) error {
				return tx.DeleteItem(ctx, "user", "x", 1)
			},
			read: func(ctx context.Context, tx storage.Tx) (*storage.Item, error) {
				return tx.GetItemByKey(ctx, "user", "k1")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
			err := db.Tx(ctx, func(tx storage.Tx) error {
				if err := tx.CreateItem(ctx, testItem("x", "k1")); err != nil {
					return err
				}
				return tx.CreateItem(ctx, testItem("y", "ky"))
			})
			if err != nil {
				t.Fatal(err)
			}

			wrote, commit := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			var writeErr error
			wg.Go(func() {
				writeErr = db.Tx(ctx, func(tx storage.Tx) error {
					err := tc.write(ctx, tx)
					close(wrote)
					<-commit
					return err
				})
			})
			<-wrote
			var (
				got     *storage.Item
				readErr error
			)
			err = db.Tx(ctx, func(tx storage.Tx) error {
				pid := backendPID(t, tx)
				go func() {
					// Let the writer commit once the reader waits for
					// it (or, failing that, anyway).
					if err := waitBlocked(db, pid); err != nil {
						t.Error(err)
					}
					close(commit)
				}()
				got, readErr = tc.read(ctx, tx)
				return nil
			})
			wg.Wait()
			if err != nil || writeErr != nil {
				t.Fatalf("reader Tx: %v; writer Tx: %v", err, writeErr)
			}
			if tc.want == nil {
				if !errors.Is(readErr, storage.ErrNotFound) {
					t.Errorf("read: %v, %v; want ErrNotFound", got, readErr)
				}
				return
			}
			if readErr != nil {
				t.Fatalf("read: %v", readErr)
			}
			gotKey := &storage.Item{Kind: got.Kind, ID: got.ID, Keys: got.Keys, Version: got.Version}
			if diff := cmp.Diff(tc.want, gotKey); diff != "" {
				t.Errorf("read after the wait (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeadlockIsConflict has two transactions lock two items in opposite
// orders. PostgreSQL aborts one with a deadlock, which Tx reports as
// storage.ErrConflict wrapping the server's error; the other commits.
func TestDeadlockIsConflict(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
	err := db.Tx(ctx, func(tx storage.Tx) error {
		if err := tx.CreateItem(ctx, testItem("a")); err != nil {
			return err
		}
		return tx.CreateItem(ctx, testItem("b"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var locked sync.WaitGroup
	locked.Add(2)
	lockBoth := func(first, second string) error {
		return db.Tx(ctx, func(tx storage.Tx) error {
			// Detect the deadlock quickly; only superusers may lower it,
			// and otherwise the server's default (1s) applies.
			tx.(*txn).tx.Exec(ctx, `SAVEPOINT s`)
			if _, err := tx.(*txn).tx.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
				tx.(*txn).tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`)
			}
			if _, err := tx.GetItem(ctx, "user", first); err != nil {
				return err
			}
			locked.Done()
			locked.Wait()
			it, err := tx.GetItem(ctx, "user", second)
			if err != nil {
				return err
			}
			return tx.UpdateItem(ctx, it)
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = lockBoth("a", "b") })
	wg.Go(func() { errs[1] = lockBoth("b", "a") })
	wg.Wait()

	var ok, conflicts int
	for _, err := range errs {
		var pe *pgconn.PgError
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrConflict) && errors.As(err, &pe) && pe.Code == deadlockDetected:
			conflicts++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Errorf("%d committed and %d lost the deadlock, want 1 and 1 (errors %v)", ok, conflicts, errs)
	}
}
