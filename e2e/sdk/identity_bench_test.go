package sdk

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// BenchmarkIdentityCredentialsWithBound measures the second step of a Cognito
// application, a signed-in user's GetId and GetCredentialsForIdentity
// through the AWS SDK for Go v2, against a server on SQLite whose identity
// pools get credentials from cognate's own STS (flow). In the same run it
// measures the bound (bound): the cryptography those two calls cannot
// avoid, done in process with the same keys: verifying the ID token's RS256
// signature once for each call, signing the identity's OpenID token, and
// the STS verifying it. docs/performance.md records both.
func BenchmarkIdentityCredentialsWithBound(b *testing.B) {
	ctx := context.Background()
	db := migrated(b, openBackend(b, "sqlite"))
	e := serveIdentity(b, db, idOptions{ownSTS: true})
	p, err := e.idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	cl, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		b.Fatal(err)
	}
	pool, client := *p.UserPool.Id, *cl.UserPoolClient.ClientId
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: aws.String("bench"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: aws.String("bench"), Password: aws.String("Passw0rd!x"), Permanent: true}); err != nil {
		b.Fatal(err)
	}
	auth, err := e.idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &pool, ClientId: &client, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "bench", "PASSWORD": "Passw0rd!x"}})
	if err != nil {
		b.Fatal(err)
	}
	idToken := *auth.AuthenticationResult.IdToken
	provider := "cognito-idp.us-east-1.amazonaws.com/" + pool
	ip, err := e.ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("bench"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(provider), ClientId: &client}}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
		Roles: map[string]string{"authenticated": authRole}}); err != nil {
		b.Fatal(err)
	}
	logins := map[string]string{provider: idToken}

	b.Run("flow", func(b *testing.B) {
		for b.Loop() {
			got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: ip.IdentityPoolId, Logins: logins})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: got.IdentityId, Logins: logins}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bound", func(b *testing.B) {
		tok, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: e.URL, KeyEncryptionKey: seal.DeriveKey(encryptionKey, "token-signing-keys")})
		if err != nil {
			b.Fatal(err)
		}
		claims := map[string]any{"iss": e.URL + "/cognito-identity", "sub": "us-east-1:00000000-0000-4000-8000-000000000000",
			"aud": *ip.IdentityPoolId, "amr": []string{"authenticated", provider}, "iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()}
		for b.Loop() {
			for range 2 {
				if _, err := tok.VerifyIDToken(ctx, idToken, client); err != nil {
					b.Fatal(err)
				}
			}
			signed, err := tok.SignClaims(ctx, tokens.IdentityKeySet, claims)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tok.VerifySigned(ctx, tokens.IdentityKeySet, signed, "invalid"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
