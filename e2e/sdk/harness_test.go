package sdk

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
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
// It keeps the SDK's retries on: the SDK's HTTP transport now and then
// fails to read a complete 200 response ("use of closed network
// connection", aws/aws-sdk-go-v2#2737; it happens against any server, even
// a fixed-answer one), which the retryer absorbs. Service errors are not
// retried, except the throttling ones (TooManyRequests, LimitExceeded),
// which tests of those disable retries for.
func (e *env) clientWith(region, id, key string) *cip.Client {
	// More attempts than the default 3: the transport failure above is
	// retried (it is net.ErrClosed) and is rare, but not rare enough that
	// three in a row never happen in a long suite.
	return harness.Client(e.URL, region, id, key, 8)
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

// openBackend opens a fresh, empty store of the named backend, with the
// read cache of pools, clients and domains on PostgreSQL, as a server runs.
func openBackend(tb testing.TB, name string) migratingStore {
	tb.Helper()
	db, _ := harness.OpenStore(tb, name, "us-east-1", func() string { return storagetest.PostgresSchema(tb) }, true)
	return db
}

type migratingStore = harness.Store

// migrated migrates db and closes it when tb ends.
func migrated(tb testing.TB, db migratingStore) migratingStore {
	tb.Helper()
	return harness.Migrate(tb, db)
}

// start migrates db and serves cognate on it.
func start(t testing.TB, db migratingStore) *env {
	t.Helper()
	migrated(t, db)
	return &env{URL: serve(t, db, directory.Options{}, nil), Store: db}
}

// testClock is the time of a test server's engines: the second the test
// started, plus however far the test has moved it. It stands still
// between moves, so an expiry or a lockout the test drives ends exactly
// when the test says, however slowly the machine runs.
type testClock struct {
	start  time.Time
	offset atomic.Int64
}

// newTestClock returns a testClock at the current whole second: tokens
// it stamps are valid for clients that check them against the real time.
func newTestClock() *testClock {
	return &testClock{start: time.Now().Truncate(time.Second)}
}

// Now is the clock's time; pass it as the engines' Clock.
func (c *testClock) Now() time.Time { return c.start.Add(time.Duration(c.offset.Load())) }

// advance moves the clock forward by d.
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// encryptionKey is the test servers' master encryption key.
var encryptionKey = bytes.Repeat([]byte{0x5e}, 32)

// serve wires the engines on db as cmd/cognate does (tokens issued by this
// server's URL, user pools that keep SRP verifiers, the sign-in engine, the
// API and the well-known endpoints) and serves them. opts are the
// user-pool options (Sender, Clock); mount adds routes of the test's own.
// It returns the server's URL.
//
// The request-rate limits are off, explicitly: these tests and the
// benchmarks that share this harness sign the same users in flat out from
// one address, which is what they test, not throttling. ratelimit_test.go
// serves with limits on through serveLimited.
func serve(tb testing.TB, db storage.Store, opts directory.Options, mount func(*http.ServeMux)) string {
	tb.Helper()
	return serveLimited(tb, db, opts, mount, ratelimit.Off(), ratelimit.Unprotected())
}

// serveLimited is serve with the given quotas and protective limits (nil:
// the API handler's defaults).
func serveLimited(tb testing.TB, db storage.Store, opts directory.Options, mount func(*http.ServeMux), limits *ratelimit.Limiter, protect ratelimit.Protection) string {
	tb.Helper()
	return serveAPI(tb, db, opts, mount, limits, protect, nil)
}

// serveAPI is serveLimited with configure, when not nil, called with the
// server's URL to complete the API handler's options before it is built.
func serveAPI(tb testing.TB, db storage.Store, opts directory.Options, mount func(*http.ServeMux), limits *ratelimit.Limiter,
	protect ratelimit.Protection, configure func(url string, o *api.Options)) string {
	tb.Helper()
	return servePools(tb, db, opts, mount, limits, protect, configure, userpool.Options{})
}

// servePools is serveAPI with poolOpts completing the user-pool engine's
// options (its AccountID, Clock and ClientSecretKey are the harness's).
func servePools(tb testing.TB, db storage.Store, opts directory.Options, mount func(*http.ServeMux), limits *ratelimit.Limiter,
	protect ratelimit.Protection, configure func(url string, o *api.Options), poolOpts userpool.Options) string {
	tb.Helper()
	return serveWithAuth(tb, db, opts, mount, limits, protect, configure, poolOpts, nil)
}

// serveWithAuth is servePools with authOpts, when not nil, completing the
// sign-in engine's options.
func serveWithAuth(tb testing.TB, db storage.Store, opts directory.Options, mount func(*http.ServeMux), limits *ratelimit.Limiter,
	protect ratelimit.Protection, configure func(url string, o *api.Options), poolOpts userpool.Options, authOpts func(*authflow.Options)) string {
	tb.Helper()
	srv := harness.NewServer()
	url := srv.URL
	poolOpts.AssetBaseURL = url
	en := harness.Wire(tb, db, harness.Options{URL: url, Key: encryptionKey, AccountID: accountID, Clock: opts.Clock,
		Pools: poolOpts, Users: opts, Auth: authOpts})
	mux := http.NewServeMux()
	mux.Handle("GET /{pool}/.well-known/", oidc.NewWellKnownHandler(en.Tokens, url, en.PoolExists))
	mux.Handle(oidc.UILogoPattern, oidc.NewUILogoHandler(en.Pools))
	if mount != nil {
		mount(mux)
	}
	apiOpts := api.Options{Pools: en.Pools, Users: en.Users, Auth: en.Auth, AccountID: accountID, Credentials: map[string]string{keyID: secret}, RateLimits: limits, Protection: protect}
	if configure != nil {
		configure(url, &apiOpts)
	}
	mux.Handle("/", api.NewHandler(apiOpts))
	srv.Serve(tb, db, mux)
	return url
}
