package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// The hosted UI scenarios drive the pool domain's own pages (sign-up,
// confirmation, sign-in, forgot password) in Chromium, read codes from
// cognate's message outbox as a user reads their mail, and end where an
// app would: a redirect to its callback with a code, exchanged for tokens
// with golang.org/x/oauth2.
//
// With COGNATE_SCREENSHOTS=<directory> they also save a screenshot of each
// page they pass (docs/hosted-ui.md names the command).

// callbackApp is an app's callback endpoint: it records the query it was
// sent to and shows a page with id "done".
type callbackApp struct {
	URL string
	// mu guards got.
	mu  sync.Mutex
	got url.Values
}

func newCallbackApp(t *testing.T) *callbackApp {
	t.Helper()
	a := &callbackApp{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.got = r.URL.Query()
		a.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!DOCTYPE html><title>App</title><p id="done">Signed in</p>`)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/cb"
	return a
}

func (a *callbackApp) query() url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.got
}

// selfServiceApp is a pool with a domain and a confidential app client for the
// code flow, created through the admin API.
type selfServiceApp struct {
	c                      *cognate
	PoolID, ClientID       string
	ClientSecret, Domain   string
	Callback               *callbackApp
	verifier, challenge    string
	oauth                  *oauth2.Config
	screenshots, shotsName string
}

// newSelfServiceApp creates the pool (email required and verified, a password
// policy of ten characters with a number; opts change more), its domain
// prefix and the app client; version is the domain's ManagedLoginVersion.
func newSelfServiceApp(t *testing.T, c *cognate, prefix string, version int32, opts ...func(*cip.CreateUserPoolInput)) *selfServiceApp {
	t.Helper()
	ctx := context.Background()
	in := &cip.CreateUserPoolInput{
		PoolName: aws.String("hosted-" + prefix), AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Schema:   []types.SchemaAttributeType{{Name: aws.String("email"), Required: aws.Bool(true), Mutable: aws.Bool(true), AttributeDataType: types.AttributeDataTypeString}},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(10), RequireNumbers: true}},
	}
	for _, o := range opts {
		o(in)
	}
	pool, err := c.admin.CreateUserPool(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String(prefix),
		ManagedLoginVersion: aws.Int32(version)}); err != nil {
		t.Fatal(err)
	}
	cb := newCallbackApp(t)
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO"},
		CallbackURLs: []string{cb.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &selfServiceApp{c: c, PoolID: poolID, ClientID: aws.ToString(cl.UserPoolClient.ClientId),
		ClientSecret: aws.ToString(cl.UserPoolClient.ClientSecret), Domain: c.URL + "/_domain/" + prefix, Callback: cb,
		screenshots: os.Getenv("COGNATE_SCREENSHOTS")}
	a.oauth = &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: cb.URL, Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize", TokenURL: a.Domain + "/oauth2/token"}}
	a.verifier = oauth2.GenerateVerifier()
	return a
}

// pageURL returns a page of the domain opened with the app's authorize
// request (code flow with PKCE).
func (a *selfServiceApp) pageURL(page string) string {
	auth, err := url.Parse(a.oauth.AuthCodeURL("state-123", oauth2.S256ChallengeOption(a.verifier)))
	if err != nil {
		panic(err)
	}
	return a.Domain + page + "?" + auth.RawQuery
}

// outboxCode waits for a message to recipient that is newer than after and
// returns the six-digit code in it.
func (a *selfServiceApp) outboxCode(t *testing.T, to string, after int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(a.c.URL + "/_cognate/messages?" + url.Values{"to": {to}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out outbox
		if res.StatusCode == http.StatusOK && json.Unmarshal(body, &out) == nil && len(out.Messages) > after {
			if code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(out.Messages[0].Body); code != "" {
				return code
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new code for %s in the outbox (status %d): %s", to, res.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outboxCount returns how many messages the outbox holds for recipient.
func (a *selfServiceApp) outboxCount(t *testing.T, to string) int {
	t.Helper()
	res, err := http.Get(a.c.URL + "/_cognate/messages?" + url.Values{"to": {to}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out outbox
	_ = json.NewDecoder(res.Body).Decode(&out)
	return len(out.Messages)
}

// outbox is the answer of /_cognate/messages, newest first.
type outbox struct {
	Messages []struct {
		Body string `json:"body"`
	} `json:"messages"`
}

// shot saves a screenshot of the tab as <name>.png when COGNATE_SCREENSHOTS
// names a directory.
func (a *selfServiceApp) shot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if a.screenshots == "" {
		return
	}
	buf, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(a.screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.screenshots, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInAndExchange signs in on the sign-in page the tab shows, follows the
// redirect to the app and exchanges the code; it returns the tokens.
func (a *selfServiceApp) signInAndExchange(t *testing.T, tab context.Context, password string) *oauth2.Token {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("password"), password),
		nextPage("#done", chromedp.Click(chromedp.ID("signin"))),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	q := a.Callback.query()
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("callback query = %v", q)
	}
	tok, err := a.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("tokens: %+v", tok)
	}
	return tok
}

// idClaims returns the claims of a token's ID token, unverified (the
// relying-party tests verify signatures).
func idClaims(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q", raw)
	}
	b, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// logoPNG returns a small PNG of one colour.
func logoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	for y := range 40 {
		for x := range 120 {
			img.Set(x, y, color.RGBA{R: 10, G: 125, B: 59, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// computed returns a CSS property of the element with id, as the browser
// computed it.
func computed(tab context.Context, id, property string) (string, error) {
	return chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.getElementById(`+jsString(id)+`)).getPropertyValue(`+jsString(property)+`)`))
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestHostedUISignUpConfirmSignIn(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newSelfServiceApp(t, c, "hosted-signup", 1)
	ctx := context.Background()
	for _, name := range []string{"terms-of-use", "privacy-policy"} {
		if _, err := c.admin.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: aws.String(a.PoolID), ClientId: aws.String(a.ClientID),
			TermsName: aws.String(name), TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone,
			Links: map[string]string{"cognito:default": "https://example.com/" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	// Classic branding for this client: a logo and a green submit button.
	if _, err := c.admin.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(a.PoolID), ClientId: aws.String(a.ClientID),
		CSS: aws.String(".submitButton-customizable { background-color: #0a7d3b; }"), ImageFile: logoPNG(t)}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	const user, mail, pass = "grace", "grace@example.com", "Hopper-1906-cobol"

	// The sign-up page: the pool's required attribute, its password policy,
	// the terms documents and the branding.
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("signup-link")),
		nextPage("#signup-form", chromedp.Click(chromedp.ID("signup-link"))),
	); err != nil {
		t.Fatalf("sign-up page: %v", err)
	}
	rules := text(t, tab, "password-rules")
	termsHref, logoSrc := attr(t, tab, "terms-of-use", "href"), attr(t, tab, "logo", "src")
	if !strings.Contains(rules, "10 characters") || !strings.Contains(rules, "a number") {
		t.Errorf("password rules shown: %q", rules)
	}
	if termsHref != "https://example.com/terms-of-use" || !strings.HasPrefix(logoSrc, "data:image/png;base64,") {
		t.Errorf("terms link %q, logo %.40q", termsHref, logoSrc)
	}
	if bg, err := computed(tab, "signup", "background-color"); err != nil || bg != "rgb(10, 125, 59)" {
		t.Errorf("sign-up button background = %q, %v; want the client's CSS", bg, err)
	}
	a.shot(t, tab, "signup")

	// Bad input stays on the page with the engine's message.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("attr_email"), mail),
		chromedp.SendKeys(chromedp.ID("password"), "short1"),
		chromedp.SendKeys(chromedp.ID("confirm_password"), "short1"),
		nextPage("#error", chromedp.Click(chromedp.ID("signup"))),
	); err != nil {
		t.Fatalf("weak password: %v", err)
	}
	errText := text(t, tab, "error")
	if !strings.Contains(errText, "Password") {
		t.Errorf("weak password error: %q", errText)
	}

	// Sign up, confirm with the code from the outbox, sign in, and trade
	// the code the app gets for tokens.
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.ID("password"), pass),
		chromedp.SetValue(chromedp.ID("confirm_password"), pass),
		nextPage("#confirm-form", chromedp.Click(chromedp.ID("signup"))),
	); err != nil {
		t.Fatalf("sign up: %v", err)
	}
	a.shot(t, tab, "confirm")
	code := a.outboxCode(t, mail, 0)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("code"), code),
		nextPage("#notice", chromedp.Click(chromedp.ID("confirm"))),
	); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	a.shot(t, tab, "signin")
	tok := a.signInAndExchange(t, tab, pass)
	if claims := idClaims(t, tok); claims["cognito:username"] != user || claims["email"] != mail || claims["email_verified"] != true {
		t.Errorf("ID token claims: %v", claims)
	}
}

