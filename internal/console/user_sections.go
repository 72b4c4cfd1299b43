package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// How many of a user's groups, devices and auth events the user page
// shows at once (the most ListGroups, AdminListDevices and
// AdminListUserAuthEvents return in a page).
const (
	userGroupsPage = 60
	devicesPage    = 60
	authEventsPage = 20
)

// userData is what the user page shows: the user (AdminGetUser) and the
// sections read with the Admin* operations of their names. A section its
// operation refused shows that operation's message instead.
type userData struct {
	PoolID string
	User   *idp.AdminGetUserResponse

	Groups     []idp.GroupType
	GroupsErr  string
	GroupsPage *pager
	// PoolGroups are the first groups of the pool (ListGroups), offered
	// by the add-to-group field.
	PoolGroups []idp.GroupType

	Devices     []idp.DeviceType
	DevicesErr  string
	DevicesPage *pager

	// Passkeys are the user's passkeys (AdminListWebAuthnCredentials).
	Passkeys     []idp.WebAuthnCredentialDescription
	PasskeysErr  string
	PasskeysPage *pager

	Events     []idp.AuthEventType
	EventsErr  string
	EventsPage *pager

	// MFA is the user's factors: each enabled or not, and the preferred.
	MFA []mfaFactor
	// Invited is set while the user has not yet signed in with the
	// temporary password of an invitation (FORCE_CHANGE_PASSWORD), when
	// the invitation can be sent again.
	Invited bool
}

// mfaFactor is one of a user's MFA factors on the user page.
type mfaFactor struct {
	// Name is the factor's name in UserMFASettingList (SMS_MFA,
	// SOFTWARE_TOKEN_MFA, EMAIL_OTP); Field is its form field.
	Name, Field, Label string
	Enabled, Preferred bool
}

// loadUser reads a user and the sections of their page. Only the user's
// own read fails the page; a section's error is shown in the section.
// q is the page's query: where each paginated section is (pagerKeys).
func (c *Console) loadUser(ctx context.Context, poolID, username string, q url.Values) (*userData, error) {
	out, err := c.opts.Users.AdminGetUser(ctx, c.caller(), &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: &username})
	if err != nil {
		return nil, err
	}
	d := &userData{PoolID: poolID, User: out,
		GroupsPage: newPager(q, "groups"), DevicesPage: newPager(q, "devices"),
		PasskeysPage: newPager(q, "passkeys"), EventsPage: newPager(q, "events"),
		Invited: cognito.Deref(out.UserStatus) == idp.UserStatusTypeForceChangePassword}
	enabled := map[string]bool{}
	for _, m := range out.UserMFASettingList {
		enabled[m] = true
	}
	preferred := cognito.Deref(out.PreferredMfaSetting)
	for _, f := range []mfaFactor{
		{Name: "SOFTWARE_TOKEN_MFA", Field: "totp", Label: "Authenticator app (TOTP)"},
		{Name: "SMS_MFA", Field: "sms", Label: "SMS text message"},
		{Name: "EMAIL_OTP", Field: "email", Label: "Email message"},
	} {
		f.Enabled, f.Preferred = enabled[f.Name], preferred == f.Name
		d.MFA = append(d.MFA, f)
	}
	if g, err := c.opts.Users.AdminListGroupsForUser(ctx, c.caller(), &idp.AdminListGroupsForUserRequest{
		UserPoolId: &poolID, Username: &username, Limit: cognito.Ptr(int32(userGroupsPage)), NextToken: nonEmpty(d.GroupsPage.Token)}); err != nil {
		d.GroupsErr = sectionError(err)
	} else {
		d.Groups, d.GroupsPage.Next = g.Groups, cognito.Deref(g.NextToken)
	}
	if g, err := c.opts.Users.ListGroups(ctx, c.caller(), &idp.ListGroupsRequest{UserPoolId: &poolID, Limit: cognito.Ptr(int32(60))}); err == nil {
		d.PoolGroups = g.Groups
	}
	if dv, err := c.opts.Auth.AdminListDevices(ctx, c.caller(), &idp.AdminListDevicesRequest{
		UserPoolId: &poolID, Username: &username, Limit: cognito.Ptr(int32(devicesPage)), PaginationToken: nonEmpty(d.DevicesPage.Token)}); err != nil {
		d.DevicesErr = sectionError(err)
	} else {
		d.Devices, d.DevicesPage.Next = dv.Devices, cognito.Deref(dv.PaginationToken)
	}
	c.loadPasskeys(ctx, d, poolID, username)
	ev, err := c.opts.Users.AdminListUserAuthEvents(ctx, c.caller(), &idp.AdminListUserAuthEventsRequest{
		UserPoolId: &poolID, Username: &username, MaxResults: cognito.Ptr(int32(authEventsPage)), NextToken: nonEmpty(d.EventsPage.Token)})
	if err != nil {
		d.EventsErr = sectionError(err)
	} else {
		d.Events, d.EventsPage.Next = ev.AuthEvents, cognito.Deref(ev.NextToken)
	}
	return d, nil
}

// sectionError is an engine's refusal as a section shows it.
func sectionError(err error) string {
	code, msg := message(err)
	return code + ": " + msg
}

