package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// openTemp opens a database in a fresh temporary directory, closed by
// t.Cleanup; it migrates when migrate is true.
func openTemp(t testing.TB, opts Options, migrate bool) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if migrate {
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return db, path
}

func openStore(t *testing.T) storage.Store {
	db, _ := openTemp(t, Options{Region: storagetest.Region}, true)
	return db
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, openStore)
}

func TestConcurrency(t *testing.T) {
	storagetest.RunConcurrency(t, openStore)
}

func TestPragmas(t *testing.T) {
	tests := []struct {
		name        string
		synchronous string
		wantSync    int
	}{
		{"default is FULL", "", 2},
		{"NORMAL", "normal", 1},
		{"EXTRA", "EXTRA", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t, Options{Synchronous: tc.synchronous}, true)
			want := fmt.Sprintf("journal_mode=wal synchronous=%d foreign_keys=1 busy_timeout=%d",
				tc.wantSync, busyTimeout.Milliseconds())
			pools := []struct {
				name  string
				pool  *sql.DB
				conns int
			}{
				{"writer", db.w, 1},
				// Several connections held at once: the DSN must configure
				// every pooled connection, not only the first.
				{"reader", db.r, 3},
			}
			for _, p := range pools {
				for i, got := range pragmas(t, p.pool, p.conns) {
					if got != want {
						t.Errorf("%s conn %d: %s, want %s", p.name, i, got, want)
					}
				}
			}
		})
	}
}

// pragmas holds n connections of pool at once and returns each one's
// settings.
func pragmas(t *testing.T, pool *sql.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for i := range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		defer c.Close()
		var (
			mode                string
			syncLevel, fk, busy int
		)
		for _, q := range []struct {
			pragma string
			dst    any
		}{
			{"journal_mode", &mode}, {"synchronous", &syncLevel}, {"foreign_keys", &fk}, {"busy_timeout", &busy},
		} {
			if err := c.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(q.dst); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, q.pragma, err)
			}
		}
		out = append(out, fmt.Sprintf("journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d", mode, syncLevel, fk, busy))
	}
	return out
}

func TestOpenRejectsBadSynchronous(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "SOMETIMES"})
	if err == nil {
		t.Fatal("Open accepted synchronous=SOMETIMES")
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	db, _ := openTemp(t, Options{}, true)
	_, err := db.r.ExecContext(context.Background(), `DELETE FROM user_pools`)
	if err == nil {
		t.Error("a reader connection could write")
	}
}

// TestMigrateConcurrently runs Migrate from several goroutines on one
// store, as a server's start and an operator's request could: every
// migration is applied once. Several processes can no longer migrate one
// file at once: the second one's Open is refused (TestSecondOpenRefused).
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, _ := openTemp(t, Options{}, false)
	const n = 4
	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Migrate %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != len(ms) {
		t.Errorf("goroutines applied %d migrations in total, want %d", total, len(ms))
	}
}

// TestHLC checks that HLCs increase when the clock stands still, and keep
// increasing after a restart whose clock is behind the stored entries.
func TestHLC(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	frozen := func() time.Time { return now }
	db, path := openTemp(t, Options{Region: "us-east-1", Clock: frozen}, true)
	for i := range 3 {
		storagetest.MustCreateUserPool(t, db, fmt.Sprintf("us-east-1_a%d", i))
	}
	db.Close()

	past := func() time.Time { return now.Add(-time.Hour) }
	db2, err := Open(ctx, path, Options{Region: "us-east-1", Clock: past})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	storagetest.MustCreateUserPool(t, db2, "us-east-1_b")

	changes, err := db2.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 4 {
		t.Fatalf("got %d changes, want 4", len(changes))
	}
	for i := 1; i < len(changes); i++ {
		if changes[i].HLC <= changes[i-1].HLC {
			t.Errorf("change %d HLC %d is not above %d", i, changes[i].HLC, changes[i-1].HLC)
		}
	}
	if got := storage.HLCTime(changes[0].HLC); !got.Equal(now) {
		t.Errorf("first HLC time = %v, want the clock's %v", got, now)
	}
}

func BenchmarkCreateUserPool(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchCreateUserPool(b, db)
}

func BenchmarkGetUserPool(b *testing.B) {
	db, _ := openTemp(b, Options{Region: storagetest.Region}, true)
	storagetest.BenchGetUserPool(b, db)
}
