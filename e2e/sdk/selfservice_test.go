package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// The self-service operations are unsigned: the SDK sends them with the
// user's access token in the body, which is all that authorizes them.

// adminPasswordFlows lets a client sign users in with
// ADMIN_USER_PASSWORD_AUTH, how these tests get access tokens.
var adminPasswordFlows = []types.ExplicitAuthFlowsType{
	types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
}

// confirmedUser creates a confirmed user with a permanent password.
func (s *selfService) confirmedUser(t *testing.T, username, password string, kv ...string) {
	t.Helper()
	ctx := context.Background()
	s.e.adminCreate(t, &cip.AdminCreateUserInput{
		UserPoolId: s.pool, Username: aws.String(username), UserAttributes: sdkAttrs(kv...),
		MessageAction: types.MessageActionTypeSuppress,
	})
	if _, err := s.e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: s.pool, Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// adminSignIn signs a user in with ADMIN_USER_PASSWORD_AUTH.
func (s *selfService) adminSignIn(username, password string) (*types.AuthenticationResultType, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": password}
	if h := s.secretHash(username); h != nil {
		params["SECRET_HASH"] = *h
	}
	out, err := s.e.c.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: s.pool, ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: params,
	}, quickRetries)
	if err != nil {
		return nil, err
	}
	return out.AuthenticationResult, nil
}

// accessToken signs a user in and returns its access token.
func (s *selfService) accessToken(t testing.TB, username, password string) *string {
	t.Helper()
	res, err := s.adminSignIn(username, password)
	if err != nil {
		t.Fatalf("AdminInitiateAuth %s: %v", username, err)
	}
	if res == nil || res.AccessToken == nil {
		t.Fatalf("AdminInitiateAuth %s: no access token", username)
	}
	return res.AccessToken
}

func (s *selfService) getUserAttrs(t *testing.T, token *string) map[string]string {
	t.Helper()
	out, err := s.e.c.GetUser(context.Background(), &cip.GetUserInput{AccessToken: token}, quickRetries)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	m := attrMap(out.UserAttributes)
	delete(m, "sub")
	return m
}

func TestSelfServiceAttributes(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			UserAttributeUpdateSettings: &types.UserAttributeUpdateSettingsType{
				AttributesRequireVerificationBeforeUpdate: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			},
		}, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: adminPasswordFlows,
			ReadAttributes:    []string{"email", "email_verified", "name", "locale"},
			WriteAttributes:   []string{"email", "name", "locale"},
		})
		s.confirmedUser(t, "alice", "Passw0rd!", "email", "alice@example.com", "email_verified", "true", "name", "Alice", "nickname", "Al", "locale", "en")
		token := s.accessToken(t, "alice", "Passw0rd!")

		// GetUser: the username, sub first, and only the readable attributes.
		got, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: token}, quickRetries)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.Username) != "alice" || aws.ToString(got.UserAttributes[0].Name) != "sub" || !uuidPattern.MatchString(aws.ToString(got.UserAttributes[0].Value)) {
			t.Errorf("GetUser = %s, %+v", aws.ToString(got.Username), got.UserAttributes)
		}
		want := map[string]string{"email": "alice@example.com", "email_verified": "true", "name": "Alice", "locale": "en"}
		if diff := cmp.Diff(want, s.getUserAttrs(t, token)); diff != "" {
			t.Errorf("GetUser attributes (-want +got):\n%s", diff)
		}

		// An attribute the client may not write is refused, whole.
		_, err = e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: sdkAttrs("name", "A", "nickname", "x")}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "A client attempted to write unauthorized attribute")
		_, err = e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: sdkAttrs("email_verified", "true")}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "A client attempted to write unauthorized attribute")

		// A new email waits for verification; the original stays.
		up, err := e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: sdkAttrs("email", "alice@example.org", "name", "Alice B")}, quickRetries)
		if err != nil {
			t.Fatal(err)
		}
		if len(up.CodeDeliveryDetailsList) != 1 || deliveryOf(&up.CodeDeliveryDetailsList[0]) != [3]string{"a***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetailsList = %+v", up.CodeDeliveryDetailsList)
		}
		want["name"] = "Alice B"
		if diff := cmp.Diff(want, s.getUserAttrs(t, token)); diff != "" {
			t.Errorf("while the new email waits (-want +got):\n%s", diff)
		}
		// The code went to the new address, nothing to the original one.
		if n := len(e.messagesTo(t, "alice@example.com")); n != 0 {
			t.Errorf("%d messages to the original address", n)
		}
		code, m := e.lastCode(t, "alice@example.org")
		if m.Purpose != "verification" {
			t.Errorf("message purpose %q", m.Purpose)
		}
		_, err = e.c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: aws.String(otherCode(code))}, quickRetries)
		wantTyped[*types.CodeMismatchException](t, err, "Invalid verification code provided, please try again.")
		if _, err := e.c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: aws.String(code)}, quickRetries); err != nil {
			t.Fatal(err)
		}
		want["email"] = "alice@example.org"
		if diff := cmp.Diff(want, s.getUserAttrs(t, token)); diff != "" {
			t.Errorf("after verification (-want +got):\n%s", diff)
		}
		_, err = e.c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: aws.String(code)}, quickRetries)
		wantTyped[*types.ExpiredCodeException](t, err, "Invalid code provided, please request a code again.")

		// A code sent on request, for an attribute that can be verified.
		_, err = e.c.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: token, AttributeName: aws.String("name")}, quickRetries)
		wantTyped[*types.InvalidParameterException](t, err, "Invalid attribute name. Only phone_number and email can be verified.")
		vc, err := e.c.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: token, AttributeName: aws.String("email")}, quickRetries)
		if err != nil {
			t.Fatal(err)
		}
		if deliveryOf(vc.CodeDeliveryDetails) != [3]string{"a***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetails = %v", deliveryOf(vc.CodeDeliveryDetails))
		}

		// DeleteUserAttributes, with the client's write permissions.
		_, err = e.c.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"nickname"}}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "A client attempted to write unauthorized attribute")
		if _, err := e.c.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"locale"}}, quickRetries); err != nil {
			t.Fatal(err)
		}
		delete(want, "locale")
		if diff := cmp.Diff(want, s.getUserAttrs(t, token)); diff != "" {
			t.Errorf("after DeleteUserAttributes (-want +got):\n%s", diff)
		}
		admin := attrMap(e.getUser(t, s.pool, "alice").UserAttributes)
		if admin["nickname"] != "Al" || admin["email"] != "alice@example.org" {
			t.Errorf("AdminGetUser attributes %v", admin)
		}
	})
}

