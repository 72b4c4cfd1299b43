package directory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

const ssPassword = "Passw0rd!"

// ssFixture is a pool with one app client, on a fresh SQLite store, whose
// users act through access grants fabricated as the edge would make them.
type ssFixture struct {
	*utService
	p      *idp.UserPoolType
	client string
}

func newSSFixture(t *testing.T, pool *idp.CreateUserPoolRequest, client *idp.CreateUserPoolClientRequest) *ssFixture {
	t.Helper()
	s := newUTService(t)
	p := s.pool(t, pool)
	if client == nil {
		client = &idp.CreateUserPoolClientRequest{}
	}
	client.UserPoolId, client.ClientName = p.Id, cognito.Ptr("app")
	out, err := s.CreateUserPoolClient(context.Background(), utCaller, client)
	if err != nil {
		t.Fatal(err)
	}
	return &ssFixture{utService: s, p: p, client: cognito.Deref(out.UserPoolClient.ClientId)}
}

// user creates a confirmed user with ssPassword and the given attributes
// and returns a caller holding its access grant.
func (f *ssFixture) user(t *testing.T, username string, kv ...string) cognito.Caller {
	t.Helper()
	ctx := context.Background()
	if _, err := f.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: f.p.Id, Username: cognito.Ptr(username), UserAttributes: attrs(kv...),
		MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{
		UserPoolId: f.p.Id, Username: cognito.Ptr(username), Password: cognito.Ptr(ssPassword), Permanent: cognito.Ptr(true),
	}); err != nil {
		t.Fatal(err)
	}
	u := f.record(t, f.p, username)
	return cognito.Caller{Region: "us-east-1", Access: &cognito.AccessGrant{
		PoolID: cognito.Deref(f.p.Id), ClientID: f.client, Sub: u.Sub, Username: u.Username,
		Scopes: []string{selfServiceScope}, JTI: "jti-" + username, OriginJTI: "origin-" + username,
	}}
}

// getAttrs returns the attributes GetUser answers c, by name.
func (f *ssFixture) getAttrs(t *testing.T, c cognito.Caller) map[string]string {
	t.Helper()
	out, err := f.GetUser(context.Background(), c, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, a := range out.UserAttributes {
		m[cognito.Deref(a.Name)] = cognito.Deref(a.Value)
	}
	return m
}

func wantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != code || (msg != "" && ce.Message != msg) {
		t.Fatalf("error = %v, want %s %q", err, code, msg)
	}
}

// selfServiceOps calls every self-service operation with harmless input.
var selfServiceOps = map[string]func(s *Service, c cognito.Caller) error{
	"GetUser": func(s *Service, c cognito.Caller) error {
		_, err := s.GetUser(context.Background(), c, &idp.GetUserRequest{})
		return err
	},
	"UpdateUserAttributes": func(s *Service, c cognito.Caller) error {
		_, err := s.UpdateUserAttributes(context.Background(), c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("name", "N")})
		return err
	},
	"DeleteUserAttributes": func(s *Service, c cognito.Caller) error {
		_, err := s.DeleteUserAttributes(context.Background(), c, &idp.DeleteUserAttributesRequest{UserAttributeNames: []string{"name"}})
		return err
	},
	"DeleteUser": func(s *Service, c cognito.Caller) error {
		_, err := s.DeleteUser(context.Background(), c, &idp.DeleteUserRequest{})
		return err
	},
	"ChangePassword": func(s *Service, c cognito.Caller) error {
		_, err := s.ChangePassword(context.Background(), c, &idp.ChangePasswordRequest{PreviousPassword: cognito.Ptr(ssPassword), ProposedPassword: cognito.Ptr("Other0ne!")})
		return err
	},
	"GetUserAttributeVerificationCode": func(s *Service, c cognito.Caller) error {
		_, err := s.GetUserAttributeVerificationCode(context.Background(), c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")})
		return err
	},
	"VerifyUserAttribute": func(s *Service, c cognito.Caller) error {
		_, err := s.VerifyUserAttribute(context.Background(), c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("email"), Code: cognito.Ptr("123456")})
		return err
	},
	"SetUserSettings": func(s *Service, c cognito.Caller) error {
		_, err := s.SetUserSettings(context.Background(), c, &idp.SetUserSettingsRequest{})
		return err
	},
}

