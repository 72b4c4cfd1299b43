package oauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestOIDF mirrors the checks of the OpenID Foundation's Config OP and
// Basic OP test plans (oidcc-basic-certification-test-plan,
// oidcc-config-certification-test-plan) that apply to a Cognito-style
// provider: a confidential client, the code flow, client_secret_basic and
// client_secret_post. Each subtest is named after the check it mirrors.
// Checks of features Cognito does not have (request objects,
// id_token_hint, the address scope, display, dynamic registration) are
// left out.
func TestOIDF(t *testing.T) {
	e := start(t, "sqlite")
	a := newApp(t, e, "oidf", clientSpec{})
	ctx := gooidc.ClientContext(context.Background(), http.DefaultClient)
	provider, err := gooidc.NewProvider(ctx, a.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: a.ClientID, Now: e.Clock.Now})
	cfg := oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, Endpoint: provider.Endpoint(), RedirectURL: callback,
		Scopes: []string{"openid"}}
	exchange := func(t *testing.T, back *url.URL, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *gooidc.IDToken) {
		t.Helper()
		if back.Query().Get("code") == "" {
			t.Fatalf("no code: %s", back)
		}
		tok, err := cfg.Exchange(ctx, back.Query().Get("code"), opts...)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		return tok, idt
	}
	userInfo := func(t *testing.T, scopes ...string) map[string]any {
		t.Helper()
		c := cfg
		c.Scopes = scopes
		tok, _ := exchange(t, newBrowser(t, e).signIn(t, c.AuthCodeURL("s"), username, password))
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := info.Claims(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	t.Run("OP-Discovery-Config", func(t *testing.T) {
		var d map[string]any
		getJSON(t, a.Issuer+"/.well-known/openid-configuration", &d)
		for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
			"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported", "revocation_endpoint", "end_session_endpoint"} {
			if d[k] == nil {
				t.Errorf("discovery lacks %s", k)
			}
		}
		if d["issuer"] != a.Issuer {
			t.Errorf("issuer %v, want %s", d["issuer"], a.Issuer)
		}
	})
	t.Run("oidcc-server", func(t *testing.T) {
		back := newBrowser(t, e).signIn(t, cfg.AuthCodeURL("st", gooidc.Nonce("nn")), username, password)
		if back.Query().Get("state") != "st" {
			t.Errorf("state %q", back.Query().Get("state"))
		}
		tok, idt := exchange(t, back)
		if idt.Nonce != "nn" || idt.AccessTokenHash == "" {
			t.Errorf("nonce %q, at_hash %q", idt.Nonce, idt.AccessTokenHash)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Error(err)
		}
	})
	t.Run("OP-Discovery-jwks_uri", func(t *testing.T) {
		// After the first sign-in: a pool's keys are made with its first token.
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		getJSON(t, a.Issuer+"/.well-known/jwks.json", &set)
		if len(set.Keys) == 0 {
			t.Fatal("no keys")
		}
		for _, k := range set.Keys {
			if k["kty"] != "RSA" || k["alg"] != "RS256" || k["kid"] == "" || k["use"] != "sig" {
				t.Errorf("key %v", k)
			}
		}
	})
	t.Run("oidcc-idtoken-rs256", func(t *testing.T) {
		_, idt := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		var claims map[string]any
		_ = idt.Claims(&claims)
		if claims["aud"] != a.ClientID || claims["iss"] != a.Issuer || claims["token_use"] != "id" || claims["auth_time"] == nil {
			t.Errorf("claims %v", claims)
		}
	})
	t.Run("oidcc-ensure-request-without-nonce-succeeds-for-code-flow", func(t *testing.T) {
		_, idt := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		if idt.Nonce != "" {
			t.Errorf("nonce %q without one asked", idt.Nonce)
		}
	})
	t.Run("oidcc-response-type-missing", func(t *testing.T) {
		q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {callback}, "scope": {"openid"}, "state": {"s"}}
		back := callbackOf(t, newBrowser(t, e).get(t, a.Domain+"/oauth2/authorize?"+q.Encode()))
		if back.Query().Get("error") != "invalid_request" || back.Query().Get("state") != "s" {
			t.Errorf("got %s, want error=invalid_request with the state", back)
		}
	})
	t.Run("oidcc-ensure-registered-redirect-uri", func(t *testing.T) {
		p := newBrowser(t, e).get(t, strings.Replace(cfg.AuthCodeURL("s"), url.QueryEscape(callback), url.QueryEscape("https://app.example.com/other"), 1))
		if p.Status != http.StatusBadRequest || p.Location != "" || !strings.Contains(p.Body, "redirect_mismatch") {
			t.Errorf("got %d, Location %q", p.Status, p.Location)
		}
	})
	t.Run("oidcc-ensure-redirect-uri-in-authorization-request", func(t *testing.T) {
		q := url.Values{"client_id": {a.ClientID}, "response_type": {"code"}, "scope": {"openid"}}
		p := newBrowser(t, e).get(t, a.Domain+"/oauth2/authorize?"+q.Encode())
		if p.Status != http.StatusBadRequest || p.Location != "" {
			t.Errorf("got %d, Location %q", p.Status, p.Location)
		}
	})
	t.Run("oidcc-ensure-request-with-unknown-parameter-succeeds", func(t *testing.T) {
		exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("extra", "foobar")), username, password))
	})
	t.Run("oidcc-ui-locales", func(t *testing.T) {
		exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("ui_locales", "se")), username, password))
	})
	t.Run("oidcc-claims-locales", func(t *testing.T) {
		exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("claims_locales", "se")), username, password))
	})
	t.Run("oidcc-ensure-request-with-acr-values-succeeds", func(t *testing.T) {
		exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("acr_values", "1 2")), username, password))
	})
	t.Run("repeated parameters are refused (RFC 6749 section 3.1)", func(t *testing.T) {
		back := callbackOf(t, newBrowser(t, e).get(t, cfg.AuthCodeURL("s")+"&scope=email"))
		if back.Query().Get("error") != "invalid_request" {
			t.Errorf("got %s, want invalid_request", back)
		}
	})
	t.Run("oidcc-ensure-other-scope-order-succeeds", func(t *testing.T) {
		c := cfg
		c.Scopes = []string{"email", "openid"}
		exchange(t, newBrowser(t, e).signIn(t, c.AuthCodeURL("s"), username, password))
	})
	t.Run("oidcc-login-hint", func(t *testing.T) {
		p := newBrowser(t, e).get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("login_hint", "alice")))
		if !strings.Contains(p.Body, `value="alice"`) {
			t.Errorf("the sign-in page does not offer the hinted username")
		}
	})
	t.Run("oidcc-userinfo-get", func(t *testing.T) {
		if m := userInfo(t, "openid"); m["sub"] == nil || m["email"] != email {
			t.Errorf("userInfo %v", m)
		}
	})
	userInfoRaw := func(t *testing.T, post, inBody bool) (int, string) {
		tok, _ := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		var req *http.Request
		switch {
		case !post:
			req, _ = http.NewRequest(http.MethodGet, a.Domain+"/oauth2/userInfo", nil)
		case inBody:
			req, _ = http.NewRequest(http.MethodPost, a.Domain+"/oauth2/userInfo", strings.NewReader("access_token="+tok.AccessToken))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			req, _ = http.NewRequest(http.MethodPost, a.Domain+"/oauth2/userInfo", nil)
		}
		if !inBody {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	t.Run("oidcc-userinfo-post-header", func(t *testing.T) {
		if s, body := userInfoRaw(t, true, false); s != http.StatusOK || !strings.Contains(body, `"sub"`) {
			t.Errorf("%d %s", s, body)
		}
	})
	t.Run("oidcc-userinfo-post-body", func(t *testing.T) {
		if s, body := userInfoRaw(t, true, true); s != http.StatusOK || !strings.Contains(body, `"sub"`) {
			t.Errorf("%d %s", s, body)
		}
	})
	t.Run("oidcc-scope-profile", func(t *testing.T) {
		m := userInfo(t, "openid", "profile")
		if m["name"] != "Alice Example" || m["email"] != nil || m["phone_number"] != nil {
			t.Errorf("userInfo %v", m)
		}
	})
	t.Run("oidcc-scope-email", func(t *testing.T) {
		m := userInfo(t, "openid", "email")
		if m["email"] != email || m["email_verified"] != true || m["name"] != nil {
			t.Errorf("userInfo %v", m)
		}
	})
	t.Run("oidcc-scope-phone", func(t *testing.T) {
		m := userInfo(t, "openid", "phone")
		if m["phone_number"] != "+15555550100" || m["email"] != nil {
			t.Errorf("userInfo %v", m)
		}
	})
	t.Run("oidcc-scope-all", func(t *testing.T) {
		m := userInfo(t, "openid", "profile", "email", "phone")
		if m["phone_number"] == nil || m["email"] == nil || m["name"] == nil {
			t.Errorf("userInfo %v", m)
		}
	})
	t.Run("oidcc-server-client-secret-post", func(t *testing.T) {
		c := cfg
		c.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		back := newBrowser(t, e).signIn(t, c.AuthCodeURL("s"), username, password)
		if _, err := c.Exchange(ctx, back.Query().Get("code")); err != nil {
			t.Errorf("client_secret_post: %v", err)
		}
	})
	t.Run("oidcc-codereuse", func(t *testing.T) {
		back := newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password)
		exchange(t, back)
		if _, err := cfg.Exchange(ctx, back.Query().Get("code")); err == nil {
			t.Error("a code redeemed twice")
		}
	})
	t.Run("oidcc-codereuse-30seconds", func(t *testing.T) {
		back := newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password)
		tok, _ := exchange(t, back)
		e.Clock.advance(30 * time.Second)
		if _, err := cfg.Exchange(ctx, back.Query().Get("code")); err == nil {
			t.Error("a code redeemed twice")
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the first redemption's access token still works after the code was reused")
		}
	})
	t.Run("oidcc-prompt-login", func(t *testing.T) {
		b := newBrowser(t, e)
		b.signIn(t, cfg.AuthCodeURL("s"), username, password)
		p := b.get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "login")))
		if !strings.Contains(p.Body, `id="signin-form"`) {
			t.Errorf("prompt=login within a session: %d %s", p.Status, p.Location)
		}
	})
	t.Run("oidcc-prompt-none-not-logged-in", func(t *testing.T) {
		back := callbackOf(t, newBrowser(t, e).get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "none"))))
		if back.Query().Get("error") != "login_required" || back.Query().Get("state") != "s" {
			t.Errorf("got %s, want login_required", back)
		}
	})
	t.Run("oidcc-prompt-none-logged-in", func(t *testing.T) {
		b := newBrowser(t, e)
		b.signIn(t, cfg.AuthCodeURL("s"), username, password)
		exchange(t, callbackOf(t, b.get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "none")))))
	})
	t.Run("oidcc-max-age-1", func(t *testing.T) {
		b := newBrowser(t, e)
		_, first := exchange(t, b.signIn(t, cfg.AuthCodeURL("s"), username, password))
		e.Clock.advance(2 * time.Second)
		p := b.get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("max_age", "1")))
		if !strings.Contains(p.Body, `id="signin-form"`) {
			t.Fatalf("max_age=1 after 2s: %d %s, want the sign-in page", p.Status, p.Location)
		}
		_, second := exchange(t, callbackOf(t, b.submit(t, p, map[string]string{"username": username, "password": password})))
		var c1, c2 struct {
			AuthTime int64 `json:"auth_time"`
		}
		_ = first.Claims(&c1)
		_ = second.Claims(&c2)
		if c2.AuthTime <= c1.AuthTime {
			t.Errorf("auth_time %d after signing in again, was %d", c2.AuthTime, c1.AuthTime)
		}
		// The new auth_time is the moment of the new sign-in, by the
		// server's clock, which the test holds still.
		if now := e.Clock.Now().Unix(); c2.AuthTime != now {
			t.Errorf("auth_time %d after signing in again at %d", c2.AuthTime, now)
		}
	})
	t.Run("oidcc-max-age-10000", func(t *testing.T) {
		b := newBrowser(t, e)
		b.signIn(t, cfg.AuthCodeURL("s"), username, password)
		exchange(t, callbackOf(t, b.get(t, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("max_age", "10000")))))
	})
	t.Run("oidcc-ensure-post-request-succeeds", func(t *testing.T) {
		b := newBrowser(t, e)
		b.signIn(t, cfg.AuthCodeURL("s"), username, password)
		u, _ := url.Parse(cfg.AuthCodeURL("s"))
		req, _ := http.NewRequest(http.MethodPost, a.Domain+"/oauth2/authorize", strings.NewReader(u.RawQuery))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		exchange(t, callbackOf(t, b.do(t, req)))
	})
	t.Run("oidcc-refresh-token", func(t *testing.T) {
		tok, idt := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := fresh.Extra("id_token").(string)
		idt2, err := verifier.Verify(ctx, raw)
		if err != nil || idt2.Subject != idt.Subject {
			t.Errorf("refreshed ID token: %v", err)
		}
	})
	t.Run("OP-Rotation-OP-Sig", func(t *testing.T) {
		_, before := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		e.Clock.advance(31 * 24 * time.Hour)
		tok, after := exchange(t, newBrowser(t, e).signIn(t, cfg.AuthCodeURL("s"), username, password))
		kid := func(raw string) string {
			h, _ := base64URL(strings.Split(raw, ".")[0])
			var m map[string]string
			_ = json.Unmarshal(h, &m)
			return m["kid"]
		}
		rawAfter, _ := tok.Extra("id_token").(string)
		if kid(rawAfter) == "" || before.Subject != after.Subject {
			t.Fatal("no kid")
		}
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		getJSON(t, a.Issuer+"/.well-known/jwks.json", &set)
		if len(set.Keys) < 3 {
			t.Errorf("JWKS has %d keys after a rotation, want the retired and the new ones", len(set.Keys))
		}
		found := false
		for _, k := range set.Keys {
			found = found || k.Kid == kid(rawAfter)
		}
		if !found {
			t.Errorf("the new key %s is not in the JWKS", kid(rawAfter))
		}
	})
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