func TestHostedUIForgotPassword(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newSelfServiceApp(t, c, "hosted-forgot", 1)
	ctx := context.Background()
	const user, mail = "ada", "ada@example.com"
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(mail)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(user),
		Password: aws.String("Analytical-1843"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	before := a.outboxCount(t, mail)
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("forgot-link")),
		nextPage("#forgot-form", chromedp.Click(chromedp.ID("forgot-link"))),
	); err != nil {
		t.Fatalf("forgot-password page: %v", err)
	}
	a.shot(t, tab, "forgot-password")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("username"), user),
		nextPage("#reset-form", chromedp.Click(chromedp.ID("send-code"))),
	); err != nil {
		t.Fatalf("ask for a code: %v", err)
	}
	a.shot(t, tab, "reset-password")
	code := a.outboxCode(t, mail, before)
	// A wrong code is refused on the page.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("code"), "000000"),
		chromedp.SendKeys(chromedp.ID("password"), "Difference-Engine-2"),
		chromedp.SendKeys(chromedp.ID("confirm_password"), "Difference-Engine-2"),
		nextPage("#error", chromedp.Click(chromedp.ID("reset"))),
	); err != nil {
		t.Fatalf("wrong code: %v", err)
	}
	errText := text(t, tab, "error")
	if !strings.Contains(errText, "code") {
		t.Errorf("wrong code error: %q", errText)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.ID("code"), code),
		chromedp.SetValue(chromedp.ID("password"), "Difference-Engine-2"),
		chromedp.SetValue(chromedp.ID("confirm_password"), "Difference-Engine-2"),
		nextPage("#notice", chromedp.Click(chromedp.ID("reset"))),
	); err != nil {
		t.Fatalf("reset: %v", err)
	}
	tok := a.signInAndExchange(t, tab, "Difference-Engine-2")
	if claims := idClaims(t, tok); claims["cognito:username"] != user {
		t.Errorf("ID token claims: %v", claims)
	}
}