// TestSelfServiceAuthorization checks, for every operation, what an access
// grant must establish before the operation touches the user.
func TestSelfServiceAuthorization(t *testing.T) {
	type setup func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller
	cases := []struct {
		name      string
		setup     setup
		code, msg string
	}{
		{"no access grant", func(_ *testing.T, _ *ssFixture, c cognito.Caller) cognito.Caller {
			c.Access = nil
			return c
		}, cognito.CodeNotAuthorizedException, "Invalid Access Token"},
		{"no scopes", func(_ *testing.T, _ *ssFixture, c cognito.Caller) cognito.Caller {
			c.Access.Scopes = nil
			return c
		}, cognito.CodeNotAuthorizedException, "Access Token does not have required scopes"},
		{"only OpenID scopes", func(_ *testing.T, _ *ssFixture, c cognito.Caller) cognito.Caller {
			c.Access.Scopes = []string{"openid", "email", "profile"}
			return c
		}, cognito.CodeNotAuthorizedException, "Access Token does not have required scopes"},
		{"pool deleted", func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller {
			c.Access.PoolID = "us-east-1_gone"
			return c
		}, cognito.CodeNotAuthorizedException, "Invalid Access Token"},
		{"pool in another region", func(_ *testing.T, _ *ssFixture, c cognito.Caller) cognito.Caller {
			c.Region = "eu-west-1"
			return c
		}, cognito.CodeNotAuthorizedException, "Invalid Access Token"},
		{"user deleted", func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller {
			if _, err := f.AdminDeleteUser(context.Background(), utCaller, &idp.AdminDeleteUserRequest{UserPoolId: f.p.Id, Username: cognito.Ptr("ann")}); err != nil {
				t.Fatal(err)
			}
			return c
		}, cognito.CodeUserNotFoundException, "User does not exist."},
		{"user deleted and its username taken again", func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller {
			if _, err := f.AdminDeleteUser(context.Background(), utCaller, &idp.AdminDeleteUserRequest{UserPoolId: f.p.Id, Username: cognito.Ptr("ann")}); err != nil {
				t.Fatal(err)
			}
			f.user(t, "ann", "email", "ann@example.com")
			return c
		}, cognito.CodeUserNotFoundException, "User does not exist."},
		{"sub of a user in another pool", func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller {
			p2 := f.pool(t, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("other")})
			if _, err := f.AdminCreateUser(context.Background(), utCaller, &idp.AdminCreateUserRequest{UserPoolId: p2.Id, Username: cognito.Ptr("bob"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)}); err != nil {
				t.Fatal(err)
			}
			c.Access.Sub = f.record(t, p2, "bob").Sub
			return c
		}, cognito.CodeUserNotFoundException, "User does not exist."},
		{"user disabled", func(t *testing.T, f *ssFixture, c cognito.Caller) cognito.Caller {
			if _, err := f.AdminDisableUser(context.Background(), utCaller, &idp.AdminDisableUserRequest{UserPoolId: f.p.Id, Username: cognito.Ptr("ann")}); err != nil {
				t.Fatal(err)
			}
			return c
		}, cognito.CodeNotAuthorizedException, "User is disabled."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for op, call := range selfServiceOps {
				f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
				c := tc.setup(t, f, f.user(t, "ann", "email", "ann@example.com"))
				var before *userRecord
				if tc.code != cognito.CodeUserNotFoundException {
					before = f.record(t, f.p, "ann")
				}
				err := call(f.Service, c)
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Code != tc.code || ce.Message != tc.msg {
					t.Errorf("%s: error = %v, want %s %q", op, err, tc.code, tc.msg)
				}
				if before != nil {
					if diff := cmp.Diff(before, f.record(t, f.p, "ann")); diff != "" {
						t.Errorf("%s changed the user (-before +after):\n%s", op, diff)
					}
				}
			}
		})
	}
}

