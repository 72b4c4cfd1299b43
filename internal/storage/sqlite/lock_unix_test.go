//go:build unix

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestFileModes guards the store's files against being readable by other
// users: with umask 0022 in a 0755 directory, SQLite created the database,
// WAL and shared-memory files 0644, so any local user could copy password
// hashes and personal data. Every file is now 0600.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cognate.db")
	db, err := Open(context.Background(), path, Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	storagetest.MustCreateUserPool(t, db, "us-east-1_modes")
	checkModes(t, path)
}

// TestFileModesTightened checks that a database created by an earlier
// version with mode 0644, and the WAL and shared-memory files left beside
// it, lose their group and other permissions when opened.
func TestFileModesTightened(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "cognate.db")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), path, Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkModes(t, path)
}

func checkModes(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), perm)
		}
	}
}
