package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestBooleanAttributesInAnyCase checks that Boolean attribute values are
// accepted in any letter case, as Cognito accepts "True", by
// AdminCreateUser, AdminUpdateUserAttributes, SignUp and
// UpdateUserAttributes, and are kept, and returned, in lower case; a
// contact verified with "True" is verified (ForgotPassword reaches it).
// An app client may not write email_verified or phone_number_verified, so
// the public operations are checked with a custom Boolean attribute.
func TestBooleanAttributesInAnyCase(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			Schema: []types.SchemaAttributeType{{Name: aws.String("vip"), AttributeDataType: types.AttributeDataTypeBoolean}},
		}, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: adminPasswordFlows,
			ReadAttributes:    []string{"email", "email_verified", "phone_number", "phone_number_verified", "custom:vip"},
			WriteAttributes:   []string{"email", "phone_number", "custom:vip"},
		})
		check := func(step, user string, want map[string]string) {
			t.Helper()
			got := attrMap(e.getUser(t, s.pool, user).UserAttributes)
			for name, v := range want {
				if got[name] != v {
					t.Errorf("%s: %s = %q, want %q", step, name, got[name], v)
				}
			}
		}

		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String("ann"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: sdkAttrs("email", "ann@example.com", "email_verified", "True", "custom:vip", "TRUE")})
		check("AdminCreateUser", "ann", map[string]string{"email_verified": "true", "custom:vip": "true"})

		if _, err := e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: s.pool, Username: aws.String("ann"),
			UserAttributes: sdkAttrs("phone_number", "+12065550123", "phone_number_verified", "tRUE")}); err != nil {
			t.Fatal(err)
		}
		check("AdminUpdateUserAttributes", "ann", map[string]string{"phone_number_verified": "true", "email_verified": "true"})

		// The phone number verified as "tRUE" is verified: the reset code
		// goes there (without AccountRecoverySetting, phone first).
		if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: s.pool, Username: aws.String("ann"), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		d, err := s.forgotPassword("ann")
		if err != nil || deliveryOf(d) != [3]string{"+*******0123", "SMS", "phone_number"} {
			t.Errorf("ForgotPassword: %v %v", deliveryOf(d), err)
		}

		token := s.accessToken(t, "ann", "Perm-Pass1")
		if _, err := e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: token,
			UserAttributes: sdkAttrs("custom:vip", "False")}, quickRetries); err != nil {
			t.Fatal(err)
		}
		check("UpdateUserAttributes", "ann", map[string]string{"custom:vip": "false"})
		if got := s.getUserAttrs(t, token); got["email_verified"] != "true" || got["custom:vip"] != "false" {
			t.Errorf("GetUser: %v", got)
		}

		s.mustSignUp(t, "bob", "Passw0rd!", "email", "bob@example.com", "custom:vip", "True")
		check("SignUp", "bob", map[string]string{"custom:vip": "true"})

		// Other spellings are still refused.
		_, err = e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: s.pool, Username: aws.String("ann"),
			UserAttributes: sdkAttrs("email_verified", "yes")})
		wantTyped[*types.InvalidParameterException](t, err, "user.email_verified: Attribute value must be true or false.\n")
	})
}
