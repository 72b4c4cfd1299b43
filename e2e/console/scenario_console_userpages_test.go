package console

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/descope/virtualwebauthn"
)

// consoleForm is a form of the console posted by consoleRefusals: its
// path and what it would change.
type consoleForm struct {
	path string
	form url.Values
}

// consoleRefusals posts each form without a session, with another
// operator's CSRF token, with none, and from another site or origin, and
// counts the refusals by kind; a post that is not refused is an error.
// csrfSelector names a CSRF field on the page at csrfPage.
func consoleRefusals(t *testing.T, c *cognate, tab context.Context, csrfPage, csrfSelector string, forms []consoleForm) map[string]int {
	t.Helper()
	var session string
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{c.URL + "/console/"}})
		for _, ck := range res.Cookies {
			if ck.Name == "cognate_console" {
				session = ck.Value
			}
		}
		return err
	})); err != nil || session == "" {
		t.Fatalf("no console session in the browser (%v)", err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+csrfPage), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	csrf, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(csrfSelector)))
	if err != nil || csrf == "" {
		t.Fatalf("no CSRF token at %s (%v)", csrfPage, err)
	}
	other := otherOperatorCSRF(t, c)
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
	refused := map[string]int{}
	for _, f := range forms {
		with := func(token string) url.Values {
			v := url.Values{}
			for k, vs := range f.form {
				v[k] = vs
			}
			if token != "" {
				v.Set("csrf", token)
			}
			return v
		}
		for _, tc := range []struct {
			kind   string
			form   url.Values
			cookie string
			header map[string]string
			want   int
		}{
			{"no session", with(csrf), "", nil, http.StatusUnauthorized},
			{"another session's CSRF token", with(other), session, nil, http.StatusForbidden},
			{"no CSRF token", with(""), session, nil, http.StatusForbidden},
			{"cross-site post", with(csrf), session, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"another origin", with(csrf), session, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		} {
			if got := post(f.path, tc.form, tc.cookie, tc.header); got != tc.want {
				t.Errorf("POST %s, %s: %d, want %d", f.path, tc.kind, got, tc.want)
			} else {
				refused[tc.kind]++
			}
		}
	}
	return refused
}

// browserPasskeyKey is a new credential of the software authenticator
// with both coordinates of its key at full length (the authenticator
// writes them without leading zero bytes, which a relying party rightly
// refuses).
func browserPasskeyKey(t *testing.T) virtualwebauthn.Credential {
	t.Helper()
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

// registerPasskeyFor registers a passkey for the user of accessToken with
// a software authenticator (StartWebAuthnRegistration,
// CompleteWebAuthnRegistration), made at https://<rpID>.
func registerPasskeyFor(t *testing.T, c *cognate, accessToken *string, rpID string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.admin.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: accessToken})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := out.CredentialCreationOptions.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(raw))
	if err != nil {
		t.Fatalf("CredentialCreationOptions %s: %v", raw, err)
	}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})
	cred := browserPasskeyKey(t)
	auth.AddCredential(cred)
	response := virtualwebauthn.CreateAttestationResponse(virtualwebauthn.RelyingParty{Name: "console", ID: rpID, Origin: "https://" + rpID}, auth, cred, *opts)
	var v map[string]any
	if err := json.Unmarshal([]byte(response), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: accessToken,
		Credential: document.NewLazyDocument(v)}); err != nil {
		t.Fatalf("CompleteWebAuthnRegistration: %v", err)
	}
}