func TestSelfServicePasswordSettingsAndDeletion(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: adminPasswordFlows, GenerateSecret: true})
		s.confirmedUser(t, "bob", "Passw0rd!", "phone_number", "+15555550123")
		s.confirmedUser(t, "carol", "Passw0rd!")
		token := s.accessToken(t, "bob", "Passw0rd!")

		// ChangePassword.
		_, err := e.c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: token, PreviousPassword: aws.String("Wr0ng-one"), ProposedPassword: aws.String("N3w-passw0rd")}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		_, err = e.c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: token, PreviousPassword: aws.String("Passw0rd!"), ProposedPassword: aws.String("short")}, quickRetries)
		wantTyped[*types.InvalidPasswordException](t, err, "")
		if _, err := e.c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: token, PreviousPassword: aws.String("Passw0rd!"), ProposedPassword: aws.String("N3w-passw0rd")}, quickRetries); err != nil {
			t.Fatal(err)
		}
		_, err = s.adminSignIn("bob", "Passw0rd!")
		wantTyped[*types.NotAuthorizedException](t, err, "")
		token = s.accessToken(t, "bob", "N3w-passw0rd")

		// SetUserSettings, seen through GetUser.
		sms := types.MFAOptionType{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: aws.String("phone_number")}
		if _, err := e.c.SetUserSettings(ctx, &cip.SetUserSettingsInput{AccessToken: token, MFAOptions: []types.MFAOptionType{sms}}, quickRetries); err != nil {
			t.Fatal(err)
		}
		got, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: token}, quickRetries)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.MFAOptions) != 1 || got.MFAOptions[0].DeliveryMedium != types.DeliveryMediumTypeSms || aws.ToString(got.MFAOptions[0].AttributeName) != "phone_number" {
			t.Errorf("MFAOptions = %+v", got.MFAOptions)
		}
		_, err = e.c.SetUserSettings(ctx, &cip.SetUserSettingsInput{AccessToken: token, MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeEmail}}}, quickRetries)
		wantTyped[*types.InvalidParameterException](t, err, "")

		// A disabled user's token authorizes nothing.
		carol := s.accessToken(t, "carol", "Passw0rd!")
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("carol")}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: carol}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

		// DeleteUser; the token then finds no user.
		if _, err := e.c.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: token}, quickRetries); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("bob")})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		_, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: token}, quickRetries)
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")

		// A token that is not one is refused.
		_, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String("not.a.token")}, quickRetries)
		wantTyped[*types.NotAuthorizedException](t, err, "")
	})
}
