package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestServeStopsOnNewerSchema is a rolling upgrade on PostgreSQL: while a
// node serves, a newer release migrates the shared database (recorded in
// schema_migrations and announced on the read caches' channel, as its
// Migrate does). The node hears it and refuses writes at once, with
// InternalErrorException saying why, then stops with a non-zero exit and
// a log line that says what to do; started again, it refuses the store.
func TestServeStopsOnNewerSchema(t *testing.T) {
	storagetest.PostgresDSN(t)
	ts := newTestStore(t, "postgres")
	s := startServe(t, ts.env, ts.args()...)
	c := newClient(s.url)
	ctx := context.Background()
	if _, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("before")}); err != nil {
		t.Fatal(err)
	}

	newer, err := pgx.Connect(ctx, ts.env["COGNATE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close(ctx)
	if _, err := newer.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := newer.Exec(ctx, `SELECT pg_notify('cognate_read_cache', 'migrated ' || current_schema())`); err != nil {
		t.Fatal(err)
	}

	// Writes are refused from the moment the node hears it (those that
	// came before went through).
	const msg = "This server is stopping: a newer version of cognate has upgraded its database. Retry the request."
	var refused string
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		refused = "after-" + strconv.Itoa(i)
		_, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(refused)})
		var ae interface {
			ErrorCode() string
			ErrorMessage() string
		}
		if errors.As(err, &ae) && ae.ErrorCode() == "InternalErrorException" && ae.ErrorMessage() == msg {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CreateUserPool after the newer release migrated the database: %v, want InternalErrorException %q", err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pools, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == refused {
			t.Errorf("the refused CreateUserPool made its pool %s", refused)
		}
	}

	// The node stops by itself at its next check of the schema.
	select {
	case <-s.done:
	case <-time.After(2*schemaCheckEvery + 10*time.Second):
		t.Fatal("serve did not stop after a newer release migrated its database")
	}
	if s.code == 0 {
		t.Error("serve exited 0 after a newer release migrated its database")
	}
	if logs := s.stderr.String(); !strings.Contains(logs, "a newer cognate migrated the store") || !strings.Contains(logs, "migration 9999") {
		t.Errorf("the log does not say why serve stopped:\n%s", logs)
	}
	code, _, stderr := runServeFor(t, ts.env, ts.args()...)
	if code == 0 || !strings.Contains(stderr, "migration 9999") {
		t.Errorf("serve on the newer database exited %d:\n%s", code, stderr)
	}
}
