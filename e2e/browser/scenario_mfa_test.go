package browser

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

// The MFA scenarios sign users in on the hosted UI's MFA pages in
// Chromium: the set-up of an authenticator app with its QR code during a
// first sign-in in a pool where MFA is ON, a TOTP sign-in, the choice of
// factor (SELECT_MFA_TYPE), SMS and email codes read from the outbox, and a
// wrong code before the right one; each ends in the app's callback with a
// code exchanged for tokens. The codes of the authenticator app are
// computed with github.com/pquerna/otp from the key the page shows.

const snsRole = "arn:aws:iam::123456789012:role/cognito-sns"

// newMFAApp is newSelfServiceApp's pool and client with MFA: mode, the
// software token always, SMS and email codes when codes is true. The pool
// also remembers devices, which the hosted pages do not use (the tokens
// carry no device_key).
func newMFAApp(t *testing.T, c *cognate, prefix string, mode types.UserPoolMfaType, codes bool) *selfServiceApp {
	t.Helper()
	ctx := context.Background()
	a := newSelfServiceApp(t, c, prefix, 1, func(in *cip.CreateUserPoolInput) {
		in.DeviceConfiguration = &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}
	})
	in := &cip.SetUserPoolMfaConfigInput{
		UserPoolId: aws.String(a.PoolID), MfaConfiguration: mode,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
	}
	if codes {
		in.SmsMfaConfiguration = &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your sign-in code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
		}
		in.EmailMfaConfiguration = &types.EmailMfaConfigType{Message: aws.String("Your sign-in code is {####}"), Subject: aws.String("Sign-in code")}
	}
	if _, err := c.admin.SetUserPoolMfaConfig(ctx, in); err != nil {
		t.Fatal(err)
	}
	return a
}

// startSignIn opens the sign-in page of a's authorize request in a fresh
// browser session (no hosted-UI cookie), signs in with the password and
// waits for the page with id next.
func (a *selfServiceApp) startSignIn(t *testing.T, tab context.Context, username, password, next string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		nextPage("#"+next, chromedp.Click(chromedp.ID("signin"))),
	); err != nil {
		t.Fatalf("sign in as %s, to #%s: %v", username, next, err)
	}
}

// challengeOnPage is the challenge the MFA page's form answers.
func challengeOnPage(t *testing.T, tab context.Context) string {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(`#mfa-form input[name="challenge"]`), "value"))
	if err != nil {
		t.Fatalf("challenge on the page: %v", err)
	}
	return v.Value
}