// rowTexts returns the text of the elements selector matches.
func rowTexts(t *testing.T, tab context.Context, selector string) []string {
	t.Helper()
	out, err := chromedp.Run(tab, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, selector)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// clickTo clicks the element id and waits for the element next.
func clickTo(t *testing.T, tab context.Context, id, next string) {
	t.Helper()
	if err := chromedp.Do(tab, nextPage("#"+next, chromedp.Click(chromedp.ID(id)))); err != nil {
		t.Fatalf("click %s: %v\n%s", id, err, pageText(tab))
	}
}

// TestConsoleUserPages walks the user page's sections beyond their first
// page and its new actions in Chromium, each checked through the AWS SDK:
// 61 groups and 61 remembered devices, paged with Next and Previous, the
// union of the pages equal to AdminListGroupsForUser's and
// AdminListDevices'; feedback given on a sign-in event, read back with
// AdminListUserAuthEvents; a passkey listed with its name and date as
// ListWebAuthnCredentials answers them, then deleted (ticking the box
// the browser requires). Then the new forms refused without a session,
// with another operator's CSRF token and from another site, and markup in
// the pagination tokens shown escaped, counted.
func TestConsoleUserPages(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	const rpID = "console.example.com"
	created, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("pages"),
		UserPoolTier:        types.UserPoolTierTypePlus,
		UserPoolAddOns:      &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
		DeviceConfiguration: &types.DeviceConfigurationType{},
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(created.UserPool.Id)
	if _, err := c.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOff,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(rpID), UserVerification: types.UserVerificationTypePreferred}}); err != nil {
		t.Fatal(err)
	}
	client, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	c.newUserIn(t, poolID, "ada", "Ada-Password-1", "ada@example.com", true)
	// 61 groups, one more than a page.
	for i := range 61 {
		name := fmt.Sprintf("group-%02d", i)
		if _, err := c.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: &name}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("ada"), GroupName: &name}); err != nil {
			t.Fatal(err)
		}
	}
	// 61 remembered devices, each from a sign-in (an event each).
	var tokens *types.AuthenticationResultType
	for i := range 61 {
		tokens = rememberDevice(t, c, poolID, client.UserPoolClient.ClientId, "ada", "Ada-Password-1", fmt.Sprintf("device %02d", i))
	}
	registerPasskeyFor(t, c, tokens.AccessToken, rpID)

	user := "/console/pools/" + poolID + "/users/ada"
	browse(t, tab, c, user, "user-groups")

	// Groups: 60, Next, 1, Previous, 60; together AdminListGroupsForUser's.
	var apiGroups []string
	for in := (&cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("ada")}); ; {
		out, err := c.admin.AdminListGroupsForUser(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range out.Groups {
			apiGroups = append(apiGroups, aws.ToString(g.GroupName))
		}
		if in.NextToken = out.NextToken; in.NextToken == nil {
			break
		}
	}
	first := rowTexts(t, tab, "#user-groups tr.user-group td.group-name")
	if len(first) != 60 {
		t.Errorf("%d groups on the first page, want 60", len(first))
	}
	if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#groups-previous').length`)); n != 0 {
		t.Error("a Previous link on the first page of groups")
	}
	clickTo(t, tab, "groups-next", "groups-previous")
	second := rowTexts(t, tab, "#user-groups tr.user-group td.group-name")
	if all := slices.Sorted(slices.Values(append(slices.Clone(first), second...))); len(second) != 1 || !slices.Equal(all, slices.Sorted(slices.Values(apiGroups))) || len(apiGroups) != 61 {
		t.Errorf("the group pages (%d + %d) are not AdminListGroupsForUser's %d groups", len(first), len(second), len(apiGroups))
	}
	if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#groups-next').length`)); n != 0 {
		t.Error("a Next link on the last page of groups")
	}

	// Devices, paged while the groups stay on their second page.
	var apiDevices []string
	for in := (&cip.AdminListDevicesInput{UserPoolId: &poolID, Username: aws.String("ada"), Limit: aws.Int32(60)}); ; {
		out, err := c.admin.AdminListDevices(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.Devices {
			for _, a := range d.DeviceAttributes {
				if aws.ToString(a.Name) == "device_name" {
					apiDevices = append(apiDevices, aws.ToString(a.Value))
				}
			}
		}
		if in.PaginationToken = out.PaginationToken; in.PaginationToken == nil {
			break
		}
	}
	firstDevices := rowTexts(t, tab, "#devices tr.device td.device-name")
	clickTo(t, tab, "devices-next", "devices-previous")
	secondDevices := rowTexts(t, tab, "#devices tr.device td.device-name")
	if all := slices.Sorted(slices.Values(append(slices.Clone(firstDevices), secondDevices...))); len(firstDevices) != 60 || len(secondDevices) != 1 ||
		len(apiDevices) != 61 || !slices.Equal(all, slices.Sorted(slices.Values(apiDevices))) {
		t.Errorf("the device pages (%d + %d) are not AdminListDevices' %d devices", len(firstDevices), len(secondDevices), len(apiDevices))
	}
	if g := rowTexts(t, tab, "#user-groups tr.user-group td.group-name"); !slices.Equal(g, second) {
		t.Errorf("paging the devices moved the groups: %v", g)
	}
	// The page with both sections on their last page: one group, one
	// device, the passkey and the sign-in events.
	consoleScreenshot(t, tab, "console-user-passkeys", false)
	clickTo(t, tab, "groups-previous", "groups-next")
	if g := rowTexts(t, tab, "#user-groups tr.user-group td.group-name"); !slices.Equal(g, first) {
		t.Errorf("Previous does not show the first page of groups again (%d rows)", len(g))
	}

	// Sign-in events: 20 a page, Older and Newer.
	if n := len(rowTexts(t, tab, "#auth-events tr.auth-event")); n != 20 {
		t.Errorf("%d events on the first page, want 20", n)
	}
	clickTo(t, tab, "older-events", "newer-events")
	clickTo(t, tab, "newer-events", "older-events")

	// Feedback on the newest event.
	events, err := c.admin.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: &poolID, Username: aws.String("ada"), MaxResults: aws.Int32(1)})
	if err != nil || len(events.AuthEvents) != 1 {
		t.Fatalf("AdminListUserAuthEvents: %v", err)
	}
	eventID := aws.ToString(events.AuthEvents[0].EventId)
	row := fmt.Sprintf(`#auth-events form.event-feedback-form:has(input[name=event][value=%q])`, eventID)
	browse(t, tab, c, user, "auth-events")
	submit(t, tab, "feedback on an event", chromedp.SetValue(chromedp.CSS(row+` select`), "Invalid"), chromedp.Click(chromedp.CSS(row+` button`)))
	events, err = c.admin.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: &poolID, Username: aws.String("ada"), MaxResults: aws.Int32(1)})
	if err != nil || events.AuthEvents[0].EventFeedback == nil || events.AuthEvents[0].EventFeedback.FeedbackValue != types.FeedbackValueTypeInvalid ||
		aws.ToString(events.AuthEvents[0].EventFeedback.Provider) != "Admin" {
		t.Errorf("the event's feedback after the form: %v %+v", err, events.AuthEvents[0].EventFeedback)
	}
	if shown := rowTexts(t, tab, "#auth-events tr.auth-event .feedback-value"); len(shown) == 0 || !strings.HasPrefix(shown[0], "Invalid by Admin") {
		t.Errorf("the feedback shown: %q", shown)
	}

	// The passkey, as ListWebAuthnCredentials lists it; then deleted.
	creds, err := c.admin.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: tokens.AccessToken})
	if err != nil || len(creds.Credentials) != 1 {
		t.Fatalf("ListWebAuthnCredentials: %v", err)
	}
	browse(t, tab, c, user, "passkeys")
	names, dates := rowTexts(t, tab, "#passkeys tr.passkey td.passkey-name"), rowTexts(t, tab, "#passkeys tr.passkey td.passkey-created")
	want := creds.Credentials[0]
	if len(names) != 1 || names[0] != aws.ToString(want.FriendlyCredentialName) || dates[0] != want.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC") {
		t.Errorf("the passkey shown as %q %q, want %q %s", names, dates, aws.ToString(want.FriendlyCredentialName), want.CreatedAt)
	}
	// Without its box ticked the browser does not send the form; sent
	// anyway, the console refuses it.
	sendUnticked := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#passkeys form.inline-confirm'); f.querySelector('input[name=confirm]').required = false; f.submit(); return true })()`)(ctx, tg)
		return err
	})
	if err := chromedp.Do(tab, nextPage("#delete-passkey-error", sendUnticked)); err != nil {
		t.Fatalf("a deletion without confirmation: %v\n%s", err, pageText(tab))
	}
	if creds, err := c.admin.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: tokens.AccessToken}); err != nil || len(creds.Credentials) != 1 {
		t.Fatalf("a refused deletion deleted: %v %d", err, len(creds.Credentials))
	}
	browse(t, tab, c, user, "passkeys")
	submit(t, tab, "delete the passkey", chromedp.Click(chromedp.CSS(`#passkeys form.inline-confirm input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`#passkeys form.inline-confirm button`)))
	if creds, err := c.admin.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: tokens.AccessToken}); err != nil || len(creds.Credentials) != 0 {
		t.Errorf("ListWebAuthnCredentials after the deletion: %v, %d", err, len(creds.Credentials))
	}
	browse(t, tab, c, "/console/pools/"+poolID+"/changes", "changes")
	if text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#changes tr.change"))); err != nil ||
		!strings.Contains(text, "operator operator") || !strings.Contains(text, "DeleteWebAuthnCredential") {
		t.Errorf("the newest change is not the operator's deletion of the passkey (%v): %s", err, text)
	}

	// The new forms, refused without a session, a CSRF token of this
	// session, or from another site.
	refused := consoleRefusals(t, c, tab, user, `#user-mfa input[name=csrf]`, []consoleForm{
		{user + "/event-feedback", url.Values{"event": {eventID}, "feedback": {"Valid"}}},
		{user + "/delete-passkey", url.Values{"credential": {"x"}, "confirm": {"yes"}}},
	})
	events, err = c.admin.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: &poolID, Username: aws.String("ada"), MaxResults: aws.Int32(1)})
	if err != nil || events.AuthEvents[0].EventFeedback.FeedbackValue != types.FeedbackValueTypeInvalid {
		t.Errorf("a refused form changed the feedback: %v", err)
	}
	// Markup in the pagination tokens, which the page puts in its links.
	escaped := 0
	markup := `"><img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	for _, key := range []string{"groups", "devices", "passkeys", "events"} {
		q := url.Values{key: {markup}, key + "_back": {markup}}
		if markupOnPage(t, tab, c.URL+user+"?"+q.Encode()) {
			t.Errorf("markup in the %s token ran or was rendered", key)
		} else {
			escaped++
		}
	}
	t.Logf("console user pages: refused %v; %d pages with markup in pagination tokens shown escaped", refused, escaped)
}
