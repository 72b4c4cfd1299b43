package tokens

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const (
	testBase = "http://localhost:9229"
	poolA    = "us-east-1_AAAAAAAAA"
	poolB    = "us-east-1_BBBBBBBBB"
	clientA  = "1example23456789abcdefghij"
	clientB  = "2example23456789abcdefghij"
)

// testKEK is the key encryption key of the tests.
var testKEK = bytes.Repeat([]byte{0x42}, KeyEncryptionKeySize)

// t0 is the tests' starting time.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeClock is a clock the tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testStore interface {
	storage.ItemReader
	storage.Transactor
}

type migratingStore interface {
	storage.Store
	storage.Migrator
}

// openStore opens a fresh, migrated store of backend ("sqlite" on a
// temporary file, or "postgres" in a fresh schema, skipped without
// COGNATE_TEST_POSTGRES_DSN), closed when tb ends.
func openStore(tb testing.TB, backend string) storage.Store {
	tb.Helper()
	ctx := context.Background()
	var (
		db  migratingStore
		err error
	)
	switch backend {
	case "sqlite":
		db, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1", Synchronous: "OFF"})
	case "postgres":
		db, err = postgres.Open(ctx, storagetest.PostgresSchema(tb), postgres.Options{Region: "us-east-1"})
	default:
		tb.Fatalf("unknown backend %q", backend)
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

// newTestService returns a Service on store with clock (nil: real time).
func newTestService(tb testing.TB, store testStore, clock *fakeClock, kek []byte) *Service {
	tb.Helper()
	opts := Options{Store: store, IssuerBaseURL: testBase, KeyEncryptionKey: kek}
	if clock != nil {
		opts.Clock = clock.Now
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// fixture is a service on a fresh SQLite store with a fake clock.
type fixture struct {
	store storage.Store
	clock *fakeClock
	s     *Service
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	store := openStore(tb, "sqlite")
	clock := newClock()
	return &fixture{store: store, clock: clock, s: newTestService(tb, store, clock, testKEK)}
}

// identity is a typical signed-in user of pool A's client A.
func identity() Identity {
	return Identity{
		PoolID:    poolA,
		ClientID:  clientA,
		Username:  "alice",
		Sub:       "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
		Groups:    []string{"admins", "readers"},
		Roles:     []string{"arn:aws:iam::111122223333:role/admins"},
		AuthTime:  t0.Add(-time.Minute),
		OriginJTI: "11111111-2222-4333-8444-555555555555",
		EventID:   "66666666-7777-4888-8999-000000000000",
		IDAttributes: IDTokenAttributes(map[string]string{
			"email":          "alice@example.com",
			"email_verified": "true",
			"updated_at":     "1700000000",
			"address":        "1 Main St",
			"custom:tier":    "42",
		}),
		PreferredRole: "arn:aws:iam::111122223333:role/admins",
	}
}

func mustMintAccess(tb testing.TB, s *Service, id Identity, validity time.Duration) string {
	tb.Helper()
	tok, _, err := s.MintAccessToken(context.Background(), id, validity)
	if err != nil {
		tb.Fatalf("MintAccessToken: %v", err)
	}
	return tok
}

func mustMintID(tb testing.TB, s *Service, id Identity, validity time.Duration) string {
	tb.Helper()
	tok, err := s.MintIDToken(context.Background(), id, validity)
	if err != nil {
		tb.Fatalf("MintIDToken: %v", err)
	}
	return tok
}

// parts splits a compact JWS into its decoded header and payload and its
// raw signature segment.
func parts(tb testing.TB, token string) (header, payload []byte, sig string) {
	tb.Helper()
	seg := strings.Split(token, ".")
	if len(seg) != 3 {
		tb.Fatalf("token has %d segments", len(seg))
	}
	h, err := base64.RawURLEncoding.DecodeString(seg[0])
	if err != nil {
		tb.Fatal(err)
	}
	p, err := base64.RawURLEncoding.DecodeString(seg[1])
	if err != nil {
		tb.Fatal(err)
	}
	return h, p, seg[2]
}

// claimsOf decodes a token's payload without verifying it.
func claimsOf(tb testing.TB, token string) map[string]any {
	tb.Helper()
	_, p, _ := parts(tb, token)
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func kidOf(tb testing.TB, token string) string {
	tb.Helper()
	h, _, _ := parts(tb, token)
	var m map[string]any
	if err := json.Unmarshal(h, &m); err != nil {
		tb.Fatal(err)
	}
	kid, _ := m["kid"].(string)
	return kid
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run with -update to accept):\n got: %s\nwant: %s", path, got, want)
	}
}
