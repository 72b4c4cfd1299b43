package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestReplicateWithLease runs two nodes' lease loops on one schema: one
// replicates; when the server ends its lease's session it stops, and the
// other takes over.
func TestReplicateWithLease(t *testing.T) {
	defer func(d time.Duration) { leaseRetry = d }(leaseRetry)
	leaseRetry = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := storagetest.PostgresSchema(t)
	type event struct {
		node    int
		running bool
	}
	events := make(chan event, 16)
	done := make(chan struct{}, 2)
	for i := range 2 {
		db, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		go func() {
			defer func() { done <- struct{}{} }()
			replicateWithLease(ctx, db, "us-east-1", func(ctx context.Context) {
				events <- event{i, true}
				<-ctx.Done()
				events <- event{i, false}
			}, slog.New(slog.DiscardHandler))
		}()
	}
	next := func() event {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(30 * time.Second):
			t.Fatal("no lease change")
			return event{}
		}
	}
	first := next()
	if !first.running {
		t.Fatalf("first event %+v", first)
	}
	// The other node keeps waiting while the holder lives.
	select {
	case e := <-events:
		t.Fatalf("while node %d held the lease: %+v", first.node, e)
	case <-time.After(time.Second):
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if tag, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid = x'636f6720'::int::oid
		AND objid = (hashtext(current_schema() || '/replication/us-east-1')::bigint & 4294967295)::oid`); err != nil {
		t.Fatal(err)
	} else if tag.RowsAffected() != 1 {
		t.Fatalf("%d lease sessions ended, want 1", tag.RowsAffected())
	}
	if e := next(); e != (event{first.node, false}) {
		t.Fatalf("after the holder's session ended: %+v, want node %d stopped", e, first.node)
	}
	if e := next(); e != (event{1 - first.node, true}) {
		t.Fatalf("after the holder stopped: %+v, want node %d running", e, 1-first.node)
	}
	cancel()
	<-done
	<-done
}
