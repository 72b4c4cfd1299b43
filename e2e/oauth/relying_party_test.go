package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// rp is a relying party as an application builds one: go-oidc discovers the
// pool, golang.org/x/oauth2 runs the code flow with PKCE.
type rp struct {
	provider *gooidc.Provider
	config   oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func newRP(t *testing.T, a *app, scopes ...string) *rp {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, a.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "email", "profile"}
	}
	return &rp{
		provider: provider,
		config: oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: callback, Scopes: scopes},
		verifier: provider.Verifier(&gooidc.Config{ClientID: a.ClientID}),
	}
}

// TestRelyingParty signs in as an application would: discovery, the code
// flow with PKCE through the sign-in page, the ID token verified through
// the JWKS (nonce, at_hash), userInfo, a refresh, a revocation; and a
// second authorize within the hosted-UI session skips the sign-in page.
func TestRelyingParty(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := newApp(t, e, "rp-login", clientSpec{})
		r := newRP(t, a)
		if got, want := r.provider.Endpoint().AuthURL, a.Domain+"/oauth2/authorize"; got != want {
			t.Errorf("authorization_endpoint %q, want %q", got, want)
		}
		b := newBrowser(t, e)

		verifier := oauth2.GenerateVerifier()
		authURL := r.config.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-0S6_WzA2Mj"))
		back := b.signIn(t, authURL, username, password)
		if got := back.Scheme + "://" + back.Host + back.Path; got != callback {
			t.Fatalf("redirected to %s, want %s", back, callback)
		}
		if back.Query().Get("state") != "st-1" || back.Query().Get("code") == "" {
			t.Fatalf("callback query %q: want state st-1 and a code", back.RawQuery)
		}
		tok, err := r.config.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Error("no refresh token from the code grant")
		}
		rawID, _ := tok.Extra("id_token").(string)
		idt, err := r.verifier.Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		if idt.Nonce != "n-0S6_WzA2Mj" {
			t.Errorf("nonce %q", idt.Nonce)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("at_hash: %v", err)
		}
		var claims struct {
			Email    string `json:"email"`
			Username string `json:"cognito:username"`
		}
		if err := idt.Claims(&claims); err != nil || claims.Email != email || claims.Username != username {
			t.Errorf("ID token claims %+v (%v)", claims, err)
		}
		access := decodeJWT(t, tok.AccessToken)
		if access["scope"] != "openid email profile" || access["client_id"] != a.ClientID || access["username"] != username {
			t.Errorf("access token claims %v", access)
		}

		info, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userInfo: %v", err)
		}
		if info.Email != email || !info.EmailVerified || info.Subject != idt.Subject {
			t.Errorf("userInfo %+v", info)
		}
		var all map[string]any
		if err := info.Claims(&all); err != nil || all["phone_number"] != nil || all["name"] != "Alice Example" {
			t.Errorf("userInfo claims %v (%v): want profile and email claims, no phone", all, err)
		}

		refreshed, err := r.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if refreshed.AccessToken == "" || refreshed.AccessToken == tok.AccessToken {
			t.Error("refresh gave no new access token")
		}
		if s := decodeJWT(t, refreshed.AccessToken)["scope"]; s != "openid email profile" {
			t.Errorf("refreshed access token scope %v", s)
		}

		// A second authorize within the session skips the sign-in page.
		verifier2 := oauth2.GenerateVerifier()
		again := b.get(t, r.config.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier2)))
		back2 := callbackOf(t, again)
		if back2.Query().Get("state") != "st-2" || back2.Query().Get("code") == "" {
			t.Fatalf("second authorize went to %s", back2)
		}

		revoke(t, a, tok.RefreshToken)
		_, err = r.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("refresh after revoke: %v, want invalid_grant", err)
		}
		if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userInfo accepted a revoked access token")
		}
	})
}

// revoke revokes a refresh token at the revocation endpoint, with HTTP
// Basic client authentication.
func revoke(t *testing.T, a *app, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.Domain+"/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
}

// decodeJWT returns a JWT's claims without checking it (the tests check
// signatures through go-oidc).
func decodeJWT(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
