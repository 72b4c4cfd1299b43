package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestMigrateExistingStore upgrades a store of an earlier version that
// holds change-log entries: Migrate applies only the newer migrations
// (0003 adds change_log_hlc), keeps the entries, and a store opened
// afterwards with a clock behind them starts its HLC right after the newest
// one, read through the new index.
func TestMigrateExistingStore(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	older := 0
	for older < len(ms) && ms[older].Version < 3 {
		older++
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	db, dsn := openTemp(t, Options{Region: "us-east-1", Clock: func() time.Time { return now }}, false)
	if n, err := db.migrate(ctx, ms[:older]); err != nil || n != older {
		t.Fatalf("migrate to version %d = %d, %v; want %d applied", ms[older-1].Version, n, err, older)
	}
	for i := range 3 {
		mustCreate(t, db, fmt.Sprintf("us-east-1_a%d", i))
	}
	hasIndex := func() bool {
		t.Helper()
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT to_regclass('change_log_hlc') IS NOT NULL`).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		return exists
	}
	if hasIndex() {
		t.Fatal("change_log_hlc exists before its migration")
	}

	n, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if want := len(ms) - older; n != want {
		t.Errorf("Migrate applied %d, want %d", n, want)
	}
	if !hasIndex() {
		t.Error("change_log_hlc is missing after Migrate")
	}
	changes, err := db.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 {
		t.Fatalf("%d changes after Migrate, want the 3 written before", len(changes))
	}
	newest := changes[len(changes)-1].HLC

	behind, err := Open(ctx, dsn, Options{Region: "us-east-1", Clock: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	if got := behind.hlc.Now(); got != newest+1 {
		t.Errorf("first HLC after reopening = %d, want %d, right after the newest stored %d", got, newest+1, newest)
	}
}
