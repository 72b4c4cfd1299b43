//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/config"
)

// TestDataDirFileModes guards the data directory's files against other
// users of the machine: with umask 0022 and a data directory made 0755 by
// the operator, the SQLite database, WAL and shared-memory files were
// created 0644, readable by anyone. Every file cognate creates there is
// now 0600: the database and its WAL, shared-memory and lock files, the
// encryption key and the admin credentials.
func TestDataDirFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	c := cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")})
	if _, err := c.CreateUserPool(context.Background(), &cip.CreateUserPoolInput{PoolName: aws.String("modes")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cognate.db", "cognate.db-wal", "cognate.db-shm", "cognate.db.lock",
		config.EncryptionKeyFile, config.AdminCredentialsFile} {
		fi, err := os.Stat(filepath.Join(dataDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, perm)
		}
	}
}