func TestSelfServiceClientDeleted(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
	c := f.user(t, "ann", "email", "ann@example.com")
	if _, err := f.DeleteUserPoolClient(context.Background(), utCaller, &idp.DeleteUserPoolClientRequest{UserPoolId: f.p.Id, ClientId: cognito.Ptr(f.client)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetUser(context.Background(), c, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "Invalid Access Token")
	_, err = f.UpdateUserAttributes(context.Background(), c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("name", "N")})
	wantError(t, err, cognito.CodeNotAuthorizedException, "Invalid Access Token")
}

func TestGetUserReadAttributes(t *testing.T) {
	pool := &idp.CreateUserPoolRequest{Schema: []idp.SchemaAttributeType{
		{Name: cognito.Ptr("team"), AttributeDataType: cognito.Ptr(idp.AttributeDataTypeString), Mutable: cognito.Ptr(true)},
		{Name: cognito.Ptr("secret"), AttributeDataType: cognito.Ptr(idp.AttributeDataTypeString), DeveloperOnlyAttribute: cognito.Ptr(true)},
	}}
	user := []string{"email", "ann@example.com", "email_verified", "true", "name", "Ann", "custom:team", "blue", "dev:custom:secret", "s3"}
	cases := []struct {
		name string
		read []string
		want []string
	}{
		{"every attribute but developer-only ones without ReadAttributes", nil,
			[]string{"sub", "custom:team", "email", "email_verified", "name"}},
		{"the listed attributes and sub", []string{"email", "custom:team"},
			[]string{"sub", "custom:team", "email"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, pool, &idp.CreateUserPoolClientRequest{ReadAttributes: tc.read})
			c := f.user(t, "ann", user...)
			if _, err := f.AdminSetUserSettings(context.Background(), utCaller, &idp.AdminSetUserSettingsRequest{
				UserPoolId: f.p.Id, Username: cognito.Ptr("ann"),
				MFAOptions: []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms), AttributeName: cognito.Ptr("phone_number")}},
			}); err != nil {
				t.Fatal(err)
			}
			out, err := f.GetUser(context.Background(), c, &idp.GetUserRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range out.UserAttributes {
				names = append(names, cognito.Deref(a.Name))
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
			if cognito.Deref(out.Username) != "ann" {
				t.Errorf("Username = %q", cognito.Deref(out.Username))
			}
			if out.UserAttributes[0].Value == nil || *out.UserAttributes[0].Value != c.Access.Sub {
				t.Errorf("sub = %v, want %s", out.UserAttributes[0].Value, c.Access.Sub)
			}
			if len(out.MFAOptions) != 1 || cognito.Deref(out.MFAOptions[0].DeliveryMedium) != idp.DeliveryMediumTypeSms {
				t.Errorf("MFAOptions = %+v", out.MFAOptions)
			}
		})
	}
}

func TestUpdateUserAttributesRefusals(t *testing.T) {
	pool := &idp.CreateUserPoolRequest{Schema: []idp.SchemaAttributeType{
		{Name: cognito.Ptr("team"), AttributeDataType: cognito.Ptr(idp.AttributeDataTypeString), Mutable: cognito.Ptr(false)},
	}}
	cases := []struct {
		name      string
		write     []string
		attrs     []idp.AttributeType
		code, msg string
	}{
		{"an attribute the client may not write", []string{"name"}, attrs("email", "new@example.com"),
			cognito.CodeNotAuthorizedException, "A client attempted to write unauthorized attribute"},
		{"email_verified with the default permissions", nil, attrs("email_verified", "true"),
			cognito.CodeNotAuthorizedException, "A client attempted to write unauthorized attribute"},
		{"phone_number_verified listed with other attributes", nil, attrs("name", "x", "phone_number_verified", "true"),
			cognito.CodeNotAuthorizedException, "A client attempted to write unauthorized attribute"},
		{"an attribute the schema lacks", nil, attrs("custom:nope", "x"),
			cognito.CodeInvalidParameterException, "user.custom:nope: Attribute does not exist in the schema.\n"},
		{"an immutable attribute", nil, attrs("custom:team", "red"),
			cognito.CodeInvalidParameterException, "user.custom:team: Attribute cannot be updated.\n"},
		{"a malformed email address", nil, attrs("email", "not-an-address"),
			cognito.CodeInvalidParameterException, "Invalid email address format."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, pool, &idp.CreateUserPoolClientRequest{WriteAttributes: tc.write})
			c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "false")
			before := f.record(t, f.p, "ann")
			_, err := f.UpdateUserAttributes(context.Background(), c, &idp.UpdateUserAttributesRequest{UserAttributes: tc.attrs})
			wantError(t, err, tc.code, tc.msg)
			if diff := cmp.Diff(before, f.record(t, f.p, "ann")); diff != "" {
				t.Errorf("user changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateUserAttributesEmailChange(t *testing.T) {
	type want struct {
		details  []idp.CodeDeliveryDetailsType
		attrs    map[string]string // after the update, as GetUser shows them
		verified map[string]string // after VerifyUserAttribute with the code
	}
	emailDetails := []idp.CodeDeliveryDetailsType{{
		Destination: cognito.Ptr("n***@e***"), DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeEmail), AttributeName: cognito.Ptr("email"),
	}}
	cases := []struct {
		name string
		pool *idp.CreateUserPoolRequest
		want want
	}{
		{
			name: "auto-verified: replaced at once, unverified, and a code sent",
			pool: &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}},
			want: want{
				details:  emailDetails,
				attrs:    map[string]string{"email": "new@example.com", "email_verified": "false", "name": "Ann"},
				verified: map[string]string{"email": "new@example.com", "email_verified": "true", "name": "Ann"},
			},
		},
		{
			name: "verification before update: the original stays until the new one is verified",
			pool: &idp.CreateUserPoolRequest{
				AutoVerifiedAttributes:      []idp.VerifiedAttributeType{"email"},
				UserAttributeUpdateSettings: &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{"email"}},
			},
			want: want{
				details:  emailDetails,
				attrs:    map[string]string{"email": "ann@example.com", "email_verified": "true", "name": "Ann"},
				verified: map[string]string{"email": "new@example.com", "email_verified": "true", "name": "Ann"},
			},
		},
		{
			name: "not auto-verified: replaced at once and no code",
			pool: &idp.CreateUserPoolRequest{},
			want: want{
				attrs: map[string]string{"email": "new@example.com", "email_verified": "false", "name": "Ann"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, tc.pool, nil)
			ctx := context.Background()
			c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "true")
			out, err := f.UpdateUserAttributes(ctx, c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("email", "new@example.com", "name", "Ann")})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want.details, out.CodeDeliveryDetailsList); diff != "" {
				t.Errorf("CodeDeliveryDetailsList (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.attrs, withoutSub(f.getAttrs(t, c))); diff != "" {
				t.Errorf("after the update (-want +got):\n%s", diff)
			}
			if len(f.outbox.Messages("ann@example.com")) != 0 {
				t.Error("a message went to the original address")
			}
			if tc.want.verified == nil {
				if n := len(f.outbox.Messages("new@example.com")); n != 0 {
					t.Errorf("%d messages to the new address, want none", n)
				}
				return
			}
			code := f.lastCode(t, "new@example.com")
			if _, err := f.VerifyUserAttribute(ctx, c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("email"), Code: cognito.Ptr(code)}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want.verified, withoutSub(f.getAttrs(t, c))); diff != "" {
				t.Errorf("after verification (-want +got):\n%s", diff)
			}
			if u := f.record(t, f.p, "ann"); u.PendingAttributes != nil || u.Codes != nil {
				t.Errorf("pending %v and codes %v left after verification", u.PendingAttributes, u.Codes)
			}
		})
	}
}