// tokensFromCallback checks the app's callback and exchanges its code for
// tokens, as the app would.
func (a *selfServiceApp) tokensFromCallback(t *testing.T) *oauth2.Token {
	t.Helper()
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

// accessClaims returns the claims of an access token, unverified.
func accessClaims(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q", tok.AccessToken)
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

// pageChecks are what every MFA page must pass, read from the page as
// the browser laid it out at a phone's width (phoneWidth): focus on the
// first field, a label for every field, nothing wider than the screen.
type pageChecks struct {
	Focused     string   `json:"focused"`
	Unlabelled  []string `json:"unlabelled"`
	ScrollWidth int      `json:"scrollWidth"`
	Width       int      `json:"width"`
}

func checkPage(t *testing.T, tab context.Context, page, wantFocus string) {
	t.Helper()
	// Autofocus takes effect once the browser has rendered the page,
	// which may be after it is visible: wait for some focus (a page
	// without it is reported below).
	_, _ = chromedp.Run(tab, chromedp.Poll[bool](`document.activeElement !== null && document.activeElement !== document.body`,
		chromedp.WithPollingTimeout(3*time.Second)))
	got, err := chromedp.Run(tab, chromedp.Evaluate[pageChecks](`({
		focused: document.activeElement ? document.activeElement.id : "",
		unlabelled: [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
			.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id || e.name),
		scrollWidth: document.documentElement.scrollWidth,
		width: window.innerWidth,
	})`))
	if err != nil {
		t.Fatalf("%s: read the page: %v", page, err)
	}
	if got.Focused != wantFocus {
		t.Errorf("%s: focus on %q, want %q", page, got.Focused, wantFocus)
	}
	if len(got.Unlabelled) > 0 {
		t.Errorf("%s: fields without a label: %v", page, got.Unlabelled)
	}
	if got.ScrollWidth > got.Width || got.ScrollWidth > phoneScreenWidth {
		t.Errorf("%s: %dpx wide in a %dpx window", page, got.ScrollWidth, got.Width)
	}
}

// phoneScreenWidth is the width of phoneWidth's screen.
const phoneScreenWidth = 360

// phoneWidth lays the tab out as a phone's screen, 360 by 740 pixels. (A
// phone's browser may widen its window to a page too wide for the screen,
// so checkPage compares with the screen's width too.)
func phoneWidth(t *testing.T, tab context.Context) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(phoneScreenWidth, 740, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
}

// TestHostedUIMFASetupAndTOTP signs a user without a second factor in, in
// a pool where MFA is ON: the hosted UI shows the set-up of an
// authenticator app, whose key the test reads from the page to compute the
// codes; a wrong code leaves the page (key and QR code) in place, the right
// one signs in. The next sign-in asks for the app's code: a wrong one, then
// the right one. Both end with tokens from the code the app was called
// back with. The pages are checked at a phone's width.
func TestHostedUIMFASetupAndTOTP(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newMFAApp(t, c, "hosted-totp", types.UserPoolMfaTypeOn, false)
	u := c.newUserIn(t, a.PoolID, "ada", "Lovelace-1815-engine", "ada@example.com", true)
	tab := newBrowser(t, chromium)
	phoneWidth(t, tab)

	// First sign-in: set up the app.
	a.startSignIn(t, tab, u.Username, u.Password, "mfa-setup-form")
	a.shot(t, tab, "mfa-setup")
	checkPage(t, tab, "set-up page", "code")
	secret := text(t, tab, "totp-secret")
	if len(secret) != 52 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("key on the page = %q, want 52 base32 characters", secret)
	}
	qrWidth, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.getElementById("totp-qr").naturalWidth`))
	if err != nil || qrWidth < 100 {
		t.Fatalf("QR code image %dpx wide (%v), want it drawn", qrWidth, err)
	}
	if src := attr(t, tab, "totp-qr", "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Errorf("QR code src = %.40q, want a PNG data URI", src)
	}
	enterCode(t, tab, "000000", "mfa-setup-submit", "error")
	if msg := text(t, tab, "error"); msg == "" {
		t.Error("a wrong set-up code shows no error")
	}
	a.shot(t, tab, "mfa-setup-error")
	if got := text(t, tab, "totp-secret"); got != secret {
		t.Errorf("key after a wrong code = %q, want %q", got, secret)
	}
	if qrWidth, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.getElementById("totp-qr").naturalWidth`)); err != nil || qrWidth < 100 {
		t.Errorf("QR code after a wrong code %dpx wide (%v), want it drawn again", qrWidth, err)
	}
	checkPage(t, tab, "set-up page after a wrong code", "code")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	enterCode(t, tab, code, "mfa-setup-submit", "done")
	tok := a.tokensFromCallback(t)
	if claims := idClaims(t, tok); claims["cognito:username"] != u.Username {
		t.Errorf("ID token claims after set-up: %v", claims)
	}
	got, err := c.admin.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(u.Username)})
	if err != nil || aws.ToString(got.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("after set-up: preferred MFA %q (%v), want SOFTWARE_TOKEN_MFA", aws.ToString(got.PreferredMfaSetting), err)
	}

	// Second sign-in: the app's code, a wrong one first.
	a.startSignIn(t, tab, u.Username, u.Password, "mfa-form")
	if ch := challengeOnPage(t, tab); ch != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("challenge on the page = %q, want SOFTWARE_TOKEN_MFA", ch)
	}
	a.shot(t, tab, "mfa-totp")
	checkPage(t, tab, "TOTP page", "code")
	enterCode(t, tab, "000000", "mfa-submit", "error")
	if msg := text(t, tab, "error"); msg != "Invalid code received for user" {
		t.Errorf("wrong TOTP code: error %q", msg)
	}
	if explain := text(t, tab, "explain"); !strings.Contains(explain, "authenticator app") {
		t.Errorf("TOTP page after a wrong code says %q", explain)
	}
	checkPage(t, tab, "TOTP page after a wrong code", "code")
	// The next step's code: the set-up's step is used.
	code, err = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	enterCode(t, tab, code, "mfa-submit", "done")
	tok = a.tokensFromCallback(t)
	if claims := accessClaims(t, tok); claims["username"] != u.Username || claims["device_key"] != nil {
		t.Errorf("access token claims after TOTP: %v", claims)
	}
}

