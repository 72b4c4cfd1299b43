package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// codeFor signs in (or reuses the browser's session) and returns a fresh
// code for cfg with the PKCE verifier.
func codeFor(t *testing.T, b *browser, cfg *oauth2.Config, verifier string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	p := b.get(t, cfg.AuthCodeURL("st", opts...))
	var back *url.URL
	if p.Location != "" {
		back = callbackOf(t, p)
	} else {
		back = callbackOf(t, b.submit(t, p, map[string]string{"username": username, "password": password}))
	}
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", back)
	}
	return code
}

// postToken posts a token request with HTTP Basic client authentication
// and returns the status and body.
func postToken(t *testing.T, a *app, form url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.Domain+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// TestConcurrentRedemption redeems one code 50 times at once: exactly one
// redemption gets tokens, every other gets invalid_grant, and the tokens
// the winner got are revoked by the reuse.
func TestConcurrentRedemption(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		a := newApp(t, e, "race", clientSpec{})
		b := newBrowser(t, e)
		cfg := &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: callback, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize", TokenURL: a.Domain + "/oauth2/token"}}
		verifier := oauth2.GenerateVerifier()
		// A first redemption makes the pool's signing keys, which the
		// racing redemptions would otherwise each generate.
		warm := url.Values{"grant_type": {"authorization_code"}, "code": {codeFor(t, b, cfg, verifier)}, "redirect_uri": {callback}, "code_verifier": {verifier}}
		if s, body := postToken(t, a, warm); s != http.StatusOK {
			t.Fatalf("first code: %d %s", s, body)
		}
		code := codeFor(t, b, cfg, verifier)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}
		const n = 50
		var wg sync.WaitGroup
		status := make([]int, n)
		bodies := make([][]byte, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status[i], bodies[i] = postToken(t, a, form)
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		var refresh string
		for i := range n {
			switch {
			case status[i] == http.StatusOK:
				winners++
				var tr struct {
					RefreshToken string `json:"refresh_token"`
				}
				_ = json.Unmarshal(bodies[i], &tr)
				refresh = tr.RefreshToken
			case status[i] == http.StatusBadRequest && string(bodies[i]) == `{"error":"invalid_grant"}`:
			default:
				t.Errorf("redemption %d: %d %s", i, status[i], bodies[i])
			}
		}
		if winners != 1 {
			t.Fatalf("%d redemptions got tokens, want exactly 1", winners)
		}
		if s, body := postToken(t, a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); s != http.StatusBadRequest {
			t.Errorf("refresh with the tokens of a reused code: %d %s, want invalid_grant", s, body)
		}
	})
}

// TestCodeBinding checks what a code is bound to: its redirect URI, its
// PKCE verifier, its client, five minutes, and one redemption.
func TestCodeBinding(t *testing.T) {
	e := start(t, "sqlite")
	a := newApp(t, e, "binding", clientSpec{})
	cl, err := e.IDP.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{UserPoolId: aws.String(a.Pool), ClientName: aws.String("other"),
		GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{callback}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	other := &app{ClientID: aws.ToString(cl.UserPoolClient.ClientId), ClientSecret: aws.ToString(cl.UserPoolClient.ClientSecret)}
	b := newBrowser(t, e)
	cfg := &oauth2.Config{ClientID: a.ClientID, RedirectURL: callback, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}}
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name   string
		change func(url.Values, *app) *app
	}{
		{"another redirect URI", func(f url.Values, a *app) *app { f.Set("redirect_uri", "http://localhost:3000/cb"); return a }},
		{"no verifier", func(f url.Values, a *app) *app { f.Del("code_verifier"); return a }},
		{"another verifier", func(f url.Values, a *app) *app { f.Set("code_verifier", oauth2.GenerateVerifier()); return a }},
		{"a plain verifier equal to the challenge", func(f url.Values, a *app) *app {
			f.Set("code_verifier", oauth2.S256ChallengeFromVerifier(verifier))
			return a
		}},
		{"another client of the pool", func(f url.Values, _ *app) *app {
			return &app{ClientID: other.ClientID, ClientSecret: other.ClientSecret, Domain: a.Domain}
		}},
		{"expired", func(f url.Values, a *app) *app { e.Clock.advance(5*60*1e9 + 1e9); return a }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := codeFor(t, b, cfg, verifier)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}
			who := tc.change(form, a)
			if s, body := postToken(t, who, form); s != http.StatusBadRequest || string(body) != `{"error":"invalid_grant"}` {
				t.Errorf("got %d %s, want invalid_grant", s, body)
			}
		})
	}
	t.Run("redeemed once", func(t *testing.T) {
		e.Clock.advance(-(5*60*1e9 + 1e9))
		b2 := newBrowser(t, e)
		code := codeFor(t, b2, cfg, verifier)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}
		if s, body := postToken(t, a, form); s != http.StatusOK {
			t.Fatalf("first redemption: %d %s", s, body)
		}
		if s, body := postToken(t, a, form); s != http.StatusBadRequest || string(body) != `{"error":"invalid_grant"}` {
			t.Errorf("second redemption: %d %s, want invalid_grant", s, body)
		}
	})
}

// TestClientCredentials gets an access token for the client itself with
// golang.org/x/oauth2/clientcredentials: sub is the client ID, the scopes
// are the resource server's custom scopes, and OpenID scopes are refused.
func TestClientCredentials(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		pool, err := e.IDP.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("machines")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := aws.ToString(pool.UserPool.Id)
		if _, err := e.IDP.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("machines")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.IDP.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com"),
			Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{
				{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}, {ScopeName: aws.String("write"), ScopeDescription: aws.String("write")}}}); err != nil {
			t.Fatal(err)
		}
		cl, err := e.IDP.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("worker"),
			GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"https://api.example.com/read", "https://api.example.com/write"}})
		if err != nil {
			t.Fatal(err)
		}
		id, secret := aws.ToString(cl.UserPoolClient.ClientId), aws.ToString(cl.UserPoolClient.ClientSecret)
		tokenURL := e.URL + "/_domain/machines/oauth2/token"
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: []string{"https://api.example.com/read"}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client_credentials: %v", err)
		}
		claims := decodeJWT(t, tok.AccessToken)
		if claims["sub"] != id || claims["client_id"] != id || claims["scope"] != "https://api.example.com/read" || claims["token_use"] != "access" {
			t.Errorf("claims %v", claims)
		}
		if _, ok := claims["username"]; ok {
			t.Errorf("a client-credentials token names a user: %v", claims)
		}
		all := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}
		tok, err = all.Token(ctx)
		if err != nil {
			t.Fatalf("client_credentials without scope: %v", err)
		}
		if s := decodeJWT(t, tok.AccessToken)["scope"]; s != "https://api.example.com/read https://api.example.com/write" {
			t.Errorf("scope %v, want every scope of the client", s)
		}
		for _, bad := range []clientcredentials.Config{
			{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: []string{"openid"}},
			{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: []string{"https://api.example.com/delete"}},
		} {
			_, err := bad.Token(ctx)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
				t.Errorf("scopes %v: %v, want invalid_scope", bad.Scopes, err)
			}
		}
		wrong := clientcredentials.Config{ClientID: id, ClientSecret: "not-the-secret", TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
		_, err = wrong.Token(ctx)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong secret: %v, want invalid_client (401)", err)
		}
	})
}
