package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pquerna/otp/totp"
)

// addAdmin runs cognate console add-admin against dataDir and returns the
// temporary password it printed.
func addAdmin(t *testing.T, dataDir, username, email string) string {
	t.Helper()
	cmd := exec.Command(cognateBinary(t), "console", "add-admin", "--username", username, "--email", email, "--data-dir", dataDir)
	cmd.Env = append(cmd.Environ(), "COGNATE_ACCESS_KEY_ID="+keyID, "COGNATE_SECRET_ACCESS_KEY="+secret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("console add-admin: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`temporary password: (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("console add-admin printed no temporary password:\n%s", out)
	}
	return string(m[1])
}

// newPassword fills the hosted UI's new-password page.
func newPassword(ctx context.Context, password string) error {
	return chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("new-password-form")),
		chromedp.SendKeys(chromedp.ID("new_password"), password),
		chromedp.SendKeys(chromedp.ID("confirm_password"), password),
		nextPageReady("body", chromedp.Click(chromedp.ID("change-password"))),
	)
}

// wizardStep fills one step of the walk-through with actions and goes on.
func wizardStep(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) error {
	all := append([]chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(`form#wizard[data-step="` + name + `"]`))}, actions...)
	all = append(all, nextPage("form#wizard", chromedp.Click(chromedp.ID("next"))))
	if err := chromedp.Do(ctx, all...); err != nil {
		return fmt.Errorf("step %s: %w\n%s", name, err, pageText(ctx))
	}
	return nil
}

func setValue(id, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.ID(id), v)
}

