package postgres

import (
	"context"
	"testing"
	"time"
)

// TestLease checks that one session at a time holds a lease of a schema,
// that PostgreSQL frees it when the session ends, that Lost is closed when
// the lease's connection is lost, and that another schema's lease of the
// same name is another lock.
func TestLease(t *testing.T) {
	ctx := context.Background()
	db1, dsn := openTemp(t, Options{}, false)
	db2, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	other, _ := openTemp(t, Options{}, false)

	l1, err := db1.TryLease(ctx, "replication/r")
	if err != nil || l1 == nil {
		t.Fatalf("first TryLease: %v, %v", l1, err)
	}
	if l, err := db2.TryLease(ctx, "replication/r"); err != nil || l != nil {
		t.Fatalf("second node took a held lease: %v, %v", l, err)
	}
	lo, err := other.TryLease(ctx, "replication/r")
	if err != nil || lo == nil {
		t.Fatalf("another schema's lease: %v, %v", lo, err)
	}
	defer lo.Release()
	ln, err := db2.TryLease(ctx, "replication/other")
	if err != nil || ln == nil {
		t.Fatalf("a lease of another name: %v, %v", ln, err)
	}
	ln.Release()

	l1.Release()
	select {
	case <-l1.Lost():
	default:
		t.Fatal("Lost not closed after Release")
	}
	l2, err := db2.TryLease(ctx, "replication/r")
	if err != nil || l2 == nil {
		t.Fatalf("TryLease after Release: %v, %v", l2, err)
	}

	// The server ends the holder's session: the lock goes with it, and
	// the holder learns it through Lost.
	var pid int32
	if err := db1.pool.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid
		AND objid = (hashtext(current_schema() || '/replication/r')::bigint & 4294967295)::oid AND granted`,
		int64(leaseLockClass)).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db1.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l2.Lost():
	case <-time.After(30 * time.Second):
		t.Fatal("Lost not closed after the lease's session ended")
	}
	l3, err := db1.TryLease(ctx, "replication/r")
	if err != nil || l3 == nil {
		t.Fatalf("TryLease after the holder's session ended: %v, %v", l3, err)
	}
	l3.Release()
	l2.Release()
}
