package browser

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// hostileOP is an OpenID Connect provider that answers each client with a
// flaw of its own in the ID token (the client_id names the flaw), to check
// that the pool refuses each. Its authorization endpoint answers at once:
// the code carries the client and the nonce the pool sent.
type hostileOP struct {
	URL   string
	key   *rsa.PrivateKey
	other *rsa.PrivateKey
	// mu guards challenges: the PKCE challenge of each code issued, as a
	// provider checks it (RFC 7636 §4.6), and whether it was used.
	mu         sync.Mutex
	challenges map[string]string
}

func startHostileOP(t *testing.T) *hostileOP {
	t.Helper()
	op := &hostileOP{challenges: map[string]string{}}
	var err error
	if op.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if op.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
			"jwks_uri": op.URL + "/jwks", "userinfo_endpoint": op.URL + "/userinfo", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back := url.Values{"state": {q.Get("state")}}
		if q.Get("client_id") == "denied" {
			back.Set("error", "access_denied")
		} else {
			code := q.Get("client_id") + "." + q.Get("nonce") + "." + rand.Text()
			op.mu.Lock()
			op.challenges[code] = q.Get("code_challenge")
			op.mu.Unlock()
			back.Set("code", code)
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		code := r.PostForm.Get("code")
		op.mu.Lock()
		challenge, ok := op.challenges[code]
		delete(op.challenges, code)
		op.mu.Unlock()
		if !ok || challenge == "" || oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		parts := strings.SplitN(code, ".", 3)
		flaw, nonce := parts[0], parts[1]
		now := time.Now()
		claims := map[string]any{"iss": op.URL, "sub": "hostile-" + flaw, "aud": flaw, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": nonce}
		key := op.key
		switch flaw {
		case "no-nonce":
			delete(claims, "nonce")
		case "wrong-nonce":
			claims["nonce"] = "not-the-nonce"
		case "other-issuer":
			claims["iss"] = op.URL + "/other"
		case "other-audience":
			claims["aud"] = "someone-else"
		case "expired":
			claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		case "other-key":
			key = op.other
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		idt, err := jwt.Signed(sig).Claims(claims).Serialize()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + flaw, "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		flaw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer at-")
		json.NewEncoder(w).Encode(map[string]any{"sub": "hostile-" + flaw})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	op.URL = srv.URL
	return op
}

// TestFederationHostile sends the pool's sign-in through providers that
// answer wrongly, and an attacker's requests to /oauth2/idpresponse:
// every case is refused, the refusals are counted in the output, and no
// user is made. The answers of the providers go back to the app as
// OAuth errors; an unknown, foreign or replayed state shows the error
// page. The cases need no browser: an HTTP client with a cookie jar
// follows the redirects as one would.
func TestFederationHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cognate; skipped under -short")
	}
	c := startCognate(t)
	f := setUpFederation(t, c, "hostile-down", "hostile-up")
	op := startHostileOP(t)
	ctx := context.Background()
	flaws := []struct{ client, want string }{
		{"no-nonce", "invalid_request"}, {"wrong-nonce", "invalid_request"}, {"other-issuer", "invalid_request"},
		{"other-audience", "invalid_request"}, {"expired", "invalid_request"}, {"other-key", "invalid_request"},
		{"denied", "access_denied"}, {"good", ""},
	}
	names := []string{"COGNITO", idpName}
	for _, fl := range flaws {
		name := "H-" + fl.client
		if _, err := c.admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: aws.String(f.PoolID), ProviderName: aws.String(name), ProviderType: types.IdentityProviderTypeTypeOidc,
			ProviderDetails: map[string]string{"client_id": fl.client, "client_secret": "s", "oidc_issuer": op.URL, "authorize_scopes": "openid"},
		}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if _, err := c.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: aws.String(f.PoolID), ClientId: aws.String(f.ClientID),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: names,
		CallbackURLs: []string{f.Origin + "/callback"},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := f.oauth2Config(f.base(c))
	browser := func(t *testing.T, follow bool) *http.Client {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		if !follow {
			cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
		return cl
	}
	authorize := func(provider, state string) string {
		return cfg.AuthCodeURL(state, oauth2.SetAuthURLParam("identity_provider", provider))
	}
	refused := 0
	t.Cleanup(func() { t.Logf("hostile federation cases refused: %d", refused) })

	for _, fl := range flaws {
		t.Run("provider/"+fl.client, func(t *testing.T) {
			resp, err := browser(t, true).Get(authorize("H-"+fl.client, "s-"+fl.client))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			q := f.lastCallback(t)
			if q.Get("state") != "s-"+fl.client {
				t.Fatalf("callback %v", q)
			}
			if fl.want == "" {
				if q.Get("code") == "" {
					t.Fatalf("the good provider's sign-in failed: %v", q)
				}
				return
			}
			if q.Get("error") != fl.want || q.Get("code") != "" {
				t.Fatalf("callback %v, want error %s", q, fl.want)
			}
			refused++
		})
	}

	// The pages' answers to forged requests, without following redirects:
	// leave for the provider, come back as the provider would.
	leave := func(t *testing.T, cl *http.Client, provider string) string {
		t.Helper()
		resp, err := cl.Get(authorize(provider, "forged"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = cl.Get(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back := resp.Header.Get("Location")
		if !strings.Contains(back, "/oauth2/idpresponse?") {
			t.Fatalf("the provider sent the browser to %q", back)
		}
		return back
	}
	status := func(t *testing.T, cl *http.Client, u string) int {
		t.Helper()
		resp, err := cl.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("unknown state", func(t *testing.T) {
		cl := browser(t, false)
		back := leave(t, cl, "H-good")
		u, _ := url.Parse(back)
		q := u.Query()
		q.Set("state", "made-up-state")
		u.RawQuery = q.Encode()
		if s := status(t, cl, u.String()); s != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", s)
		}
		refused++
	})
	t.Run("state from another browser", func(t *testing.T) {
		cl := browser(t, false)
		back := leave(t, cl, "H-good")
		if s := status(t, browser(t, false), back); s != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", s)
		}
		refused++
		// The other browser's attempt did not spend the state.
		if s := status(t, cl, back); s != http.StatusFound {
			t.Fatalf("the browser that left: status %d, want 302", s)
		}
	})
	t.Run("replayed answer", func(t *testing.T) {
		cl := browser(t, false)
		back := leave(t, cl, "H-good")
		if s := status(t, cl, back); s != http.StatusFound {
			t.Fatalf("first answer: status %d, want 302", s)
		}
		if s := status(t, cl, back); s != http.StatusBadRequest {
			t.Fatalf("replay: status %d, want 400", s)
		}
		refused++
	})
	t.Run("code of another sign-in", func(t *testing.T) {
		// A code the provider issued to one sign-in, brought back with the
		// state (and cookie) of another: the PKCE verifier of the second
		// does not match the first's challenge, and the provider refuses.
		first := leave(t, browser(t, false), "H-good")
		cl := browser(t, false)
		second := leave(t, cl, "H-good")
		u1, _ := url.Parse(first)
		u2, _ := url.Parse(second)
		q := u2.Query()
		q.Set("code", u1.Query().Get("code"))
		u2.RawQuery = q.Encode()
		resp, err := cl.Get(u2.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("code") != "" {
			t.Fatalf("status %d, location %s", resp.StatusCode, loc)
		}
		refused++
	})
	t.Run("routing", func(t *testing.T) {
		// idp_identifier names a provider by one of its identifiers; a
		// provider the client does not list goes back as an error.
		if _, err := c.admin.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{
			UserPoolId: aws.String(f.PoolID), ProviderName: aws.String("H-good"), IdpIdentifiers: []string{"good.example.com"},
		}); err != nil {
			t.Fatal(err)
		}
		cl := browser(t, false)
		resp, err := cl.Get(cfg.AuthCodeURL("r", oauth2.SetAuthURLParam("idp_identifier", "good.example.com")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, op.URL+"/authorize?") {
			t.Errorf("idp_identifier sent the browser to %q", loc)
		}
		for _, param := range []string{"identity_provider", "idp_identifier"} {
			resp, err := cl.Get(cfg.AuthCodeURL("r", oauth2.SetAuthURLParam(param, "Nobody")))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc == nil || loc.Query().Get("error") != "invalid_request" {
				t.Errorf("%s=Nobody: status %d, location %v", param, resp.StatusCode, loc)
			}
		}
	})
	if t.Failed() {
		return
	}
	list, err := c.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.PoolID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list.Users {
		if name := aws.ToString(u.Username); strings.HasPrefix(name, "H-") && name != "H-good_hostile-good" {
			t.Errorf("a refused sign-in made user %s", name)
		}
	}
}
