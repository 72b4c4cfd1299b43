package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// hostedApp is an application that signs users in through the hosted UI:
// an origin of its own whose /callback page records the query it was sent
// back with, and a pool with a domain and an app client for the code flow.
type hostedApp struct {
	Origin, PoolID, ClientID, ClientSecret, Prefix string

	// mu guards callbacks.
	mu        sync.Mutex
	callbacks []url.Values
}

// serveHostedApp starts the application's origin and sets up its pool
// with the domain prefix on c.
func serveHostedApp(t *testing.T, c *cognate, prefix string) *hostedApp {
	t.Helper()
	ctx := context.Background()
	h := &hostedApp{Prefix: prefix}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.callbacks = append(h.callbacks, r.URL.Query())
		h.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><title>app</title><p id="callback">signed in</p>`))
	})
	mux.HandleFunc("GET /signed-out", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><title>app</title><p id="signed-out">signed out</p>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h.Origin = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("hosted"),
		AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	h.PoolID = aws.ToString(pool.UserPool.Id)
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.UserPool.Id, Domain: aws.String(prefix)}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("web"), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO"},
		CallbackURLs: []string{h.Origin + "/callback"}, LogoutURLs: []string{h.Origin + "/signed-out"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ClientID, h.ClientSecret = aws.ToString(cl.UserPoolClient.ClientId), aws.ToString(cl.UserPoolClient.ClientSecret)
	return h
}

// domainURL is the base URL of the app's pool domain in the prefix-host
// form, <prefix>.auth.<region>.localhost, which Chromium resolves to the
// loopback address.
func (h *hostedApp) domainURL(c *cognate) string {
	u, _ := url.Parse(c.URL)
	return "http://" + h.Prefix + ".auth.us-east-1.localhost:" + u.Port()
}

// oauth2Config is the app's OAuth 2.0 client of the pool domain at base.
func (h *hostedApp) oauth2Config(base string) *oauth2.Config {
	return &oauth2.Config{ClientID: h.ClientID, ClientSecret: h.ClientSecret, RedirectURL: h.Origin + "/callback",
		Scopes: []string{"openid", "email"}, Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token"}}
}

// lastCallback is the query of the app's newest callback.
func (h *hostedApp) lastCallback(t *testing.T) url.Values {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.callbacks) == 0 {
		t.Fatal("the app was never called back")
	}
	return h.callbacks[len(h.callbacks)-1]
}

// screenshot saves the tab's page as name.png under COGNATE_SCREENSHOTS,
// when it is set (docs/hosted-ui.md, "Screenshots").
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("COGNATE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostedUISignIn signs a user in through the hosted UI's sign-in page
// at the pool's prefix-host domain in Chromium, with the code flow and
// PKCE; the app exchanges the code for tokens. A second authorize within
// the session skips the page; after logout, the page is shown again.
func TestHostedUISignIn(t *testing.T) {
	chromium := requireTool(t, "chromium", "chromium-browser")
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	c := startCognate(t)
	h := serveHostedApp(t, c, "browser-login")
	u := c.newUserIn(t, h.PoolID, "grace", "Grace-Hopper-1906", "grace@example.com", true)
	base := h.domainURL(c)
	cfg := h.oauth2Config(base)
	tab := newBrowser(t, chromium)

	verifier := oauth2.GenerateVerifier()
	if err := chromedp.Do(tab, chromedp.Navigate(cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, tab, "sign-in")
	if err := signInHosted(tab, u.Username, "wrong-password-1"); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("error")))
	if err != nil || msg != "Incorrect username or password." {
		t.Fatalf("wrong password: error %q (%v)", msg, err)
	}
	screenshot(t, tab, "sign-in-error")
	if err := signInHosted(tab, u.Email, u.Password); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("callback"))); err != nil {
		t.Fatalf("no callback after sign-in: %v", err)
	}
	q := h.lastCallback(t)
	if q.Get("state") != "state-1" {
		t.Errorf("state %q", q.Get("state"))
	}
	// Go's resolver does not take *.localhost for loopback as browsers
	// do: the app exchanges the code at the same domain's path form.
	tok, err := h.oauth2Config(c.URL+"/_domain/"+h.Prefix).Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if id, _ := tok.Extra("id_token").(string); id == "" || tok.RefreshToken == "" {
		t.Error("no ID or refresh token")
	}

	// Within the session, authorize answers with a code at once.
	if err := chromedp.Do(tab, chromedp.Navigate(cfg.AuthCodeURL("state-2")), chromedp.WaitVisible(chromedp.ID("callback"))); err != nil {
		t.Fatalf("second authorize: %v", err)
	}
	if q := h.lastCallback(t); q.Get("state") != "state-2" || q.Get("code") == "" {
		t.Errorf("second authorize called back with %v", q)
	}

	// Logout, then the sign-in page again.
	logout := base + "/logout?" + url.Values{"client_id": {h.ClientID}, "logout_uri": {h.Origin + "/signed-out"}}.Encode()
	if err := chromedp.Do(tab, chromedp.Navigate(logout), chromedp.WaitVisible(chromedp.ID("signed-out"))); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(cfg.AuthCodeURL("state-3")), chromedp.WaitVisible(chromedp.ID("signin-form"))); err != nil {
		t.Fatalf("authorize after logout: %v", err)
	}
	if err := signInHosted(tab, u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("callback"))); err != nil {
		t.Fatalf("sign in again: %v", err)
	}
}

// TestHostedUINewPassword signs an invited user in with the temporary
// password: the hosted UI asks for a new one, then calls the app back.
func TestHostedUINewPassword(t *testing.T) {
	chromium := requireTool(t, "chromium", "chromium-browser")
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	c := startCognate(t)
	h := serveHostedApp(t, c, "browser-invite")
	u := c.newUserIn(t, h.PoolID, "linus", "Temporary-Pass-1", "linus@example.com", false)
	cfg := h.oauth2Config(c.URL + "/_domain/" + h.Prefix)
	tab := newBrowser(t, chromium)
	if err := chromedp.Do(tab, chromedp.Navigate(cfg.AuthCodeURL("s"))); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("new-password-form"))); err != nil {
		t.Fatalf("no new-password page: %v", err)
	}
	screenshot(t, tab, "new-password")
	err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("new_password"), "Chosen-By-Linus-2"),
		chromedp.SendKeys(chromedp.ID("confirm_password"), "Chosen-By-Linus-2"),
		nextPage("#callback", chromedp.Click(chromedp.ID("change-password"))),
	)
	if err != nil {
		t.Fatalf("change the password: %v", err)
	}
	if _, err := cfg.Exchange(context.Background(), h.lastCallback(t).Get("code")); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	got, err := c.admin.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(h.PoolID), Username: aws.String(u.Username)})
	if err != nil || got.UserStatus != types.UserStatusTypeConfirmed {
		t.Errorf("user status %v (%v), want CONFIRMED", got.UserStatus, err)
	}
}
