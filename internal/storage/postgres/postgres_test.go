package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// openTemp opens a store on a fresh schema, closed by t.Cleanup (before the
// schema is dropped); it migrates when migrate is true.
func openTemp(t testing.TB, opts Options, migrate bool) (*DB, string) {
	t.Helper()
	dsn := storagetest.PostgresSchema(t)
	db, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if migrate {
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return db, dsn
}

// openStore opens a store for the conformance suites, with the read cache
// on, as a server runs it; the stores of other packages' tests run without.
func openStore(t *testing.T) storage.Store {
	db, _ := openTemp(t, Options{Region: storagetest.Region, ReadCache: true}, true)
	return db
}

func TestConformance(t *testing.T) {
	storagetest.PostgresDSN(t)
	storagetest.Run(t, openStore)
}

func TestConcurrency(t *testing.T) {
	storagetest.PostgresDSN(t)
	storagetest.RunConcurrency(t, openStore)
}

func TestOpenBadDSN(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:secret@[bad", Options{})
	if err == nil {
		t.Fatal("Open accepted a malformed DSN")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q quotes the password", err)
	}
}

// TestMigrateConcurrently migrates one schema from several stores, as nodes
// starting at once would: the advisory lock makes each migration apply once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	_, dsn := openTemp(t, Options{}, false)
	const n = 4
	dbs := make([]*DB, n)
	for i := range dbs {
		if dbs[i], err = Open(ctx, dsn, Options{}); err != nil {
			t.Fatal(err)
		}
		defer dbs[i].Close()
	}
	applied := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = db.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Migrate %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != len(ms) {
		t.Errorf("stores applied %d migrations in total, want %d", total, len(ms))
	}
}

// TestHLC checks that HLCs increase when the clock stands still, after a
// restart whose clock is behind the stored entries, and across two nodes
// whose clocks disagree.
func TestHLC(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	frozen := func() time.Time { return now }
	db, dsn := openTemp(t, Options{Region: "us-east-1", Clock: frozen}, true)
	for i := range 3 {
		storagetest.MustCreateUserPool(t, db, fmt.Sprintf("us-east-1_a%d", i))
	}
	db.Close()

	// A restarted node whose clock is an hour behind, and a second node
	// further behind still, writing in turn.
	behind, err := Open(ctx, dsn, Options{Region: "us-east-1", Clock: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	further, err := Open(ctx, dsn, Options{Region: "us-east-1", Clock: func() time.Time { return now.Add(-2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer further.Close()
	storagetest.MustCreateUserPool(t, behind, "us-east-1_b")
	storagetest.MustCreateUserPool(t, further, "us-east-1_c")
	storagetest.MustCreateUserPool(t, behind, "us-east-1_d")

	changes, err := behind.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 6 {
		t.Fatalf("got %d changes, want 6", len(changes))
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
