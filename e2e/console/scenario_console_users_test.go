package console

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browse opens path in the console and waits for the element id.
func browse(t *testing.T, tab context.Context, c *cognate, path, id string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+path), chromedp.WaitVisible(chromedp.ID(id))); err != nil {
		t.Fatalf("open %s: %v\n%s", path, err, pageText(tab))
	}
}

// submit runs actions on the page and waits for the notice of success on
// the page the form leads to (the notice of the page it was sent from is
// removed first).
func submit(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, nextPage("#notice", actions...)); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, pageText(tab))
	}
}

// TestConsoleUserAndGroupScreens walks the console's user and group
// screens in Chromium on a pool with remembered devices, SMS MFA and
// threat protection, and checks each result through the AWS SDK: a group
// created, a user added to it, the user's MFA preference set, a
// remembered device (named with markup) forgotten, the user signed out
// everywhere, an invitation sent again, the group edited and deleted; the
// user's sign-in events shown; and the pool's changes naming the
// operator. Then the console's own defences on the new pages, counted.
func TestConsoleUserAndGroupScreens(t *testing.T) {
	catcher, smtpEnv := startSMTPCatcher(t)
	c, tab := consoleOperator(t, smtpEnv...)
	ctx := context.Background()
	sms := &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sns"), ExternalId: aws.String("cognate")}
	created, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("screens"),
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: false, DeviceOnlyRememberedOnUserPrompt: false},
		SmsConfiguration:    sms, UserPoolTier: types.UserPoolTierTypePlus,
		UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(created.UserPool.Id)
	if _, err := c.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsMfaConfiguration: &types.SmsMfaConfigType{SmsConfiguration: sms}}); err != nil {
		t.Fatal(err)
	}
	client, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := client.UserPoolClient.ClientId
	c.newUserIn(t, poolID, "ada", "Ada-Password-1", "ada@example.com", true)
	if _, err := c.admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("ada"),
		UserAttributes: []types.AttributeType{{Name: aws.String("phone_number"), Value: aws.String("+15555550100")}}}); err != nil {
		t.Fatal(err)
	}
	// Ada signs in and remembers a device.
	payload := `<img/src=x/onerror=document.title='pwned'><script>document.title='pwned'</script>`
	tokens := rememberDevice(t, c, poolID, clientID, "ada", "Ada-Password-1", "Ada's laptop")
	events, err := c.admin.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: &poolID, Username: aws.String("ada")})
	if err != nil || len(events.AuthEvents) == 0 {
		t.Fatalf("AdminListUserAuthEvents: %v, %d events", err, len(events.AuthEvents))
	}

	pool := "/console/pools/" + poolID
	// Groups: one created on the Groups page, one whose name holds markup
	// (Cognito's pattern allows symbols and punctuation, not spaces).
	markupGroup := `<script>document.title='pwned'</script>`
	browse(t, tab, c, pool, "groups-link")
	if err := chromedp.Do(tab, nextPage("#create-group", chromedp.Click(chromedp.ID("groups-link")))); err != nil {
		t.Fatal(err)
	}
	submit(t, tab, "create a group", setValue("group-name", "readers"), setValue("group-description", "Read only"),
		setValue("group-precedence", "2"), setValue("group-role", "arn:aws:iam::123456789012:role/readers"), chromedp.Click(chromedp.ID("create-group-submit")))
	if _, err := c.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Description: aws.String("Administrators"),
		Precedence: aws.Int32(1), RoleArn: aws.String("arn:aws:iam::123456789012:role/admins")}); err != nil {
		t.Fatal(err)
	}
	browse(t, tab, c, pool+"/groups", "create-group")
	consoleScreenshot(t, tab, "console-groups", false)
	submit(t, tab, "create the markup group", setValue("group-name", markupGroup), chromedp.Click(chromedp.ID("create-group-submit")))
	g, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("readers")})
	if err != nil || aws.ToString(g.Group.Description) != "Read only" || aws.ToInt32(g.Group.Precedence) != 2 || aws.ToString(g.Group.RoleArn) != "arn:aws:iam::123456789012:role/readers" {
		t.Fatalf("GetGroup readers: %v %+v", err, g)
	}
	if _, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String(markupGroup)}); err != nil {
		t.Fatalf("GetGroup %s: %v", markupGroup, err)
	}

	// Ada's page: into a group, SMS MFA preferred.
	user := pool + "/users/ada"
	browse(t, tab, c, user, "add-to-group")
	submit(t, tab, "add to readers", setValue("group-to-add", "readers"), chromedp.Click(chromedp.ID("add-to-group-submit")))
	browse(t, tab, c, user, "user-mfa")
	submit(t, tab, "SMS MFA", chromedp.Click(chromedp.ID("mfa-sms")), chromedp.Click(chromedp.ID("mfa-preferred-sms")), chromedp.Click(chromedp.ID("save-mfa")))
	u, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ada")})
	if err != nil || aws.ToString(u.PreferredMfaSetting) != "SMS_MFA" || len(u.UserMFASettingList) != 1 {
		t.Errorf("AdminGetUser after the MFA form: %v, preferred %q, %v", err, aws.ToString(u.PreferredMfaSetting), u.UserMFASettingList)
	}

	// The devices and sign-in events are shown; the device's name is text.
	browse(t, tab, c, user, "devices")
	consoleScreenshot(t, tab, "console-user", false)
	consoleScreenshot(t, tab, "console-user-phone", true)
	// And into the group whose name holds markup.
	submit(t, tab, "add to "+markupGroup, setValue("group-to-add", markupGroup), chromedp.Click(chromedp.ID("add-to-group-submit")))
	inGroups, err := c.admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("ada")})
	if err != nil || len(inGroups.Groups) != 2 {
		t.Fatalf("AdminListGroupsForUser: %v %+v", err, inGroups)
	}
	browse(t, tab, c, user, "devices")
	rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#devices tr.device').length`))
	if err != nil || rows != 1 {
		t.Errorf("%d device rows (%v), want 1", rows, err)
	}
	name, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#devices .device-name`)))
	if err != nil || name != "Ada's laptop" {
		t.Errorf("the device's name shown as %q (%v)", name, err)
	}
	shown, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#auth-events tr.auth-event').length`))
	if err != nil || shown != len(events.AuthEvents) {
		t.Errorf("%d event rows (%v), want the %d AdminListUserAuthEvents returns", shown, err, len(events.AuthEvents))
	}
	risk, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#auth-events tr.auth-event .event-risk`)))
	if want := string(events.AuthEvents[0].EventRisk.RiskLevel); err != nil || (want != "" && !strings.Contains(risk, want)) {
		t.Errorf("the event's risk shown as %q (%v), want %q", risk, err, want)
	}
	// Sign out everywhere: the refresh token, which worked, stops working.
	refresh := func() error {
		_, err := c.admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: clientID,
			AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{
				"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken), "DEVICE_KEY": aws.ToString(tokens.NewDeviceMetadata.DeviceKey)}})
		return err
	}
	if err := refresh(); err != nil {
		t.Fatalf("a refresh before signing out everywhere: %v", err)
	}
	submit(t, tab, "sign out everywhere", chromedp.Click(chromedp.ID("confirm-sign-out")), chromedp.Click(chromedp.ID("sign-out-submit")))
	var notAuthorized *types.NotAuthorizedException
	if err := refresh(); !errors.As(err, &notAuthorized) {
		t.Errorf("a refresh after signing out everywhere: %v, want NotAuthorizedException", err)
	}
	// Forgetting the device (its box ticked: the browser requires it).
	browse(t, tab, c, user, "devices")
	submit(t, tab, "forget the device", chromedp.Click(chromedp.CSS(`#devices form.inline-confirm input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`#devices form.inline-confirm button`)))
	devs, err := c.admin.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: &poolID, Username: aws.String("ada")})
	if err != nil || len(devs.Devices) != 0 {
		t.Errorf("AdminListDevices after forgetting: %v, %d devices", err, len(devs.Devices))
	}
	// An invitation, then sent again: a second message with a new password.
	browse(t, tab, c, pool+"/users", "create-user")
	before := catcher.Count()
	if err := chromedp.Do(tab, setValue("new-username", "invitee"), setValue("new-email", "invitee@example.com"),
		nextPage("#resend-invitation", chromedp.Click(chromedp.ID("create-user-submit")))); err != nil {
		t.Fatalf("invite: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "resend the invitation", chromedp.Click(chromedp.ID("resend-invitation-submit")))
	for deadline := time.Now().Add(10 * time.Second); catcher.Count() < before+2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if n := catcher.Count() - before; n != 2 {
		t.Errorf("%d messages for the invitation and its resending, want 2", n)
	}

	// The group's page: edited, its member listed, then deleted.
	browse(t, tab, c, pool+"/groups/readers", "edit-group")
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#members tr.member').length`)); err != nil || n != 1 {
		t.Errorf("%d members shown (%v), want ada", n, err)
	}
	consoleScreenshot(t, tab, "console-group", false)
	submit(t, tab, "edit the group", setValue("edit-description", "Readers of everything"), setValue("edit-precedence", "7"), chromedp.Click(chromedp.ID("save-group")))
	if g, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("readers")}); err != nil ||
		aws.ToString(g.Group.Description) != "Readers of everything" || aws.ToInt32(g.Group.Precedence) != 7 {
		t.Errorf("GetGroup after the edit: %v %+v", err, g)
	}
	submit(t, tab, "delete the group", setValue("confirm-delete-group", "readers"), chromedp.Click(chromedp.ID("delete-group-submit")))
	var missing *types.ResourceNotFoundException
	if _, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("readers")}); !errors.As(err, &missing) {
		t.Errorf("GetGroup after the deletion: %v, want ResourceNotFoundException", err)
	}

	// The pool's changes name the operator.
	browse(t, tab, c, pool+"/changes", "changes")
	consoleScreenshot(t, tab, "console-changes", false)
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("changes")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"operator operator", "AdminAddUserToGroup", "AdminForgetDevice", "DeleteGroup", "AdminSetUserMFAPreference", "access key"} {
		if !strings.Contains(text, want) {
			t.Errorf("the changes page does not show %q:\n%s", want, text)
		}
	}

	// A device remembered again, for the escaping checks (with SMS MFA off,
	// so that the sign-in asks for no code).
	if _, err := c.admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &poolID, Username: aws.String("ada"),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: false}}); err != nil {
		t.Fatal(err)
	}
	rememberDevice(t, c, poolID, clientID, "ada", "Ada-Password-1", payload)
	consoleScreensSecurity(t, c, tab, poolID, markupGroup, payload)
}