func withoutSub(m map[string]string) map[string]string {
	delete(m, "sub")
	return m
}

// TestPendingEmailSignsInWithTheOriginal checks that, while a new email
// waits for verification, the user is still found by the original one
// (its alias) and not by the new one.
func TestPendingEmailSignsInWithTheOriginal(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{
		UsernameAttributes:          []idp.UsernameAttributeType{"email"},
		AutoVerifiedAttributes:      []idp.VerifiedAttributeType{"email"},
		UserAttributeUpdateSettings: &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{"email"}},
	}, nil)
	ctx := context.Background()
	c := f.user(t, "ann@example.com", "email_verified", "true")
	if _, err := f.UpdateUserAttributes(ctx, c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("email", "new@example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := findUser(ctx, f.store, f.p, "ann@example.com"); err != nil {
		t.Errorf("original email: %v", err)
	}
	if _, _, err := findUser(ctx, f.store, f.p, "new@example.com"); err == nil {
		t.Error("the unverified new email already finds the user")
	}
	// A resent code goes to the new address too.
	out, err := f.GetUserAttributeVerificationCode(ctx, c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")})
	if err != nil {
		t.Fatal(err)
	}
	if got := cognito.Deref(out.CodeDeliveryDetails.Destination); got != "n***@e***" {
		t.Errorf("resent code went to %q", got)
	}
	if _, err := f.VerifyUserAttribute(ctx, c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("email"), Code: cognito.Ptr(f.lastCode(t, "new@example.com"))}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := findUser(ctx, f.store, f.p, "new@example.com"); err != nil {
		t.Errorf("new email after verification: %v", err)
	}
	if _, _, err := findUser(ctx, f.store, f.p, "ann@example.com"); err == nil {
		t.Error("the original email still finds the user after the new one is verified")
	}
}

func TestVerifyUserAttributeCodes(t *testing.T) {
	cases := []struct {
		name string
		// run submits codes (right is the code sent) and returns the last
		// error.
		run       func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error
		code, msg string
		verified  bool
	}{
		{"the right code", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			return ssVerify(f, c, right)
		}, "", "", true},
		{"a wrong code", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			return ssVerify(f, c, wrongCode(right))
		}, cognito.CodeCodeMismatchException, "Invalid verification code provided, please try again.", false},
		{"the right code after four wrong ones", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			for range 4 {
				_ = ssVerify(f, c, wrongCode(right))
			}
			return ssVerify(f, c, right)
		}, "", "", true},
		{"the right code after five wrong ones", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			for range maxCodeFailures {
				_ = ssVerify(f, c, wrongCode(right))
			}
			return ssVerify(f, c, right)
		}, cognito.CodeLimitExceededException, "Attempt limit exceeded, please try after some time.", false},
		{"the right code a second time", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			if err := ssVerify(f, c, right); err != nil {
				return err
			}
			return ssVerify(f, c, right)
		}, cognito.CodeExpiredCodeException, "Invalid code provided, please request a code again.", true},
		{"the right code after 24 hours", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			f.clock.advance(24 * time.Hour)
			return ssVerify(f, c, right)
		}, cognito.CodeExpiredCodeException, "Invalid code provided, please request a code again.", false},
		{"the first code after a second was sent", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			if _, err := f.GetUserAttributeVerificationCode(context.Background(), c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")}); err != nil {
				return err
			}
			if f.lastCode(t, "ann@example.com") == right {
				return nil // the same code drawn twice: nothing to test
			}
			return ssVerify(f, c, right)
		}, cognito.CodeCodeMismatchException, "Invalid verification code provided, please try again.", false},
		{"a code for phone_number, none sent", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			_, err := f.VerifyUserAttribute(context.Background(), c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("phone_number"), Code: cognito.Ptr(right)})
			return err
		}, cognito.CodeExpiredCodeException, "Invalid code provided, please request a code again.", false},
		{"an attribute that is not verifiable", func(t *testing.T, f *ssFixture, c cognito.Caller, right string) error {
			_, err := f.VerifyUserAttribute(context.Background(), c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("name"), Code: cognito.Ptr(right)})
			return err
		}, cognito.CodeInvalidParameterException, "Invalid attribute name. Only phone_number and email can be verified.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
			c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "false")
			out, err := f.GetUserAttributeVerificationCode(context.Background(), c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")})
			if err != nil {
				t.Fatal(err)
			}
			want := &idp.CodeDeliveryDetailsType{Destination: cognito.Ptr("a***@e***"), DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeEmail), AttributeName: cognito.Ptr("email")}
			if diff := cmp.Diff(want, out.CodeDeliveryDetails); diff != "" {
				t.Errorf("CodeDeliveryDetails (-want +got):\n%s", diff)
			}
			err = tc.run(t, f, c, f.lastCode(t, "ann@example.com"))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("error = %v, want none", err)
				}
			} else {
				wantError(t, err, tc.code, tc.msg)
			}
			if got := f.getAttrs(t, c)["email_verified"] == "true"; got != tc.verified {
				t.Errorf("email_verified = %v, want %v", got, tc.verified)
			}
		})
	}
}