// TestHostedUIMFACodes signs a user with SMS and email codes turned on
// (neither preferred) in at a phone's width: the hosted UI asks which
// factor to use (SELECT_MFA_TYPE), sends the code of the one chosen, and
// takes it from the message outbox; once by SMS, with a wrong code first,
// once by email with JavaScript off in the browser.
func TestHostedUIMFACodes(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newMFAApp(t, c, "hosted-codes", types.UserPoolMfaTypeOptional, true)
	u := c.newUserIn(t, a.PoolID, "hedy", "Lamarr-1914-radio", "hedy@example.com", true)
	const phone = "+15555550142"
	ctx := context.Background()
	if _, err := c.admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(u.Username),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("phone_number"), Value: aws.String(phone)},
			{Name: aws.String("phone_number_verified"), Value: aws.String("true")},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(a.PoolID), Username: aws.String(u.Username),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}, EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	phoneWidth(t, tab)

	for _, f := range []struct {
		factor, to, shot string
		// checks runs checkPage on the pages (it reads them with
		// JavaScript); without it, JavaScript is off in the browser.
		checks, wrongFirst bool
	}{
		{"SMS_MFA", phone, "mfa-select", true, true},
		{"EMAIL_OTP", u.Email, "", false, false},
	} {
		if !f.checks {
			if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			})); err != nil {
				t.Fatal(err)
			}
		}
		before := a.outboxCount(t, f.to)
		a.startSignIn(t, tab, u.Username, u.Password, "factors")
		if f.shot != "" {
			a.shot(t, tab, f.shot)
		}
		if f.checks {
			checkPage(t, tab, "choice of factor", "factor-SMS_MFA")
		}
		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.ID("factor-"+f.factor)),
			nextPage("#code", chromedp.Click(chromedp.ID("mfa-choose"))),
		); err != nil {
			t.Fatalf("choose %s: %v", f.factor, err)
		}
		if ch := challengeOnPage(t, tab); ch != f.factor {
			t.Fatalf("challenge after choosing %s = %q", f.factor, ch)
		}
		if f.checks {
			checkPage(t, tab, f.factor+" page", "code")
		}
		dest := text(t, tab, "destination")
		if dest == "" || strings.Contains(dest, f.to) {
			t.Errorf("%s: destination shown %q, want it masked", f.factor, dest)
		}
		code := a.outboxCode(t, f.to, before)
		if f.wrongFirst {
			a.shot(t, tab, "mfa-code")
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			enterCode(t, tab, wrong, "mfa-submit", "error")
			if msg := text(t, tab, "error"); msg != "Invalid code received for user" {
				t.Errorf("wrong %s code: error %q", f.factor, msg)
			}
			if again := text(t, tab, "destination"); again != dest {
				t.Errorf("after a wrong code the page names %q, want %q", again, dest)
			}
			a.shot(t, tab, "mfa-code-error")
		}
		enterCode(t, tab, code, "mfa-submit", "done")
		tok := a.tokensFromCallback(t)
		if claims := idClaims(t, tok); claims["cognito:username"] != u.Username {
			t.Errorf("%s: ID token claims %v", f.factor, claims)
		}
	}
}
