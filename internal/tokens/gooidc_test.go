package tokens_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
)

const (
	oidcPool   = "us-east-1_OIDCpool1"
	oidcClient = "3example23456789abcdefghij"
)

// lockedClock is a movable clock shared by cognate and the verifier.
type lockedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lockedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lockedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestGoOIDCVerifiesTokens checks the tokens with an independent verifier:
// coreos/go-oidc discovers the pool through the well-known handler on a
// real HTTP server, fetches the JWKS and verifies the ID token, also after
// a key rotation.
func TestGoOIDCVerifiesTokens(t *testing.T) {
	ctx := context.Background()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1", Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &lockedClock{now: time.Now()}
	s, err := tokens.New(tokens.Options{
		Store: db, IssuerBaseURL: srv.URL, Clock: clock.Now,
		KeyEncryptionKey: bytes.Repeat([]byte{1}, tokens.KeyEncryptionKeySize),
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = oidc.NewWellKnownHandler(s, srv.URL, func(_ context.Context, pool string) bool { return pool == oidcPool })

	provider, err := gooidc.NewProvider(ctx, srv.URL+"/"+oidcPool)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: oidcClient, Now: clock.Now})

	id := tokens.Identity{
		PoolID: oidcPool, ClientID: oidcClient, Username: "carol", Sub: "cccccccc-0000-4000-8000-000000000000",
		Groups:       []string{"g1"},
		IDAttributes: tokens.IDTokenAttributes(map[string]string{"email": "carol@example.com", "email_verified": "true"}),
	}
	check := func(t *testing.T) {
		t.Helper()
		raw, err := s.MintIDToken(ctx, id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("go-oidc refuses the ID token: %v", err)
		}
		if tok.Issuer != srv.URL+"/"+oidcPool || tok.Subject != id.Sub || len(tok.Audience) != 1 || tok.Audience[0] != oidcClient {
			t.Errorf("ID token: iss %q, sub %q, aud %v", tok.Issuer, tok.Subject, tok.Audience)
		}
		var claims struct {
			Username      string   `json:"cognito:username"`
			Groups        []string `json:"cognito:groups"`
			Email         string   `json:"email"`
			EmailVerified bool     `json:"email_verified"`
			TokenUse      string   `json:"token_use"`
		}
		if err := tok.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Username != "carol" || len(claims.Groups) != 1 || claims.Email != "carol@example.com" || !claims.EmailVerified || claims.TokenUse != "id" {
			t.Errorf("ID token claims: %+v", claims)
		}

		// An access token has no aud; it verifies without the client check.
		access, _, err := s.MintAccessToken(ctx, id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provider.Verifier(&gooidc.Config{SkipClientIDCheck: true, Now: clock.Now}).Verify(ctx, access); err != nil {
			t.Errorf("go-oidc refuses the access token: %v", err)
		}
		// Another client's verifier refuses the ID token.
		if _, err := provider.Verifier(&gooidc.Config{ClientID: "someoneelse", Now: clock.Now}).Verify(ctx, raw); err == nil {
			t.Error("go-oidc accepted the ID token for another client")
		}
	}
	t.Run("first keys", check)
	clock.Advance(tokens.DefaultRotationPeriod)
	t.Run("after rotation", check)

	var claims struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&claims); err != nil || claims.JWKSURI != srv.URL+"/"+oidcPool+"/.well-known/jwks.json" {
		t.Errorf("discovery jwks_uri %q, %v", claims.JWKSURI, err)
	}
	if _, err := gooidc.NewProvider(ctx, srv.URL+"/us-east-1_nopool"); err == nil {
		t.Error("NewProvider succeeded for a pool that does not exist")
	}
}