// TestConsoleWalkThrough signs an operator in to the console through the
// administrators' pool's hosted UI (temporary password, then a new one),
// creates a pool with the walk-through, sets up its hosted UI and domain,
// checks the result through the AWS SDK, invites a user whose invitation
// reaches a real SMTP server, and signs that user in at the sign-in URL
// the console shows.
func TestConsoleWalkThrough(t *testing.T) {
	chromium := requireChromium(t)
	catcher, smtpEnv := startSMTPCatcher(t)
	dataDir := t.TempDir()
	temp := addAdmin(t, dataDir, "operator", "operator@example.com")
	c := startCognateIn(t, dataDir, smtpEnv...)
	// The walk-through is a dozen pages and three sign-ins.
	tab := newBrowserFor(t, chromium, 4*browserTimeout)
	ctx := context.Background()

	// The app behind the pool's callback URL.
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>app</title><p id=\"code\">%s</p>", r.URL.Query().Get("code"))
	}))
	t.Cleanup(app.Close)
	callback := app.URL + "/callback"

	// Sign in: /console/ sends the browser to the hosted UI.
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, "operator", temp); err != nil {
		t.Fatal(err)
	}
	if err := newPassword(tab, "Operator-Password-1"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("create-pool"))); err != nil {
		t.Fatalf("the console after sign-in: %v", err)
	}
	who, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("operator")))
	if err != nil {
		t.Fatal(err)
	}
	if who != "operator" {
		t.Errorf("signed in as %q, want operator", who)
	}
	consoleScreenshot(t, tab, "console-pools", false)

	// The walk-through, step by step; a refused name first.
	steps := []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{
		{"sign-in", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("alias_email")), chromedp.Click(chromedp.ID("alias_preferred_username"))}},
		{"attributes", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("required_email")), setValue("custom_name", "team"), chromedp.SetValue(chromedp.ID("custom_type"), "String")}},
		{"policies", []chromedp.Action[chromedp.Void]{setValue("min_length", "10"), chromedp.Click(chromedp.ID("symbols")), setValue("temp_days", "3"), chromedp.Click(chromedp.ID("self_signup"))}},
		{"mfa", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("mfa_optional"))}},
		{"messages", []chromedp.Action[chromedp.Void]{setValue("email_from", "Console Test <no-reply@example.com>"), setValue("reply_to", "help@example.com"),
			setValue("email_subject", "Your code"), setValue("email_message", "Your code is {####}"),
			setValue("invite_subject", "Welcome"), setValue("invite_email", "Hello {username}, your temporary password is {####} ."),
		}},
		{"tags", []chromedp.Action[chromedp.Void]{setValue("tags", "team=identity\nenv=test")}},
		{"devices", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("devices_opt_in")), chromedp.Click(chromedp.ID("device_challenge"))}},
		{"client", []chromedp.Action[chromedp.Void]{setValue("client_name", "web"), setValue("read_attrs", "email, custom:team"), setValue("write_attrs", "email")}},
		{"triggers", []chromedp.Action[chromedp.Void]{setValue("trigger_DefineAuthChallenge", "arn:aws:lambda:us-east-1:123456789012:function:define")}},
	}
	if err := chromedp.Do(tab, nextPage(`form#wizard[data-step="name"]`, chromedp.Click(chromedp.ID("create-pool"))),
		setValue("pool_name", "bad<name>"), nextPage("#error-PoolName", chromedp.Click(chromedp.ID("next")))); err != nil {
		t.Fatalf("a refused pool name: %v", err)
	}
	if err := wizardStep(tab, "name", setValue("pool_name", "console-made")); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.name == "policies" {
			if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`form#wizard[data-step="policies"]`))); err != nil {
				t.Fatal(err)
			}
			consoleScreenshot(t, tab, "console-create-pool", false)
		}
		if err := wizardStep(tab, s.name, s.actions...); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`form#wizard[data-step="review"]`))); err != nil {
		t.Fatal(err)
	}
	consoleScreenshot(t, tab, "console-create-pool-review", false)
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`form#wizard[data-step="review"]`)), nextPage("#created", chromedp.Click(chromedp.ID("create")))); err != nil {
		t.Fatalf("create: %v\n%s", err, pageText(tab))
	}

	// Hosted UI: a taken prefix, then a free one, the URLs, flows and scopes.
	if err := chromedp.Do(tab,
		setValue("prefix", "cognate-console-us-east-1"), nextPage("#prefix-taken", chromedp.Click(chromedp.ID("check-prefix"))),
		setValue("prefix", "console-made"), nextPage("#prefix-available", chromedp.Click(chromedp.ID("check-prefix"))),
		setValue("callback_urls", callback), setValue("logout_urls", app.URL+"/signed-out"),
		chromedp.Click(chromedp.ID("flow_code")), chromedp.Click(chromedp.ID("scope_openid")), chromedp.Click(chromedp.ID("scope_email")),
		chromedp.Click(chromedp.ID("provider_COGNITO")),
		nextPage("#sign-in-url", chromedp.Click(chromedp.ID("save-hosted-ui")))); err != nil {
		t.Fatalf("hosted UI set-up: %v\n%s", err, pageText(tab))
	}
	consoleScreenshot(t, tab, "console-hosted-ui", false)
	signIn, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("sign-in-url")))
	if err != nil {
		t.Fatal(err)
	}
	poolLink, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID("pool-link"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	poolID := strings.TrimPrefix(poolLink.Value, "/console/pools/")

	// What the SDK reads back equals what was entered.
	pool, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.UserPool
	gotPool := map[string]any{
		"name": aws.ToString(p.Name), "aliases": p.AliasAttributes, "mfa": p.MfaConfiguration,
		"minLength": aws.ToInt32(p.Policies.PasswordPolicy.MinimumLength), "symbols": p.Policies.PasswordPolicy.RequireSymbols,
		"tempDays": p.Policies.PasswordPolicy.TemporaryPasswordValidityDays, "adminOnly": p.AdminCreateUserConfig.AllowAdminCreateUserOnly,
		"from": aws.ToString(p.EmailConfiguration.From), "replyTo": aws.ToString(p.EmailConfiguration.ReplyToEmailAddress),
		"subject": aws.ToString(p.VerificationMessageTemplate.EmailSubject), "message": aws.ToString(p.VerificationMessageTemplate.EmailMessage),
		"inviteSubject": aws.ToString(p.AdminCreateUserConfig.InviteMessageTemplate.EmailSubject),
		"tags":          p.UserPoolTags, "devicePrompt": p.DeviceConfiguration.DeviceOnlyRememberedOnUserPrompt,
		"deviceChallenge":     p.DeviceConfiguration.ChallengeRequiredOnNewDevice,
		"defineAuthChallenge": aws.ToString(p.LambdaConfig.DefineAuthChallenge), "domain": aws.ToString(p.Domain),
	}
	wantPool := map[string]any{
		"name": "console-made", "aliases": []types.AliasAttributeType{"email", "preferred_username"}, "mfa": types.UserPoolMfaTypeOptional,
		"minLength": int32(10), "symbols": false, "tempDays": int32(3), "adminOnly": true,
		"from": "Console Test <no-reply@example.com>", "replyTo": "help@example.com",
		"subject": "Your code", "message": "Your code is {####}", "inviteSubject": "Welcome",
		"tags": map[string]string{"team": "identity", "env": "test"}, "devicePrompt": true, "deviceChallenge": true,
		"defineAuthChallenge": "arn:aws:lambda:us-east-1:123456789012:function:define", "domain": "console-made",
	}
	if diff := cmp.Diff(wantPool, gotPool); diff != "" {
		t.Errorf("DescribeUserPool (-entered +got):\n%s", diff)
	}
	var custom, emailRequired bool
	for _, a := range p.SchemaAttributes {
		switch aws.ToString(a.Name) {
		case "custom:team":
			custom = a.AttributeDataType == types.AttributeDataTypeString && aws.ToBool(a.Mutable)
		case "email":
			emailRequired = aws.ToBool(a.Required)
		}
	}
	if !custom || !emailRequired {
		t.Errorf("schema: custom:team mutable string %v, email required %v", custom, emailRequired)
	}
	mfa, err := c.admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: &poolID})
	if err != nil || mfa.SoftwareTokenMfaConfiguration == nil || !mfa.SoftwareTokenMfaConfiguration.Enabled {
		t.Errorf("GetUserPoolMfaConfig: TOTP not on (%v)", err)
	}
	clients, err := c.admin.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: &poolID})
	if err != nil || len(clients.UserPoolClients) != 1 {
		t.Fatalf("ListUserPoolClients: %v %+v", err, clients)
	}
	cl, err := c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: clients.UserPoolClients[0].ClientId})
	if err != nil {
		t.Fatal(err)
	}
	gotClient := map[string]any{"name": aws.ToString(cl.UserPoolClient.ClientName), "read": cl.UserPoolClient.ReadAttributes,
		"write": cl.UserPoolClient.WriteAttributes, "callbacks": cl.UserPoolClient.CallbackURLs, "logouts": cl.UserPoolClient.LogoutURLs,
		"flows": cl.UserPoolClient.AllowedOAuthFlows, "scopes": cl.UserPoolClient.AllowedOAuthScopes,
		"providers": cl.UserPoolClient.SupportedIdentityProviders, "oauth": aws.ToBool(cl.UserPoolClient.AllowedOAuthFlowsUserPoolClient)}
	wantClient := map[string]any{"name": "web", "read": []string{"custom:team", "email"}, "write": []string{"email"},
		"callbacks": []string{callback}, "logouts": []string{app.URL + "/signed-out"},
		"flows": []types.OAuthFlowType{"code"}, "scopes": []string{"email", "openid"}, "providers": []string{"COGNITO"}, "oauth": true}
	if diff := cmp.Diff(wantClient, gotClient, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("DescribeUserPoolClient (-entered +got):\n%s", diff)
	}
	dom, err := c.admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("console-made")})
	if err != nil || aws.ToString(dom.DomainDescription.UserPoolId) != poolID {
		t.Errorf("DescribeUserPoolDomain: %v, pool %q, want %q", err, aws.ToString(dom.DomainDescription.UserPoolId), poolID)
	}

	// Invite a user: the invitation reaches the SMTP server.
	before := catcher.Count()
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID+"/users"),
		chromedp.WaitVisible(chromedp.ID("create-user")),
		setValue("new-username", "invitee"), setValue("new-email", "invitee@example.com"), setValue("new-temp", "Temp-Pass-123a"),
		nextPage("#user-details", chromedp.Click(chromedp.ID("create-user-submit")))); err != nil {
		t.Fatalf("invite: %v\n%s", err, pageText(tab))
	}
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID+"/users"), chromedp.WaitVisible(chromedp.ID("users"))); err != nil {
		t.Fatal(err)
	}
	consoleScreenshot(t, tab, "console-users", false)
	invitation := catcher.Last(before)
	if !strings.Contains(invitation, "Hello invitee, your temporary password is Temp-Pass-123a") {
		t.Fatalf("the invitation is not in the outbox; last message:\n%s", invitation)
	}

	// The invited user signs in at the console's sign-in URL.
	if err := chromedp.Do(tab, chromedp.Navigate(signIn)); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, "invitee", "Temp-Pass-123a"); err != nil {
		t.Fatal(err)
	}
	if err := newPassword(tab, "Invitee-Pass-456b"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
		t.Fatal(err)
	}
	code, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("code")))
	if err != nil {
		t.Fatal(err)
	}
	at, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(at, callback) || code == "" {
		t.Errorf("after sign-in the browser is at %s with code %q, want the callback with a code", at, code)
	}

	consoleSecurity(t, c, tab, poolID)
}