func ssVerify(f *ssFixture, c cognito.Caller, code string) error {
	_, err := f.VerifyUserAttribute(context.Background(), c, &idp.VerifyUserAttributeRequest{AttributeName: cognito.Ptr("email"), Code: cognito.Ptr(code)})
	return err
}

// wrongCode returns a six-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestVerifyUserAttributeClaimsAlias(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{
		AliasAttributes:        []idp.AliasAttributeType{"email"},
		AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"},
	}, nil)
	ctx := context.Background()
	f.user(t, "ann", "email", "shared@example.com", "email_verified", "true")
	bob := f.user(t, "bob", "email", "bob@example.com", "email_verified", "true")
	// An unverified alias claims nothing, so the update succeeds.
	if _, err := f.UpdateUserAttributes(ctx, bob, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("email", "shared@example.com")}); err != nil {
		t.Fatal(err)
	}
	err := ssVerify(f, bob, f.lastCode(t, "shared@example.com"))
	wantError(t, err, cognito.CodeAliasExistsException, "An account with the given email already exists.")
	if got := f.getAttrs(t, bob)["email_verified"]; got != "false" {
		t.Errorf("bob's email_verified = %q after the refused verification", got)
	}
	if _, u, err := findUser(ctx, f.store, f.p, "shared@example.com"); err != nil || u.Username != "ann" {
		t.Errorf("the alias finds %v (%v), want ann", u, err)
	}
}

