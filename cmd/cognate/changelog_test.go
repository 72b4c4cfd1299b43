package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// TestCompactChangeLog checks the server's compaction loop: at start it
// removes the superseded states older than the retention, and keeps the
// newest state of each record and everything newer than the retention.
func TestCompactChangeLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cognate.db")
	old := time.Now().Add(-10 * 24 * time.Hour)
	// Write two states of one record ten days ago, and two of another now.
	write := func(clock func() time.Time, id string) {
		t.Helper()
		db, err := sqlite.Open(ctx, path, sqlite.Options{Region: "us-east-1", Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		it := &storage.Item{Kind: "user", ID: id, Pool: "us-east-1_p", Data: []byte(`{"v":1}`)}
		err = db.Tx(ctx, func(tx storage.Tx) error {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
			it.Data = []byte(`{"v":2}`)
			return tx.UpdateItem(ctx, it)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(func() time.Time { return old }, "old")
	write(time.Now, "new")

	db, err := sqlite.Open(ctx, path, sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		compactChangeLog(loopCtx, db, 7*24*time.Hour, time.Hour, slog.New(slog.DiscardHandler))
	}()
	// The first round runs at once; wait for it to show, then stop.
	var changes []storage.Change
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if changes, err = db.Changes(ctx, 0, 100); err != nil {
			t.Fatal(err)
		}
		if len(changes) == 3 {
			break
		}
	}
	stop()
	<-done
	var got []string
	for _, c := range changes {
		got = append(got, string(c.Kind)+" "+c.Key)
	}
	want := []string{"update old", "create new", "update new"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("change log after the first round = %q, want %q", got, want)
	}
}