// consoleSecurity checks the console's own defences with the operator's
// session from the browser: requests without a session, with another
// session's CSRF token, cross-site posts, and markup in user-controlled
// fields shown back. It logs how many of each it tried.
func consoleSecurity(t *testing.T, c *cognate, tab context.Context, poolID string) {
	ctx := context.Background()
	var cookies []*network.Cookie
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{c.URL + "/console/"}})
		cookies = res.Cookies
		return err
	})); err != nil {
		t.Fatal(err)
	}
	var session string
	for _, ck := range cookies {
		if ck.Name == "cognate_console" {
			session = ck.Value
			if !ck.HTTPOnly || ck.SameSite != network.CookieSameSiteLax {
				t.Errorf("session cookie: HttpOnly %v, SameSite %v", ck.HTTPOnly, ck.SameSite)
			}
		}
	}
	if session == "" {
		t.Fatal("no console session cookie in the browser")
	}
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID+"/users"), chromedp.WaitVisible(chromedp.ID("create-user"))); err != nil {
		t.Fatal(err)
	}
	csrf, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(`#create-user input[name=csrf]`)))
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, cookie string, header map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, c.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "cognate_console", Value: cookie})
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	usersPath := "/console/pools/" + poolID + "/users"
	form := func(token, username string) url.Values {
		return url.Values{"csrf": {token}, "username": {username}, "email": {username + "@example.com"}, "suppress": {"1"}}
	}
	refused := map[string]int{}
	// No session: pages redirect to sign-in, posts are refused.
	for _, path := range []string{"/console/", "/console/pools", "/console/create", usersPath, "/console/pools/" + poolID, "/console/nope"} {
		resp, err := noRedirect.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without a session: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		} else {
			refused["no session"]++
		}
	}
	if got := post(usersPath, form(csrf, "nosession"), "", nil); got != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d", got)
	} else {
		refused["no session"]++
	}
	// A forged session cookie.
	if got := post(usersPath, form(csrf, "forged"), "AAAA"+session[4:], nil); got != http.StatusUnauthorized {
		t.Errorf("POST with a forged session: %d", got)
	} else {
		refused["forged session"]++
	}
	// Another operator's CSRF token: a second operator signs in with a
	// browser of their own.
	other := otherOperatorCSRF(t, c)
	if got := post(usersPath, form(other, "othercsrf"), session, nil); got != http.StatusForbidden {
		t.Errorf("POST with another operator's CSRF token: %d", got)
	} else {
		refused["another session's CSRF token"]++
	}
	if got := post(usersPath, form("", "nocsrf"), session, nil); got != http.StatusForbidden {
		t.Errorf("POST without a CSRF token: %d", got)
	} else {
		refused["another session's CSRF token"]++
	}
	// Cross-site posts.
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}} {
		if got := post(usersPath, form(csrf, "crosssite"), session, h); got != http.StatusForbidden {
			t.Errorf("cross-site POST %v: %d", h, got)
		} else {
			refused["cross-site post"]++
		}
	}
	// The right token from the console's own origin works.
	if got := post(usersPath, form(csrf, "sameorigin"), session, map[string]string{"Origin": c.URL, "Sec-Fetch-Site": "same-origin"}); got != http.StatusSeeOther {
		t.Errorf("same-origin POST with the session's token: %d", got)
	}
	for _, u := range []string{"nosession", "forged", "othercsrf", "nocsrf", "crosssite"} {
		if _, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String(u)}); err == nil {
			t.Errorf("refused request created user %s", u)
		}
	}

	// Markup in every user-controlled field the console shows back.
	payload := `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("xss"),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("xss@example.com")},
			{Name: aws.String("custom:team"), Value: aws.String(payload)}}}); err != nil {
		t.Fatal(err)
	}
	// A username may hold markup too (Cognito's pattern allows symbols
	// and punctuation, not spaces).
	markupName := `<img/src=x/onerror=document.title='pwned'>`
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(markupName),
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("markup@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	escaped := 0
	pages := []string{"/console/pools/" + poolID + "/users/xss", usersPath + "?prefix=" + url.QueryEscape(payload), usersPath + "?filter=" + url.QueryEscape(payload),
		usersPath, "/console/pools/" + poolID + "/users/" + url.PathEscape(markupName)}
	for _, path := range pages {
		if err := chromedp.Do(tab, chromedp.Navigate(c.URL+path), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		title, err := chromedp.Run(tab, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		scripts, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('script').length`))
		if err != nil {
			t.Fatal(err)
		}
		imgs, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('main img').length`))
		if err != nil {
			t.Fatal(err)
		}
		if title == "pwned" || scripts != 0 || imgs != 0 {
			t.Errorf("%s: markup ran or was rendered (title %q, %d scripts, %d images)", path, title, scripts, imgs)
		} else {
			escaped++
		}
	}
	// Pool, client and group names cannot hold markup: the API refuses
	// them, and so does the console.
	for _, in := range []func() error{
		func() error {
			_, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(payload)})
			return err
		},
		func() error {
			_, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String(payload)})
			return err
		},
		func() error {
			_, err := c.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String(payload)})
			return err
		},
	} {
		if err := in(); err == nil {
			t.Error("a name with markup was accepted")
		} else {
			refused["markup in a name"]++
		}
	}
	t.Logf("console security: refused %v; %d pages with markup in user-controlled fields shown escaped", refused, escaped)
}

// otherOperatorCSRF adds a second operator, signs them in to the console
// with a cookie jar of their own (the hosted UI's forms by HTTP) and
// returns their session's CSRF token.
func otherOperatorCSRF(t *testing.T, c *cognate) string {
	t.Helper()
	ctx := context.Background()
	pools, err := c.admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	var adminPool string
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == "cognate-console" {
			adminPool = aws.ToString(p.Id)
		}
	}
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &adminPool, Username: aws.String("second"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &adminPool, Username: aws.String("second"),
		Password: aws.String("Second-Operator-1"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(c.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	// The hosted UI's sign-in form, with its hidden fields.
	body := readAll(t, resp)
	action := regexp.MustCompile(`<form method="post" action="([^"]+)" id="signin-form"`).FindStringSubmatch(body)
	if action == nil {
		t.Fatalf("no sign-in form at %s:\n%s", resp.Request.URL, body)
	}
	login, err := resp.Request.URL.Parse(html.UnescapeString(action[1]))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"username": {"second"}, "password": {"Second-Operator-1"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, _ := http.NewRequest(http.MethodPost, login.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.URL)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the second operator did not reach the console (%s):\n%s", resp.Request.URL, body)
	}
	return m[1]
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// pageText is the text of the page in tab, for a failure's message.
func pageText(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(the page's text could not be read: " + err.Error() + ")"
	}
	return text
}