func TestGetUserAttributeVerificationCode(t *testing.T) {
	cases := []struct {
		name      string
		attr      string
		user      []string
		want      *idp.CodeDeliveryDetailsType
		code, msg string
	}{
		{"email", "email", []string{"email", "ann@example.com"},
			&idp.CodeDeliveryDetailsType{Destination: cognito.Ptr("a***@e***"), DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeEmail), AttributeName: cognito.Ptr("email")}, "", ""},
		{"phone number", "phone_number", []string{"phone_number", "+15555550123"},
			&idp.CodeDeliveryDetailsType{Destination: cognito.Ptr("+*******0123"), DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms), AttributeName: cognito.Ptr("phone_number")}, "", ""},
		{"no email", "email", []string{"phone_number", "+15555550123"}, nil,
			cognito.CodeInvalidParameterException, "User does not have a valid registered email address"},
		{"no phone number", "phone_number", []string{"email", "ann@example.com"}, nil,
			cognito.CodeInvalidParameterException, "User does not have a valid registered phone number"},
		{"not verifiable", "name", []string{"email", "ann@example.com"}, nil,
			cognito.CodeInvalidParameterException, "Invalid attribute name. Only phone_number and email can be verified."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
			c := f.user(t, "ann", tc.user...)
			out, err := f.GetUserAttributeVerificationCode(context.Background(), c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr(tc.attr)})
			if tc.code != "" {
				wantError(t, err, tc.code, tc.msg)
				if u := f.record(t, f.p, "ann"); u.Codes != nil {
					t.Errorf("codes recorded: %+v", u.Codes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.CodeDeliveryDetails); diff != "" {
				t.Errorf("CodeDeliveryDetails (-want +got):\n%s", diff)
			}
			to := tc.user[1]
			msgs := f.outbox.Messages(to)
			if len(msgs) != 1 || msgs[0].Channel != string(cognito.Deref(tc.want.DeliveryMedium)) {
				t.Fatalf("messages to %s: %+v", to, msgs)
			}
			if u := f.record(t, f.p, "ann"); len(u.Codes) != 1 || u.Codes[0].Hash == f.lastCode(t, to) {
				t.Errorf("stored codes %+v, want one, hashed", u.Codes)
			}
		})
	}
}

