package userpool

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// testRegion is the region of the pools the tests create; utCaller and
// luCaller are the callers of every test request.
const testRegion = "us-east-1"

var (
	utCaller = cognito.Caller{Region: testRegion}
	luCaller = utCaller
)

// luBackends are the storage backends the tests that run on every store
// run on.
var luBackends = []string{"sqlite", "postgres"}

// luOpenStore opens a fresh, migrated store of the named backend, closed
// (and for PostgreSQL, dropped) when tb ends.
func luOpenStore(tb testing.TB, backend string) storage.Store {
	tb.Helper()
	ctx := context.Background()
	var (
		db interface {
			storage.Store
			storage.Migrator
		}
		err error
	)
	if backend == "postgres" {
		db, err = postgres.Open(ctx, storagetest.PostgresSchema(tb), postgres.Options{Region: testRegion})
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cognate.db"), sqlite.Options{Region: testRegion, Synchronous: "OFF"})
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// luNewPool creates a pool through s and returns its configuration.
func luNewPool(tb testing.TB, s *Service, caseSensitive bool) *idp.UserPoolType {
	tb.Helper()
	out, err := s.CreateUserPool(context.Background(), luCaller, &idp.CreateUserPoolRequest{
		PoolName:              cognito.Ptr("pool"),
		UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(caseSensitive)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	_, p, err := s.loadPool(context.Background(), luCaller, cognito.Deref(out.UserPool.Id))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// utService is a Service on a fresh SQLite store.
type utService struct {
	*Service
	store storage.Store
}

func newUTService(t *testing.T) *utService {
	t.Helper()
	db := luOpenStore(t, "sqlite")
	return &utService{Service: New(db, Options{AccountID: "123456789012"}), store: db}
}

func (s *utService) pool(t *testing.T, in *idp.CreateUserPoolRequest) *idp.UserPoolType {
	t.Helper()
	if in.PoolName == nil {
		in.PoolName = cognito.Ptr("p")
	}
	out, err := s.CreateUserPool(context.Background(), utCaller, in)
	if err != nil {
		t.Fatal(err)
	}
	return out.UserPool
}

// poolWithClient creates a pool and an app client of it.
func (s *utService) poolWithClient(t *testing.T) (*idp.UserPoolType, string) {
	t.Helper()
	p := s.pool(t, &idp.CreateUserPoolRequest{})
	out, err := s.CreateUserPoolClient(context.Background(), utCaller, &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("app")})
	if err != nil {
		t.Fatal(err)
	}
	return p, cognito.Deref(out.UserPoolClient.ClientId)
}

// luWantError fails unless err is the Cognito exception code, with
// message msg unless msg is empty.
func luWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != code || (msg != "" && ce.Message != msg) {
		t.Fatalf("error = %v, want %s %q", err, code, msg)
	}
}

func wantCode(t *testing.T, err error, code string) { t.Helper(); luWantError(t, err, code, "") }

// wantInvalidParameter fails unless err is InvalidParameterException with
// message msg, or nil when msg is empty.
func wantInvalidParameter(t *testing.T, err error, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	luWantError(t, err, cognito.CodeInvalidParameterException, msg)
}