// rememberDevice signs username in with ADMIN_USER_PASSWORD_AUTH and
// confirms the device its tokens name (ConfirmDevice, with a verifier the
// store accepts; the device never signs in with it), and returns the
// tokens.
func rememberDevice(t *testing.T, c *cognate, poolID string, clientID *string, username, password, deviceName string) *types.AuthenticationResultType {
	t.Helper()
	ctx := context.Background()
	signedIn, err := c.admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: clientID,
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password}})
	if err != nil {
		t.Fatal(err)
	}
	tokens := signedIn.AuthenticationResult
	if tokens == nil || tokens.NewDeviceMetadata == nil {
		t.Fatalf("no device key at sign-in: %+v", signedIn)
	}
	salt := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	if _, err := c.admin.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: tokens.AccessToken, DeviceKey: tokens.NewDeviceMetadata.DeviceKey,
		DeviceName: aws.String(deviceName), DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			Salt: aws.String(salt), PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString([]byte{4}))}}); err != nil {
		t.Fatalf("ConfirmDevice: %v", err)
	}
	return tokens
}

// consoleScreensSecurity checks the defences of the user and group
// screens: their pages without a session, their forms without a session,
// with another operator's CSRF token and from another site, and markup in
// the group names, group descriptions and device names they show. It logs
// how many of each it tried.
func consoleScreensSecurity(t *testing.T, c *cognate, tab context.Context, poolID, markupGroup, deviceMarkup string) {
	ctx := context.Background()
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
	pool := "/console/pools/" + poolID
	browse(t, tab, c, pool+"/groups", "create-group")
	csrf, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(`#create-group input[name=csrf]`)))
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
	refused := map[string]int{}
	pages := []string{pool + "/groups", pool + "/groups/" + url.PathEscape(markupGroup), pool + "/changes", pool + "/users/ada"}
	for _, path := range pages {
		resp, err := noRedirect.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without a session: %d", path, resp.StatusCode)
		} else {
			refused["no session"]++
		}
	}
	other := otherOperatorCSRF(t, c)
	// Each form of the new screens, with what would change something.
	forms := []struct {
		path string
		form url.Values
	}{
		{pool + "/groups", url.Values{"name": {"forged"}}},
		{pool + "/groups/" + url.PathEscape(markupGroup) + "/delete", url.Values{"confirm": {markupGroup}}},
		{pool + "/groups/" + url.PathEscape(markupGroup) + "/update", url.Values{"description": {"forged"}}},
		{pool + "/users/ada/remove-from-group", url.Values{"group": {markupGroup}, "confirm": {"yes"}}},
		{pool + "/users/ada/mfa", url.Values{"preferred": {"none"}}},
		{pool + "/users/ada/sign-out", url.Values{"confirm": {"yes"}}},
	}
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
		if got := post(f.path, with(csrf), "", nil); got != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", f.path, got)
		} else {
			refused["no session"]++
		}
		if got := post(f.path, with(other), session, nil); got != http.StatusForbidden {
			t.Errorf("POST %s with another operator's CSRF token: %d", f.path, got)
		} else {
			refused["another session's CSRF token"]++
		}
		if got := post(f.path, with(""), session, nil); got != http.StatusForbidden {
			t.Errorf("POST %s without a CSRF token: %d", f.path, got)
		} else {
			refused["another session's CSRF token"]++
		}
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			if got := post(f.path, with(csrf), session, h); got != http.StatusForbidden {
				t.Errorf("cross-site POST %s %v: %d", f.path, h, got)
			} else {
				refused["cross-site post"]++
			}
		}
	}
	// Nothing the refused forms asked for happened.
	if _, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("forged")}); err == nil {
		t.Error("a refused form created a group")
	}
	g, err := c.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String(markupGroup)})
	if err != nil || aws.ToString(g.Group.Description) == "forged" {
		t.Errorf("a refused form changed or deleted the group: %v %+v", err, g)
	}

	// Markup in what the new screens show: a group's name and description
	// and, on the user's page, the device name and the group membership.
	payload := `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	if _, err := c.admin.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: aws.String(markupGroup), Description: aws.String(payload)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, GroupName: aws.String(markupGroup), Username: aws.String("ada")}); err != nil {
		t.Fatal(err)
	}
	escaped := 0
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
	// The user's page shows the device named with markup as text.
	browse(t, tab, c, pool+"/users/ada", "devices")
	if name, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#devices .device-name`))); err != nil || name != deviceMarkup {
		t.Errorf("the device's name shown as %q (%v)", name, err)
	} else {
		escaped++
	}
	t.Logf("console user and group screens: refused %v; %d pages and fields with markup in group names, descriptions and device names shown escaped", refused, escaped)
}
