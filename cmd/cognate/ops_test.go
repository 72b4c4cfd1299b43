package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateRefusesNewerSchema guards the downgrade rule of
// docs/operations.md: a binary refuses a store that a newer release has
// migrated, at `cognate migrate` and at start, rather than serve a schema
// it does not know.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCmd(t, nil, "migrate", "--data-dir", dataDir); code != 0 {
		t.Fatalf("migrate: code %d, stderr %s", code, stderr)
	}
	// What a newer release's migration leaves in schema_migrations.
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	want := "it has migration 9999, which this cognate (migrations up to "
	for _, args := range [][]string{
		{"migrate", "--data-dir", dataDir},
		{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir},
	} {
		code, stdout, stderr := runCmd(t, nil, args...)
		if code != exitError || !strings.Contains(stderr, want) {
			t.Errorf("%s on a newer store: code %d, stdout %q, stderr %s; want code %d and %q", args[0], code, stdout, stderr, exitError, want)
		}
		if strings.Contains(stdout, "ready") {
			t.Errorf("%s on a newer store printed a ready screen:\n%s", args[0], stdout)
		}
	}
}