// TestConsoleOperatorMFA starts a fresh server, which holds no pool and
// whose console says how to add the first operator; stops it and adds one
// with the CLI, which makes the administrators' pool; starts it again; and
// turns MFA on for that pool: an operator's sign-in to the console then
// sets up an authenticator app on the hosted UI before the console opens.
func TestConsoleOperatorMFA(t *testing.T) {
	chromium := requireChromium(t)
	dataDir := t.TempDir()
	fresh := startCognateIn(t, dataDir)
	ctx := context.Background()
	pools, err := fresh.admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools.UserPools) != 0 {
		t.Fatalf("a fresh server lists %d pools", len(pools.UserPools))
	}
	tab := newBrowserFor(t, chromium, 2*browserTimeout)
	if err := chromedp.Do(tab, chromedp.Navigate(fresh.URL+"/console/"), chromedp.WaitVisible(chromedp.ID("no-operator"))); err != nil {
		t.Fatalf("no word of the first operator on a fresh console: %v\n%s", err, pageText(tab))
	}
	// SQLite's data directory belongs to one process at a time.
	if err := fresh.Stop(); err != nil {
		t.Fatal(err)
	}
	addAdmin(t, dataDir, "first", "first@example.com")
	c := startCognateIn(t, dataDir)
	if pools, err = c.admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)}); err != nil {
		t.Fatal(err)
	}
	var adminPool string
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == "cognate-console" {
			adminPool = aws.ToString(p.Id)
		}
	}
	if adminPool == "" {
		t.Fatal("cognate console add-admin made no administrators' pool")
	}
	if _, err := c.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: &adminPool, MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	c.newUserIn(t, adminPool, "mfa-operator", "Operator-Password-1", "mfa-operator@example.com", true)
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, "mfa-operator", "Operator-Password-1"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("mfa-setup-form"))); err != nil {
		t.Fatalf("no MFA set-up after the password: %v\n%s", err, pageText(tab))
	}
	code, err := totp.GenerateCode(text(t, tab, "totp-secret"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	enterCode(t, tab, code, "mfa-setup-submit", "create-pool")
	if who := text(t, tab, "operator"); who != "mfa-operator" {
		t.Errorf("signed in to the console as %q", who)
	}
}