func TestDeleteUserAttributes(t *testing.T) {
	pool := &idp.CreateUserPoolRequest{
		Schema: []idp.SchemaAttributeType{
			{Name: cognito.Ptr("name"), AttributeDataType: cognito.Ptr(idp.AttributeDataTypeString), Mutable: cognito.Ptr(true), Required: cognito.Ptr(true)},
		},
		AutoVerifiedAttributes:      []idp.VerifiedAttributeType{"email"},
		UserAttributeUpdateSettings: &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{"email"}},
	}
	cases := []struct {
		name      string
		write     []string
		names     []string
		code, msg string
		left      map[string]string
	}{
		{"email, with its flag, code and pending value", nil, []string{"email"}, "", "",
			map[string]string{"name": "Ann", "locale": "en"}},
		{"a required attribute", nil, []string{"name"},
			cognito.CodeInvalidParameterException, "Invalid user attributes: name: Required attribute cannot be deleted.", nil},
		{"an attribute the schema lacks", nil, []string{"custom:nope"},
			cognito.CodeInvalidParameterException, "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.\n", nil},
		{"an attribute the client may not write", []string{"name"}, []string{"locale"},
			cognito.CodeNotAuthorizedException, "A client attempted to write unauthorized attribute", nil},
		{"a verified flag", nil, []string{"email_verified"},
			cognito.CodeNotAuthorizedException, "A client attempted to write unauthorized attribute", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, pool, &idp.CreateUserPoolClientRequest{WriteAttributes: tc.write})
			ctx := context.Background()
			c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "true", "name", "Ann", "locale", "en")
			if tc.code == "" {
				// Leave a pending value and a code to be deleted with it.
				if _, err := f.UpdateUserAttributes(ctx, c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("email", "new@example.com")}); err != nil {
					t.Fatal(err)
				}
			}
			before := f.record(t, f.p, "ann")
			_, err := f.DeleteUserAttributes(ctx, c, &idp.DeleteUserAttributesRequest{UserAttributeNames: tc.names})
			if tc.code != "" {
				wantError(t, err, tc.code, tc.msg)
				if diff := cmp.Diff(before, f.record(t, f.p, "ann")); diff != "" {
					t.Errorf("user changed (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.left, withoutSub(f.getAttrs(t, c))); diff != "" {
				t.Errorf("attributes left (-want +got):\n%s", diff)
			}
			if u := f.record(t, f.p, "ann"); u.PendingAttributes != nil || u.Codes != nil {
				t.Errorf("pending %v and codes %v left", u.PendingAttributes, u.Codes)
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
	ctx := context.Background()
	c := f.user(t, "ann", "email", "ann@example.com")
	f.user(t, "bob")
	if _, err := f.CreateGroup(ctx, utCaller, &idp.CreateGroupRequest{UserPoolId: f.p.Id, GroupName: cognito.Ptr("g")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "bob"} {
		if _, err := f.AdminAddUserToGroup(ctx, utCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: f.p.Id, Username: cognito.Ptr(name), GroupName: cognito.Ptr("g")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.DeleteUser(ctx, c, &idp.DeleteUserRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.AdminGetUser(ctx, utCaller, &idp.AdminGetUserRequest{UserPoolId: f.p.Id, Username: cognito.Ptr("ann")})
	wantError(t, err, cognito.CodeUserNotFoundException, "User does not exist.")
	out, err := f.ListUsersInGroup(ctx, utCaller, &idp.ListUsersInGroupRequest{UserPoolId: f.p.Id, GroupName: cognito.Ptr("g")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bob"}, luUserNames(out.Users)); diff != "" {
		t.Errorf("group members (-want +got):\n%s", diff)
	}
	// The same token now finds no user.
	_, err = f.DeleteUser(ctx, c, &idp.DeleteUserRequest{})
	wantError(t, err, cognito.CodeUserNotFoundException, "User does not exist.")
}

func TestChangePassword(t *testing.T) {
	history := &idp.CreateUserPoolRequest{Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{
		MinimumLength: cognito.Ptr(int32(8)), RequireNumbers: cognito.Ptr(true), PasswordHistorySize: cognito.Ptr(int32(2)),
	}}}
	cases := []struct {
		name           string
		pool           *idp.CreateUserPoolRequest
		prev, proposed *string
		code, msg      string
	}{
		{"the right previous password", history, cognito.Ptr(ssPassword), cognito.Ptr("Another1!"), "", ""},
		{"a wrong previous password", history, cognito.Ptr("Wrong0ne!"), cognito.Ptr("Another1!"),
			cognito.CodeNotAuthorizedException, "Incorrect username or password."},
		{"no previous password", history, nil, cognito.Ptr("Another1!"),
			cognito.CodeNotAuthorizedException, "Incorrect username or password."},
		{"a proposed password the policy refuses", history, cognito.Ptr(ssPassword), cognito.Ptr("no-digits"),
			cognito.CodeInvalidPasswordException, "Password did not conform with policy: Password must have numeric characters"},
		{"the current password again, with history", history, cognito.Ptr(ssPassword), cognito.Ptr(ssPassword),
			cognito.CodePasswordHistoryPolicyViolationException, "The password history policy was violated."},
		{"the current password again, without history", &idp.CreateUserPoolRequest{}, cognito.Ptr(ssPassword), cognito.Ptr(ssPassword), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, tc.pool, nil)
			c := f.user(t, "ann")
			before := f.record(t, f.p, "ann")
			f.clock.advance(time.Minute)
			_, err := f.ChangePassword(context.Background(), c, &idp.ChangePasswordRequest{PreviousPassword: tc.prev, ProposedPassword: tc.proposed})
			after := f.record(t, f.p, "ann")
			if tc.code != "" {
				wantError(t, err, tc.code, tc.msg)
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("user changed (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !verifies(after.PasswordHash, *tc.proposed) || after.PasswordHash == before.PasswordHash {
				t.Error("the stored hash is not a new hash of the proposed password")
			}
			if after.PasswordSetAt == nil || !after.PasswordSetAt.Equal(f.clock.now()) {
				t.Errorf("PasswordSetAt = %v, want %v", after.PasswordSetAt, f.clock.now())
			}
			if after.Status != idp.UserStatusTypeConfirmed {
				t.Errorf("status = %s", after.Status)
			}
		})
	}
}

func TestSetUserSettings(t *testing.T) {
	sms := idp.MFAOptionType{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms), AttributeName: cognito.Ptr("phone_number")}
	cases := []struct {
		name      string
		in        []idp.MFAOptionType
		want      []idp.MFAOptionType
		code, msg string
	}{
		{"SMS to phone_number", []idp.MFAOptionType{sms}, []idp.MFAOptionType{sms}, "", ""},
		{"SMS without an attribute name", []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms)}}, []idp.MFAOptionType{sms}, "", ""},
		{"none clears them", nil, nil, "", ""},
		{"email", []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeEmail), AttributeName: cognito.Ptr("email")}}, []idp.MFAOptionType{sms},
			cognito.CodeInvalidParameterException, "Only SMS is supported as the delivery medium of MFAOptions."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
			ctx := context.Background()
			c := f.user(t, "ann", "phone_number", "+15555550123")
			if _, err := f.SetUserSettings(ctx, c, &idp.SetUserSettingsRequest{MFAOptions: []idp.MFAOptionType{sms}}); err != nil {
				t.Fatal(err)
			}
			_, err := f.SetUserSettings(ctx, c, &idp.SetUserSettingsRequest{MFAOptions: tc.in})
			if tc.code != "" {
				wantError(t, err, tc.code, tc.msg)
			} else if err != nil {
				t.Fatal(err)
			}
			out, err := f.GetUser(ctx, c, &idp.GetUserRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.MFAOptions); diff != "" {
				t.Errorf("MFAOptions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifyUserAttributeConcurrentGuesses checks that wrong codes sent at
// once cannot get past the code's attempt limit: each failure is counted in
// the transaction that checks the code.
func TestVerifyUserAttributeConcurrentGuesses(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
	c := f.user(t, "ann", "email", "ann@example.com")
	if _, err := f.GetUserAttributeVerificationCode(context.Background(), c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")}); err != nil {
		t.Fatal(err)
	}
	right := f.lastCode(t, "ann@example.com")
	const guesses = 30
	errs := make(chan error, guesses)
	for range guesses {
		go func() { errs <- ssVerify(f, c, wrongCode(right)) }()
	}
	mismatches := 0
	for range guesses {
		var ce *cognito.Error
		switch err := <-errs; {
		case errors.As(err, &ce) && ce.Code == cognito.CodeCodeMismatchException:
			mismatches++
		case errors.As(err, &ce) && (ce.Code == cognito.CodeLimitExceededException || ce.Code == cognito.CodeConcurrentModificationException):
		default:
			t.Errorf("guess: %v", err)
		}
	}
	if mismatches > maxCodeFailures {
		t.Errorf("%d guesses were checked against the code, want at most %d", mismatches, maxCodeFailures)
	}
	wantError(t, ssVerify(f, c, right), cognito.CodeLimitExceededException, "Attempt limit exceeded, please try after some time.")
}

// TestWithdrawnEmailCodeVerifiesNothing checks that a code sent to a new
// email that the user then gives up (asking for the current value, or
// another value, instead) verifies neither.
func TestWithdrawnEmailCodeVerifiesNothing(t *testing.T) {
	cases := []struct {
		name string
		then string // the email asked for after new@example.com
	}{
		{"back to the current value", "ann@example.com"},
		{"on to another value", "other@example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSSFixture(t, &idp.CreateUserPoolRequest{
				AutoVerifiedAttributes:      []idp.VerifiedAttributeType{"email"},
				UserAttributeUpdateSettings: &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{"email"}},
			}, nil)
			ctx := context.Background()
			c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "false")
			for _, v := range []string{"new@example.com", tc.then} {
				if _, err := f.UpdateUserAttributes(ctx, c, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("email", v)}); err != nil {
					t.Fatal(err)
				}
			}
			err := ssVerify(f, c, f.lastCode(t, "new@example.com"))
			var ce *cognito.Error
			if !errors.As(err, &ce) || (ce.Code != cognito.CodeCodeMismatchException && ce.Code != cognito.CodeExpiredCodeException) {
				t.Fatalf("error = %v, want the code refused", err)
			}
			if got := f.getAttrs(t, c); got["email"] != "ann@example.com" || got["email_verified"] != "false" {
				t.Errorf("email %q verified %q, want ann@example.com unverified", got["email"], got["email_verified"])
			}
		})
	}
}