// userSectionAction runs one of the actions of the user page's sections
// and returns the operation it ran and the notice to show (a key of
// userNotices), through the
// same engine method as that operation. ok is false for an action it does
// not know.
func (c *Console) userSectionAction(ctx context.Context, r *http.Request, poolID, username, action string) (op, notice string, ok bool, err error) {
	f := formValues{r}
	confirmed := f.s("confirm") == "yes"
	switch action {
	case "add-to-group":
		op = "AdminAddUserToGroup"
		in := &idp.AdminAddUserToGroupRequest{UserPoolId: &poolID, Username: &username, GroupName: cognito.Ptr(f.s("group"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminAddUserToGroup(as(ctx, op), c.caller(), in)
		}
		notice = "added-to-group"
	case "remove-from-group":
		op = "AdminRemoveUserFromGroup"
		if !confirmed {
			return op, "", true, notConfirmed()
		}
		in := &idp.AdminRemoveUserFromGroupRequest{UserPoolId: &poolID, Username: &username, GroupName: cognito.Ptr(f.raw("group"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminRemoveUserFromGroup(as(ctx, op), c.caller(), in)
		}
		notice = "removed-from-group"
	case "forget-device":
		op = "AdminForgetDevice"
		if !confirmed {
			return op, "", true, notConfirmed()
		}
		in := &idp.AdminForgetDeviceRequest{UserPoolId: &poolID, Username: &username, DeviceKey: cognito.Ptr(f.raw("device"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Auth.AdminForgetDevice(as(ctx, op), c.caller(), in)
		}
		notice = "forgot-device"
	case "sign-out":
		op = "AdminUserGlobalSignOut"
		if !confirmed {
			return op, "", true, notConfirmed()
		}
		in := &idp.AdminUserGlobalSignOutRequest{UserPoolId: &poolID, Username: &username}
		if err = in.Validate(); err == nil {
			err = c.opts.Auth.AdminUserGlobalSignOut(as(ctx, op), c.caller(), poolID, username)
		}
		notice = "signed-out"
	case "resend-invitation":
		op = "AdminCreateUser"
		in := &idp.AdminCreateUserRequest{UserPoolId: &poolID, Username: &username,
			MessageAction: cognito.Ptr(idp.MessageActionType("RESEND"))}
		for _, m := range f.list("medium") {
			in.DesiredDeliveryMediums = append(in.DesiredDeliveryMediums, idp.DeliveryMediumType(m))
		}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminCreateUser(as(ctx, op), c.caller(), in)
		}
		notice = "invited"
	case "event-feedback":
		op, notice = "AdminUpdateAuthEventFeedback", "feedback"
		err = c.eventFeedback(ctx, r, poolID, username)
	case "delete-passkey":
		op, notice = "DeleteWebAuthnCredential", "deleted-passkey"
		err = c.deletePasskey(ctx, r, poolID, username)
	case "mfa":
		op = "AdminSetUserMFAPreference"
		in, merr := c.mfaRequest(ctx, r, poolID, username)
		if err = merr; err == nil {
			if err = in.Validate(); err == nil {
				_, err = c.opts.Users.AdminSetUserMFAPreference(as(ctx, op), c.caller(), in)
			}
		}
		notice = "mfa"
	default:
		return "", "", false, nil
	}
	return op, notice, true, err
}

// notConfirmed refuses a destructive action whose form was sent without
// its confirmation box ticked.
func notConfirmed() error {
	return cognito.InvalidParameterException("Tick the box to confirm: this cannot be undone.")
}

// mfaRequest is the AdminSetUserMFAPreference request of the MFA form:
// each factor the form enables, or that the user had enabled, with
// whether it is on and preferred. Factors the user never had and the form
// leaves off are not sent, so that a factor the pool does not offer is
// left alone.
func (c *Console) mfaRequest(ctx context.Context, r *http.Request, poolID, username string) (*idp.AdminSetUserMFAPreferenceRequest, error) {
	f := formValues{r}
	out, err := c.opts.Users.AdminGetUser(ctx, c.caller(), &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: &username})
	if err != nil {
		return nil, err
	}
	had := map[string]bool{}
	for _, m := range out.UserMFASettingList {
		had[m] = true
	}
	preferred := f.s("preferred")
	setting := func(name, field string) (enabled, pref *bool, send bool) {
		on := f.b(field)
		if !on && !had[name] {
			return nil, nil, false
		}
		return cognito.Ptr(on), cognito.Ptr(on && preferred == field), true
	}
	in := &idp.AdminSetUserMFAPreferenceRequest{UserPoolId: &poolID, Username: &username}
	if on, pref, send := setting("SOFTWARE_TOKEN_MFA", "totp"); send {
		in.SoftwareTokenMfaSettings = &idp.SoftwareTokenMfaSettingsType{Enabled: on, PreferredMfa: pref}
	}
	if on, pref, send := setting("SMS_MFA", "sms"); send {
		in.SMSMfaSettings = &idp.SMSMfaSettingsType{Enabled: on, PreferredMfa: pref}
	}
	if on, pref, send := setting("EMAIL_OTP", "email"); send {
		in.EmailMfaSettings = &idp.EmailMfaSettingsType{Enabled: on, PreferredMfa: pref}
	}
	if preferred != "" && preferred != "none" && !f.b(preferred) {
		return nil, cognito.InvalidParameterException("The preferred factor must be one the user has turned on.")
	}
	return in, nil
}

// userNotices are the notices of the user page after an action, by the
// key its redirect names (done=…).
var userNotices = map[string]string{
	"reset":              "The password was reset; the user receives a code to choose a new one.",
	"attributes":         "The attributes were saved.",
	"added-to-group":     "The user was added to the group.",
	"removed-from-group": "The user was removed from the group.",
	"forgot-device":      "The device was forgotten.",
	"signed-out":         "The user was signed out everywhere: every refresh token they held is revoked.",
	"invited":            "The invitation was sent again, with a new temporary password.",
	"mfa":                "The MFA settings were saved.",
	"feedback":           "The feedback on the sign-in event was recorded.",
	"deleted-passkey":    "The passkey was deleted: the user no longer signs in with it.",
}
