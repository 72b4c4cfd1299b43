package sqlite

import (
	"context"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestSecondOpenRefused checks the lock: while a DB is open, opening its
// file again, in this process as from another, fails and says why; once it
// is closed, the file opens again.
func TestSecondOpenRefused(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t, Options{Region: "us-east-1"}, true)
	second, err := Open(ctx, path, Options{Region: "us-east-1"})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of an open database succeeded")
	}
	want := "sqlite: " + path + " is in use by another cognate process (it holds " + path + ".lock); " +
		"stop that process first, or give this one another data_dir"
	if err.Error() != want {
		t.Errorf("second Open: %v\nwant %s", err, want)
	}
	// The refused Open left the first one working.
	storagetest.MustCreateUserPool(t, db, "us-east-1_first")

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path, Options{Region: "us-east-1"})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	defer again.Close()
	if _, err := again.GetUserPool(ctx, "us-east-1_first"); err != nil {
		t.Errorf("reopened store lost the pool: %v", err)
	}
}
