package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// forgeClaim returns token with claim set to value in its payload and its
// signature left as it was.
func forgeClaim(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m[claim] = value
	raw, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
}

// TestIdentityHostile refuses, with Cognito's exception, every way to get
// credentials that are not the caller's.
func TestIdentityHostile(t *testing.T) {
	clock := newTestClock()
	identityBackends(t, idOptions{clock: clock}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "victim")
		other := newUserPoolApp(t, e, "other")
		app.newUser(t, e, "alice")
		app.newUser(t, e, "mallory")
		other.newUser(t, e, "eve")
		unlisted, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &app.PoolID, ClientName: aws.String("unlisted"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			t.Fatal(err)
		}
		unlistedApp := app
		unlistedApp.ClientID = *unlisted.UserPoolClient.ClientId

		in := poolFor(app, true)
		in.DeveloperProviderName = aws.String("login.example.app")
		in.CognitoIdentityProviders[0].ServerSideTokenCheck = aws.Bool(true)
		pool := createIdentityPool(t, e, in)
		if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
			Roles: map[string]string{"authenticated": authRole, "unauthenticated": unauthRole},
			RoleMappings: map[string]citypes.RoleMapping{app.Provider + ":" + app.ClientID: {Type: citypes.RoleMappingTypeToken,
				AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole}}}); err != nil {
			t.Fatal(err)
		}
		aliceToken := app.signIn(t, e, "alice")
		alice, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{app.Provider: aliceToken}})
		if err != nil {
			t.Fatal(err)
		}
		guest, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		malloryID, _, malloryAccess := app.signInTokens(t, e, "mallory")

		type attempt struct {
			name     string
			identity *string
			logins   func() map[string]string
			custom   string
			code     string
			msg      string
		}
		cases := []attempt{
			{name: "token of another pool under this pool's name", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{app.Provider: other.signIn(t, e, "eve")} },
				code:   "NotAuthorizedException", msg: "Invalid login token. Issuer doesn't match providerName"},
			{name: "token of a pool the identity pool does not list", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{other.Provider: other.signIn(t, e, "eve")} },
				code:   "NotAuthorizedException", msg: "Token is not from a supported provider of this identity pool."},
			{name: "token of an app client the identity pool does not list", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{app.Provider: unlistedApp.signIn(t, e, "alice")} },
				code:   "NotAuthorizedException", msg: "Invalid login token. Incorrect token audience."},
			{name: "an access token", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{app.Provider: malloryAccess} },
				code:   "NotAuthorizedException", msg: "Invalid login token. Missing a required claim: aud"},
			{name: "a forged cognito:roles claim asking for a CustomRoleArn", identity: alice.IdentityId,
				logins: func() map[string]string {
					return map[string]string{app.Provider: forgeClaim(t, aliceToken, "cognito:roles", []string{adminRole})}
				},
				custom: adminRole, code: "NotAuthorizedException", msg: "Invalid login token. Couldn't verify signed token."},
			{name: "a CustomRoleArn the token does not grant", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{app.Provider: aliceToken} },
				custom: adminRole, code: "NotAuthorizedException", msg: "The CustomRoleArn is not one of the roles of this login."},
			{name: "someone else's identity ID", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{app.Provider: malloryID} },
				code:   "NotAuthorizedException", msg: "Logins don't match. Please include at least one valid login for this identity or identity pool."},
			{name: "someone else's identity ID without logins", identity: alice.IdentityId,
				logins: func() map[string]string { return nil },
				code:   "NotAuthorizedException", msg: "Unauthenticated access is not supported for this identity."},
			{name: "an unauthenticated identity asking for the authenticated role", identity: guest.IdentityId,
				logins: func() map[string]string { return nil }, custom: authRole,
				code: "NotAuthorizedException", msg: "Unauthenticated identities cannot choose a role."},
			{name: "the developer provider asserted by a client", identity: alice.IdentityId,
				logins: func() map[string]string { return map[string]string{"login.example.app": "alice"} },
				code:   "NotAuthorizedException", msg: "Token is not from a supported provider of this identity pool."},
			{name: "an identity that does not exist", identity: aws.String("us-east-1:00000000-0000-4000-8000-000000000000"),
				logins: func() map[string]string { return nil },
				code:   "ResourceNotFoundException", msg: "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := &ci.GetCredentialsForIdentityInput{IdentityId: tc.identity, Logins: tc.logins()}
				if tc.custom != "" {
					in.CustomRoleArn = aws.String(tc.custom)
				}
				_, err := e.pub.GetCredentialsForIdentity(ctx, in)
				wantAPIError(t, err, tc.code, tc.msg)
			})
		}

		t.Run("a revoked token, with ServerSideTokenCheck", func(t *testing.T) {
			id, refresh, _ := app.signInTokens(t, e, "alice")
			logins := map[string]string{app.Provider: id}
			if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId, Logins: logins}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.idp.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &app.ClientID, Token: &refresh}); err != nil {
				t.Fatal(err)
			}
			_, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId, Logins: logins})
			wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. Token has been revoked.")
		})

		t.Run("an expired token", func(t *testing.T) {
			logins := map[string]string{app.Provider: app.signIn(t, e, "alice")}
			clock.advance(2 * time.Hour)
			_, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId, Logins: logins})
			wantAPIError(t, err, "NotAuthorizedException", "")
			if !strings.HasPrefix(errMessage(err), "Invalid login token. Token expired: ") {
				t.Fatalf("message = %q", errMessage(err))
			}
		})

		t.Run("a deleted user's logins are gone", func(t *testing.T) {
			token := app.signIn(t, e, "mallory")
			logins := map[string]string{app.Provider: token}
			m, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &app.PoolID, Username: aws.String("mallory")}); err != nil {
				t.Fatal(err)
			}
			d, err := e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: m.IdentityId})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Logins) != 0 {
				t.Fatalf("logins of a deleted user's identity = %v", d.Logins)
			}
			_, err = e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: m.IdentityId, Logins: logins})
			wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. The user no longer exists.")
			_, err = e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
			wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. The user no longer exists.")
		})

		t.Run("a deleted user pool's logins are gone", func(t *testing.T) {
			token := app.signIn(t, e, "alice")
			if _, err := e.idp.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: &app.PoolID}); err != nil {
				t.Fatal(err)
			}
			d, err := e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: alice.IdentityId})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Logins) != 0 {
				t.Fatalf("logins after DeleteUserPool = %v", d.Logins)
			}
			_, err = e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId,
				Logins: map[string]string{app.Provider: token}})
			wantAPIError(t, err, "NotAuthorizedException", "")
		})
	})
}

func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