func TestHostedUIManagedLoginBranding(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newSelfServiceApp(t, c, "hosted-managed", 2)
	ctx := context.Background()
	settings := map[string]any{
		"categories": map[string]any{"global": map[string]any{"colorSchemeMode": "DARK"}},
		"components": map[string]any{"primaryButton": map[string]any{"darkMode": map[string]any{"defaults": map[string]any{"backgroundColor": "aa0000ff"}}}},
	}
	if _, err := c.admin.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(a.PoolID), ClientId: aws.String(a.ClientID),
		Settings: document.NewLazyDocument(settings),
		Assets: []types.AssetType{{Category: types.AssetCategoryTypeFormLogo, ColorMode: types.ColorSchemeModeTypeDark,
			Extension: types.AssetExtensionTypePng, Bytes: logoPNG(t)}}}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
	); err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	logoSrc := attr(t, tab, "logo", "src")
	if !strings.HasPrefix(logoSrc, "data:image/png;base64,") {
		t.Errorf("dark logo src %.40q", logoSrc)
	}
	if bg, err := computed(tab, "signin", "background-color"); err != nil || bg != "rgb(170, 0, 0)" {
		t.Errorf("sign-in button background = %q, %v; want the style's dark primary button", bg, err)
	}
	// The dark page background of the defaults applies under the style.
	if bg, err := computed(tab, "main", "background-color"); err != nil || bg == "rgb(255, 255, 255)" {
		t.Errorf("form background = %q, %v; want the dark scheme's", bg, err)
	}
	if bg, err := computed(tab, "username", "background-color"); err != nil || bg == "rgb(255, 255, 255)" {
		t.Errorf("input background = %q, %v; want the dark scheme's", bg, err)
	}
	a.shot(t, tab, "signin-managed-login-dark")
}

// base64URL decodes unpadded base64url.
func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// attr returns an attribute of the element with id.
func attr(t *testing.T, tab context.Context, id, name string) string {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID(id), name))
	if err != nil {
		t.Fatalf("%s of #%s: %v", name, id, err)
	}
	return v.Value
}

func TestHostedUIConfirmWithLink(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newSelfServiceApp(t, c, "hosted-link", 1)
	ctx := context.Background()
	if _, err := c.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(a.PoolID),
		AutoVerifiedAttributes:      []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies:                    &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(10), RequireNumbers: true}},
		VerificationMessageTemplate: &types.VerificationMessageTemplateType{DefaultEmailOption: types.DefaultEmailOptionTypeConfirmWithLink},
	}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	const user, mail, pass = "linus", "linus@example.com", "Kernel-1991-git"
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/signup")),
		chromedp.WaitVisible(chromedp.ID("signup-form")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("attr_email"), mail),
		chromedp.SendKeys(chromedp.ID("password"), pass),
		chromedp.SendKeys(chromedp.ID("confirm_password"), pass),
		nextPage("#confirm-form", chromedp.Click(chromedp.ID("signup"))),
	); err != nil {
		t.Fatalf("sign up: %v", err)
	}
	// The message carries a link to cognate's /confirmUser; following it
	// lands on the pool's domain and confirms the account.
	res, err := http.Get(c.URL + "/_cognate/messages?" + url.Values{"to": {mail}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var out outbox
	err = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if err != nil || len(out.Messages) == 0 {
		t.Fatalf("outbox: %v, %d messages", err, len(out.Messages))
	}
	link := regexp.MustCompile(`href="([^"]*/confirmUser\?[^"]*)"`).FindStringSubmatch(out.Messages[0].Body)
	if link == nil {
		t.Fatalf("no confirmation link in %q", out.Messages[0].Body)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(html.UnescapeString(link[1])),
		chromedp.WaitVisible(chromedp.ID("message")),
	); err != nil {
		t.Fatalf("follow the link: %v", err)
	}
	where, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.HasPrefix(where, a.Domain+"/confirmUser?") {
		t.Errorf("the link ended at %q, %v; want the pool's domain", where, err)
	}
	got, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(user)})
	if err != nil || got.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("after the link: %v, %v", got.UserStatus, err)
	}
	// The link works once.
	if err := chromedp.Do(tab,
		chromedp.Navigate(html.UnescapeString(link[1])),
		chromedp.WaitVisible(chromedp.ID("error")),
	); err != nil {
		t.Fatalf("follow the link again: %v", err)
	}
}
