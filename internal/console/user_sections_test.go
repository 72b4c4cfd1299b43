package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestUserSections runs the user page's sections on both stores: groups
// (add, a removal refused without its confirmation, then removed),
// resending an invitation, MFA preferences (one the engine refuses shown
// in its section), and sign-out everywhere refused without its
// confirmation; each result read back through the engines.
func TestUserSections(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("sections"),
			SmsConfiguration: &idp.SmsConfigurationType{SnsCallerArn: cognito.Ptr("arn:aws:iam::123456789012:role/sns"), ExternalId: cognito.Ptr("x")}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		if _, err := e.pools.SetUserPoolMfaConfig(ctx, c, &idp.SetUserPoolMfaConfigRequest{UserPoolId: &poolID,
			MfaConfiguration: cognito.Ptr(idp.UserPoolMfaType("OPTIONAL")),
			SmsMfaConfiguration: &idp.SmsMfaConfigType{SmsConfiguration: &idp.SmsConfigurationType{
				SnsCallerArn: cognito.Ptr("arn:aws:iam::123456789012:role/sns"), ExternalId: cognito.Ptr("x")}},
			SoftwareTokenMfaConfiguration: &idp.SoftwareTokenMfaConfigType{Enabled: cognito.Ptr(true)}}); err != nil {
			t.Fatal(err)
		}
		markup := `<script>alert(1)</script>`
		for _, g := range []string{"admins", markup} {
			if _, err := e.users.CreateGroup(ctx, c, &idp.CreateGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr(g), Description: cognito.Ptr("about " + g)}); err != nil {
				t.Fatalf("CreateGroup %s: %v", g, err)
			}
		}
		base := "/console/pools/" + poolID + "/users"
		if rec := e.do(t, http.MethodPost, base, url.Values{"username": {"ada"}, "email": {"ada@example.com"}, "phone_number": {"+15555550100"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create ada: %d\n%s", rec.Code, rec.Body)
		}
		user := base + "/ada"
		groupsOf := func() []string {
			t.Helper()
			out, err := e.users.AdminListGroupsForUser(ctx, c, &idp.AdminListGroupsForUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range out.Groups {
				names = append(names, cognito.Deref(g.GroupName))
			}
			slices.Sort(names)
			return names
		}

		// Groups.
		for _, g := range []string{"admins", markup} {
			if rec := e.do(t, http.MethodPost, user+"/add-to-group", url.Values{"group": {g}}); rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?done=added-to-group") {
				t.Fatalf("add to %s: %d %s\n%s", g, rec.Code, rec.Header().Get("Location"), rec.Body)
			}
		}
		if got := groupsOf(); !slices.Equal(got, []string{markup, "admins"}) {
			t.Errorf("groups after adding: %v", got)
		}
		rec := e.do(t, http.MethodPost, user+"/add-to-group", url.Values{"group": {"nobody"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ResourceNotFoundException") {
			t.Errorf("add to a missing group: %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodGet, user, nil)
		body := rec.Body.String()
		if strings.Contains(body, markup) || strings.Count(body, "&lt;script&gt;alert(1)&lt;/script&gt;") < 2 || !strings.Contains(body, `<td class="group-name"><a href="/console/pools/`+poolID+`/groups/admins">admins</a></td>`) {
			t.Errorf("the user page's groups (escaped, linked):\n%s", body)
		}
		rec = e.do(t, http.MethodPost, user+"/remove-from-group", url.Values{"group": {"admins"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Tick the box to confirm") {
			t.Errorf("a removal without confirmation: %d\n%s", rec.Code, rec.Body)
		}
		if got := groupsOf(); len(got) != 2 {
			t.Errorf("a refused removal removed: %v", got)
		}
		if rec := e.do(t, http.MethodPost, user+"/remove-from-group", url.Values{"group": {"admins"}, "confirm": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("remove: %d\n%s", rec.Code, rec.Body)
		}
		if got := groupsOf(); !slices.Equal(got, []string{markup}) {
			t.Errorf("groups after removing admins: %v", got)
		}

		// Resend the invitation: a second message, a new temporary password.
		if n := len(e.outbox.Messages("ada@example.com")); n != 1 {
			t.Fatalf("%d invitations before the resend", n)
		}
		if !strings.Contains(body, `id="resend-invitation"`) {
			t.Errorf("no resend form for an invited user")
		}
		if rec := e.do(t, http.MethodPost, user+"/resend-invitation", url.Values{"medium": {"EMAIL"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("resend: %d\n%s", rec.Code, rec.Body)
		}
		if msgs := e.outbox.Messages("ada@example.com"); len(msgs) != 2 || msgs[0].Body == msgs[1].Body {
			t.Errorf("after the resend: %d messages to ada", len(msgs))
		}
		rec = e.do(t, http.MethodPost, user+"/resend-invitation", url.Values{"medium": {"FAX"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `InvalidParameterException`) {
			t.Errorf("resend by fax: %d\n%s", rec.Code, rec.Body)
		}

		// MFA: SMS on and preferred; TOTP refused (no authenticator).
		if rec := e.do(t, http.MethodPost, user+"/mfa", url.Values{"sms": {"1"}, "preferred": {"sms"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("mfa: %d\n%s", rec.Code, rec.Body)
		}
		u, err := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(u.UserMFASettingList, []string{"SMS_MFA"}) || cognito.Deref(u.PreferredMfaSetting) != "SMS_MFA" {
			t.Errorf("MFA after the form: %v preferred %q", u.UserMFASettingList, cognito.Deref(u.PreferredMfaSetting))
		}
		rec = e.do(t, http.MethodPost, user+"/mfa", url.Values{"sms": {"1"}, "totp": {"1"}, "preferred": {"totp"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "User has not verified software token mfa") {
			t.Errorf("TOTP without an authenticator: %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodGet, user, nil)
		if body := rec.Body.String(); !strings.Contains(body, `id="mfa-sms" checked`) || !strings.Contains(body, `id="mfa-preferred-sms" checked`) || strings.Contains(body, `id="mfa-totp" checked`) {
			t.Errorf("the MFA section after the refusal:\n%s", body)
		}
		if rec := e.do(t, http.MethodPost, user+"/mfa", url.Values{"preferred": {"none"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("mfa off: %d\n%s", rec.Code, rec.Body)
		}
		if u, _ := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")}); len(u.UserMFASettingList) != 0 {
			t.Errorf("MFA after turning SMS off: %v", u.UserMFASettingList)
		}

		// Sign-out everywhere and forgetting a device need their box ticked.
		for _, action := range []string{"sign-out", "forget-device"} {
			rec := e.do(t, http.MethodPost, user+"/"+action, url.Values{"device": {"us-east-1_x"}})
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Tick the box to confirm") {
				t.Errorf("%s without confirmation: %d\n%s", action, rec.Code, rec.Body)
			}
		}
		if rec := e.do(t, http.MethodPost, user+"/sign-out", url.Values{"confirm": {"yes"}}); rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?done=signed-out") {
			t.Errorf("sign out: %d %s\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		rec = e.do(t, http.MethodPost, user+"/forget-device", url.Values{"confirm": {"yes"}, "device": {"us-east-1_00000000-0000-4000-8000-000000000000"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ResourceNotFoundException") {
			t.Errorf("forget a device the user does not have: %d\n%s", rec.Code, rec.Body)
		}
		// Auth events: the pool has no threat protection, as the section says.
		if body := e.do(t, http.MethodGet, user, nil).Body.String(); !strings.Contains(body, `id="events-error"`) || !strings.Contains(body, "UserPoolAddOnNotEnabledException") {
			t.Errorf("the events section of a pool without threat protection:\n%s", body)
		}
		if rec := e.do(t, http.MethodPost, user+"/nonsense", url.Values{}); rec.Code != http.StatusNotFound {
			t.Errorf("an unknown action: %d", rec.Code)
		}
	})
}
