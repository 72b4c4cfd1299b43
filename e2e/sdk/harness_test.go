package sdk

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	accountID = "123456789012"
	keyID     = "AKIAE2ETESTKEY000001"
	secret    = "e2e-secret-e2e-secret-e2e-secret-e2e-sec"
)

// env is one running cognate and what a test needs to call it.
type env struct {
	URL   string
	Store storage.Store
}

// client returns a user-pools client for region signed with the admin key.
func (e *env) client(region string) *cip.Client {
	return e.clientWith(region, keyID, secret)
}

// clientWith returns a user-pools client that signs with the given key.
// It keeps the SDK's default retries: the SDK's HTTP transport now and then
// fails to read a complete 200 response on a reused connection ("use of
// closed network connection", aws/aws-sdk-go-v2#2737), which the retryer
// absorbs. Service errors (4xx) are never retried by the SDK, so assertions
// on them see the first answer.
func (e *env) clientWith(region, id, key string) *cip.Client {
	return cip.New(cip.Options{
		BaseEndpoint: aws.String(e.URL),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(id, key, ""),
	})
}

// backendNames are the storage backends every end-to-end test runs on.
var backendNames = []string{"sqlite", "postgres"}

// backends runs f once per storage backend: SQLite always, PostgreSQL when
// COGNATE_TEST_POSTGRES_DSN is set (required in CI).
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) { f(t, start(t, openBackend(t, name))) })
	}
}

// openBackend opens a fresh, empty store of the named backend.
func openBackend(tb testing.TB, name string) migratingStore {
	tb.Helper()
	ctx := context.Background()
	var (
		db  migratingStore
		err error
	)
	switch name {
	case "sqlite":
		db, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1"})
	case "postgres":
		db, err = postgres.Open(ctx, storagetest.PostgresSchema(tb), postgres.Options{Region: "us-east-1"})
	default:
		tb.Fatalf("unknown backend %q", name)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

type migratingStore interface {
	storage.Store
	storage.Migrator
}

// start migrates db and serves cognate on it.
func start(t testing.TB, db migratingStore) *env {
	t.Helper()
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	handler := api.NewHandler(api.Options{
		Pools:       userpool.New(db, userpool.Options{AccountID: accountID}),
		AccountID:   accountID,
		Credentials: map[string]string{keyID: secret},
	})
	srv := server.New(server.Options{API: handler, Ready: db.Ping})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{URL: ts.URL, Store: db}
}
