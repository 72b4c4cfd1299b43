package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// BenchmarkIdentityCredentials is the second step of a Cognito
// application through the AWS SDK against cognate on its defaults: GetId
// and GetCredentialsForIdentity with a user-pool login, the credentials
// minted by cognate's own STS (its AssumeRoleWithWebIdentity in process).
// Its bound is the cryptography it cannot skip: verifying the ID token
// (an RS256 verification), signing the identity's OpenID token (an RS256
// signature) and the STS's verification of it (another). Run it with the
// Bound benchmarks for of-bound:
//
//	COGNATE_TEST_POSTGRES_DSN=... go test ./e2e/sdk -run '^$' -bench 'IdentityCredentials|BoundRS256' -benchtime 3s -count 3
func BenchmarkIdentityCredentials(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			e := serveIdentity(b, migrated(b, openBackend(b, name)), idOptions{ownSTS: true})
			ctx := context.Background()
			app := benchUserPoolApp(b, e)
			ip, err := e.ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("bench"),
				CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: &app.Provider, ClientId: &app.ClientID}}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
				Roles: map[string]string{"authenticated": "arn:aws:iam::" + accountID + ":role/Bench"}}); err != nil {
				b.Fatal(err)
			}
			logins := map[string]string{app.Provider: app.idToken}
			b.ReportAllocs()
			for b.Loop() {
				id, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: ip.IdentityPoolId, Logins: logins})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins}); err != nil {
					b.Fatal(err)
				}
			}
			reportBound(b, "bound", map[string]int{boundRS256Sign: 1, boundRS256Verify: 2})
		})
	}
}

// benchApp is a user pool with an app client and a signed-in user.
type benchApp struct {
	Provider, ClientID, idToken string
}

func benchUserPoolApp(b *testing.B, e *idEnv) benchApp {
	b.Helper()
	ctx := context.Background()
	p, err := e.idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	cl, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p.UserPool.Id, Username: aws.String("ada"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: p.UserPool.Id, Username: aws.String("ada"),
		Password: aws.String("Passw0rd!x"), Permanent: true}); err != nil {
		b.Fatal(err)
	}
	res, err := e.idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: p.UserPool.Id, ClientId: cl.UserPoolClient.ClientId,
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "ada", "PASSWORD": "Passw0rd!x"}})
	if err != nil {
		b.Fatal(err)
	}
	return benchApp{Provider: "cognito-idp.us-east-1.amazonaws.com/" + aws.ToString(p.UserPool.Id),
		ClientID: aws.ToString(cl.UserPoolClient.ClientId), idToken: aws.ToString(res.AuthenticationResult.IdToken)}
}
