package browser

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The passwordless scenarios sign users in on managed login's
// choice-based sign-in page (a domain with ManagedLoginVersion 2, an app
// client that allows USER_AUTH): the username first, then a choice of the
// password, a passkey or a code by email. A passkey is added on
// /passkeys/add after a password sign-in and then signs in, through
// Chromium's virtual authenticator, at the pool's prefix-host domain (its
// relying party); an email code arrives at a real SMTP server
// (github.com/emersion/go-smtp) in the test. Each sign-in ends at the app's
// callback with a code that golang.org/x/oauth2 exchanges and go-oidc
// verifies.

// choiceApp is a pool with choice-based sign-in on managed login, its
// prefix domain and a confidential app client for the code flow.
type choiceApp struct {
	*selfServiceApp
	// Base is the domain's prefix-host URL.
	Base string
}

// newChoiceApp creates the pool with the first factors, its domain prefix
// on managed login, and the app client with USER_AUTH.
func newChoiceApp(t *testing.T, c *cognate, prefix string, factors ...types.AuthFactorType) *choiceApp {
	t.Helper()
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("choice-" + prefix), UserPoolTier: types.UserPoolTierTypeEssentials,
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies:               &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: factors}},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String(prefix),
		ManagedLoginVersion: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	cb := newCallbackApp(t)
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: true,
		ExplicitAuthFlows:               []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO"},
		CallbackURLs: []string{cb.URL}, PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.URL)
	base := "http://" + prefix + ".auth.us-east-1.localhost:" + u.Port()
	a := &selfServiceApp{c: c, PoolID: poolID, ClientID: aws.ToString(cl.UserPoolClient.ClientId),
		ClientSecret: aws.ToString(cl.UserPoolClient.ClientSecret), Domain: base, Callback: cb}
	a.oauth = &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: cb.URL, Scopes: []string{"openid", "email"},
		// The browser reaches the prefix host; Go's resolver knows no
		// names under localhost, so the app's token requests take the
		// domain's path form.
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: c.URL + "/_domain/" + prefix + "/oauth2/token"}}
	a.verifier = oauth2.GenerateVerifier()
	return &choiceApp{selfServiceApp: a, Base: base}
}

// verifiedExchange exchanges the code of the app's callback and verifies
// the ID token with go-oidc through the pool's discovery document; it
// returns the ID token's subject.
func (a *choiceApp) verifiedExchange(t *testing.T) string {
	t.Helper()
	tok := a.tokensFromCallback(t)
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, a.c.URL+"/"+a.PoolID)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := provider.VerifierContext(ctx, &gooidc.Config{ClientID: a.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify the ID token: %v", err)
	}
	return id.Subject
}

// subOf is the sub of the user username.
func (a *choiceApp) subOf(t *testing.T, username string) string {
	t.Helper()
	out, err := a.c.admin.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(username)})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range out.UserAttributes {
		if aws.ToString(at.Name) == "sub" {
			return aws.ToString(at.Value)
		}
	}
	t.Fatalf("%s has no sub", username)
	return ""
}

// identify opens the sign-in page in a fresh browser session, enters the
// username and waits for the element with id next.
func (a *choiceApp) identify(t *testing.T, tab context.Context, username, next string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("next")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		nextPage("#"+next, chromedp.Click(chromedp.ID("next"))),
	); err != nil {
		t.Fatalf("sign in as %s, to #%s: %v", username, next, err)
	}
}

// present says whether the page has an element with id.
func present(t *testing.T, tab context.Context, id string) bool {
	t.Helper()
	ok, err := chromedp.Run(tab, chromedp.Evaluate[bool]("document.getElementById("+jsString(id)+") !== null"))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// addVirtualAuthenticator gives the tab a platform authenticator that
// verifies its user and answers at once.
func addVirtualAuthenticator(t *testing.T, tab context.Context) {
	t.Helper()
	if _, err := chromedp.Call(tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatal(err)
	}
}

// TestHostedUIPasskey signs a user in with the password on the
// choice-based page (which offers every name the pool's choices, the app
// client hiding whether users exist), adds a
// passkey on /passkeys/add, which ends back at the app, and then, in a new
// browser session, signs in with the passkey alone, twice; each sign-in's
// code is exchanged and its ID token verified.
func TestHostedUIPasskey(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newChoiceApp(t, c, "passkey-app", "PASSWORD", "WEB_AUTHN")
	u := c.newUserIn(t, a.PoolID, "grace", "Hopper-1906-cobol", "grace@example.com", true)
	tab := newBrowser(t, chromium)
	addVirtualAuthenticator(t, tab)

	a.identify(t, tab, u.Username, "choose-password")
	// The app client hides whether users exist, so every name is offered
	// the pool's choices: a user without a passkey too.
	if !present(t, tab, "choose-passkey") {
		t.Error("the pool's passkey choice is not offered to a user without a passkey")
	}
	a.shot(t, tab, "hosted-ui-choose")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("password"), u.Password),
		nextPage("#done", chromedp.Click(chromedp.ID("choose-password"))),
	); err != nil {
		t.Fatalf("password sign-in: %v", err)
	}
	sub := a.verifiedExchange(t)
	if want := a.subOf(t, u.Username); sub != want {
		t.Errorf("sub %q, want %q", sub, want)
	}

	// The hosted-UI session adds a passkey, and the page goes on to the
	// app with a code.
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/passkeys/add")),
		chromedp.WaitVisible(chromedp.ID("passkey-button")),
	); err != nil {
		t.Fatalf("open /passkeys/add: %v", err)
	}
	a.shot(t, tab, "hosted-ui-passkey-add")
	if err := chromedp.Do(tab, nextPage("#done", chromedp.Click(chromedp.ID("passkey-button")))); err != nil {
		t.Fatalf("add a passkey: %v", err)
	}
	if got := a.verifiedExchange(t); got != sub {
		t.Errorf("after adding the passkey: sub %q, want %q", got, sub)
	}

	for i := range 2 {
		a.identify(t, tab, u.Username, "choose-passkey")
		if err := chromedp.Do(tab,
			nextPage("#passkey-button", chromedp.Click(chromedp.ID("choose-passkey"))),
		); err != nil {
			t.Fatalf("choose the passkey: %v", err)
		}
		if i == 0 {
			a.shot(t, tab, "hosted-ui-passkey")
		}
		if err := chromedp.Do(tab, nextPage("#done", chromedp.Click(chromedp.ID("passkey-button")))); err != nil {
			t.Fatalf("sign-in %d with the passkey: %v", i+1, err)
		}
		if got := a.verifiedExchange(t); got != sub {
			t.Errorf("passkey sign-in %d: sub %q, want %q", i+1, got, sub)
		}
	}
}

