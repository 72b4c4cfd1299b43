package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// TB is the part of testing.TB the harness uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Store is a store of either backend, which the harness migrates.
type Store interface {
	storage.Store
	storage.Migrator
}

// OpenStore opens a fresh, empty store of backend ("sqlite" or
// "postgres") for region, not yet migrated: SQLite in a file under
// tb.TempDir, PostgreSQL at the DSN postgresDSN returns (a schema of the
// test's own), with the read cache of pools, clients and domains when
// readCache is set, as a server runs. It returns the store and where it
// is: the SQLite file's path or the PostgreSQL DSN.
func OpenStore(tb TB, backend, region string, postgresDSN func() string, readCache bool) (Store, string) {
	tb.Helper()
	ctx := context.Background()
	var (
		db    Store
		where string
		err   error
	)
	switch backend {
	case "sqlite":
		where = filepath.Join(tb.TempDir(), "cognate.db")
		db, err = sqlite.Open(ctx, where, sqlite.Options{Region: region})
	case "postgres":
		where = postgresDSN()
		db, err = postgres.Open(ctx, where, postgres.Options{Region: region, ReadCache: readCache})
	default:
		tb.Fatalf("unknown backend %q", backend)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return db, where
}

// Migrate migrates db and closes it when tb ends.
func Migrate(tb TB, db Store) Store {
	tb.Helper()
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Server is a test server that knows its URL before it serves, so that
// the engines can be wired with it (the issuer of their tokens).
type Server struct {
	URL string
	ts  *httptest.Server
}

// NewServer returns a server listening on a free local port, not serving
// yet.
func NewServer() *Server {
	ts := httptest.NewUnstartedServer(nil)
	return &Server{URL: "http://" + ts.Listener.Addr().String(), ts: ts}
}

// Serve serves api inside cognate's HTTP shell (probes, metrics,
// timeouts), ready when db answers, until tb ends.
func (s *Server) Serve(tb TB, db storage.Store, api http.Handler) {
	s.ts.Config.Handler = server.New(server.Options{API: api, Ready: db.Ping}).Handler()
	s.ts.Start()
	tb.Cleanup(s.ts.Close)
}

// Options are what Wire needs beyond the store.
type Options struct {
	// URL is the server's URL, the issuer of the tokens.
	URL string
	// Key is the master encryption key the other keys derive from.
	Key       []byte
	AccountID string
	// Clock is the engines' time; nil is the real time.
	Clock func() time.Time
	// Pools completes the user-pool engine's options: Wire sets their
	// AccountID, Clock and ClientSecretKey.
	Pools userpool.Options
	// Users completes the directory's options: Wire sets their
	// IssuerBaseURL, SRPVerifiers and Clock, and CodeKey when it is nil.
	Users directory.Options
	// Auth, when not nil, completes the sign-in engine's options.
	Auth func(*authflow.Options)
}

// Engines are the engines Wire builds on one store.
type Engines struct {
	Tokens *tokens.Service
	Pools  *userpool.Service
	Users  *directory.Service
	Auth   *authflow.Service
	store  storage.Store
	o      Options
}

// Wire builds the engines on db as cmd/cognate does: tokens issued at
// o.URL, user pools, a directory that keeps SRP verifiers, and the sign-in
// engine.
func Wire(tb TB, db storage.Store, o Options) *Engines {
	tb.Helper()
	tok, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: o.URL, Clock: o.Clock, KeyEncryptionKey: seal.DeriveKey(o.Key, "token-signing-keys")})
	if err != nil {
		tb.Fatal(err)
	}
	verifiers, err := srp.NewVerifiers(o.Key)
	if err != nil {
		tb.Fatal(err)
	}
	po := o.Pools
	po.AccountID, po.Clock = o.AccountID, o.Clock
	po.ClientSecretKey = seal.DeriveKey(o.Key, userpool.KeyLabelClientSecrets)
	pools := userpool.New(db, po)
	uo := o.Users
	uo.IssuerBaseURL, uo.SRPVerifiers, uo.Clock = o.URL, verifiers, o.Clock
	if uo.CodeKey == nil {
		uo.CodeKey = seal.DeriveKey(o.Key, directory.KeyLabelCodes)
	}
	users := directory.New(db, pools, uo)
	ao := authflow.Options{Pools: pools, Users: users, Tokens: tok, Store: db, Key: o.Key, Clock: o.Clock}
	if o.Auth != nil {
		o.Auth(&ao)
	}
	auth, err := authflow.New(ao)
	if err != nil {
		tb.Fatal(err)
	}
	return &Engines{Tokens: tok, Pools: pools, Users: users, Auth: auth, store: db, o: o}
}

// HostedUI returns the hosted UI and OAuth endpoints on the engines.
func (e *Engines) HostedUI(tb TB) *oidc.Handler {
	tb.Helper()
	ui, err := oidc.New(oidc.Options{Pools: e.Pools, Users: e.Users, Auth: e.Auth, IssuerBaseURL: e.o.URL,
		Key: seal.DeriveKey(e.o.Key, "hosted-ui"), Clock: e.o.Clock})
	if err != nil {
		tb.Fatal(err)
	}
	return ui
}

// PoolExists reports whether the store holds the pool: what the
// well-known endpoints ask before they answer for one.
func (e *Engines) PoolExists(ctx context.Context, poolID string) bool {
	_, err := e.store.GetUserPool(ctx, poolID)
	return err == nil
}

// Client returns a user-pools client of url for region, signed with the
// key id and secret, that makes up to attempts attempts of a call.
func Client(url, region, id, secret string, attempts int) *cip.Client {
	return cip.New(cip.Options{
		BaseEndpoint:     aws.String(url),
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: attempts,
	})
}