// TestVerifyUserAttributeAfterAdminChange checks that a code verifies only
// the value it went to: an administrator who changes the email in between
// leaves the code verifying nothing.
func TestVerifyUserAttributeAfterAdminChange(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
	ctx := context.Background()
	c := f.user(t, "ann", "email", "ann@example.com", "email_verified", "false")
	if _, err := f.GetUserAttributeVerificationCode(ctx, c, &idp.GetUserAttributeVerificationCodeRequest{AttributeName: cognito.Ptr("email")}); err != nil {
		t.Fatal(err)
	}
	code := f.lastCode(t, "ann@example.com")
	if _, err := f.AdminUpdateUserAttributes(ctx, utCaller, &idp.AdminUpdateUserAttributesRequest{
		UserPoolId: f.p.Id, Username: cognito.Ptr("ann"), UserAttributes: attrs("email", "someone@example.com"),
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, ssVerify(f, c, code), cognito.CodeExpiredCodeException, "Invalid code provided, please request a code again.")
	if got := f.getAttrs(t, c); got["email"] != "someone@example.com" || got["email_verified"] == "true" {
		t.Errorf("email %q verified %q", got["email"], got["email_verified"])
	}
	// The code is used up.
	wantError(t, ssVerify(f, c, code), cognito.CodeExpiredCodeException, "Invalid code provided, please request a code again.")
}