// TestHostedUIEmailOTP signs a user in with a code sent by email instead
// of a password, with JavaScript off: the code reaches the SMTP server, a
// wrong code leaves the page in place with Cognito's message, the right
// one ends at the app. An unknown user is offered the same choices and
// gets the same code page, and no email.
func TestHostedUIEmailOTP(t *testing.T) {
	chromium := requireChromium(t)
	catcher, env := startSMTPCatcher(t)
	c := startCognate(t, env...)
	a := newChoiceApp(t, c, "otp-app", "PASSWORD", "EMAIL_OTP")
	u := c.newUserIn(t, a.PoolID, "katherine", "Johnson-1918-orbit", "katherine@example.com", true)
	tab := newBrowser(t, chromium)
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}

	before := catcher.Count()
	a.identify(t, tab, u.Username, "choose-email")
	if err := chromedp.Do(tab, nextPage("#code", chromedp.Click(chromedp.ID("choose-email")))); err != nil {
		t.Fatalf("choose a code by email: %v", err)
	}
	if ch := challengeOnPage(t, tab); ch != "EMAIL_OTP" {
		t.Fatalf("challenge on the page = %q", ch)
	}
	if got := text(t, tab, "title"); got != "Sign in with a code" {
		t.Errorf("title %q", got)
	}
	dest := text(t, tab, "destination")
	if dest == "" || strings.Contains(dest, u.Email) {
		t.Errorf("destination shown %q, want it masked", dest)
	}
	code := catcher.Code(t, before)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	enterCode(t, tab, wrong, "mfa-submit", "error")
	if got := text(t, tab, "error"); got != "Invalid code received for user" {
		t.Errorf("wrong code: error %q", got)
	}
	a.shot(t, tab, "hosted-ui-email-otp-wrong")
	enterCode(t, tab, code, "mfa-submit", "done")
	if sub, want := a.verifiedExchange(t), a.subOf(t, u.Username); sub != want {
		t.Errorf("sub %q, want %q", sub, want)
	}

	// An unknown user: the same choices, a code page, no email; any code
	// is wrong.
	before = catcher.Count()
	a.identify(t, tab, "nobody-"+u.Username, "choose-email")
	if err := chromedp.Do(tab, nextPage("#code", chromedp.Click(chromedp.ID("choose-email")))); err != nil {
		t.Fatalf("unknown user: choose a code by email: %v", err)
	}
	enterCode(t, tab, "123456", "mfa-submit", "error")
	if got := text(t, tab, "error"); got != "Invalid code received for user" {
		t.Errorf("unknown user's code: error %q", got)
	}
	time.Sleep(200 * time.Millisecond)
	if n := catcher.Count(); n != before {
		t.Errorf("%d emails for an unknown user", n-before)
	}
}

// TestHostedUIChoiceCSRF posts each new form of choice-based sign-in
// without its CSRF token, and with another cookie's: each is refused with
// 403 and signs no one in.
func TestHostedUIChoiceCSRF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cognate process")
	}
	c := startCognate(t)
	a := newChoiceApp(t, c, "csrf-app", "PASSWORD", "EMAIL_OTP", "WEB_AUTHN")
	auth, _ := url.Parse(a.oauth.AuthCodeURL("state-123", oauth2.S256ChallengeOption(a.verifier)))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The sign-in page sets the CSRF cookie; its token is in the form.
	res, err := client.Get(c.URL + "/_domain/csrf-app/login?" + auth.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if res.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("sign-in page: %d %s", res.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "XSRF-TOKEN" {
			cookie = ck
		}
	}
	for _, path := range []string{"/login", "/selectChallenge", "/passkey", "/passkeys/add", "/mfa"} {
		for _, tc := range []struct {
			name   string
			csrf   string
			cookie bool
		}{
			{"no token", "", true},
			{"no cookie", string(token[1]), false},
			{"forged token", strings.Repeat("A", len(token[1])), true},
		} {
			form := url.Values{"authorize": {auth.RawQuery}, "username": {"someone"}, "session": {"x"}, "answer": {"PASSWORD"},
				"password": {"Hopper-1906-cobol"}, "credential": {"{}"}}
			if tc.csrf != "" {
				form.Set("_csrf", tc.csrf)
			}
			req, _ := http.NewRequest(http.MethodPost, c.URL+"/_domain/csrf-app"+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.cookie {
				req.AddCookie(cookie)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s, %s: status %d, want 403", path, tc.name, res.StatusCode)
			}
		}
	}
}
