package sdk

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// callerOf calls GetCallerIdentity at the server, signed with creds.
func callerOf(t *testing.T, e *idEnv, creds aws.CredentialsProvider) *sts.GetCallerIdentityOutput {
	t.Helper()
	c := sts.New(sts.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 8})
	who, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return who
}

// TestIdentityCredentialsFromOwnSTS runs the three steps against one
// server: a user signs in, the identity pool gets credentials from
// cognate's own STS, and those credentials sign GetCallerIdentity, which
// names the assumed role. The basic flow's client calls the STS itself.
func TestIdentityCredentialsFromOwnSTS(t *testing.T) {
	identityBackends(t, idOptions{ownSTS: true}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "three-steps")
		app.newUser(t, e, "erin")
		in := poolFor(app, true)
		in.AllowClassicFlow = aws.Bool(true)
		pool := createIdentityPool(t, e, in)
		logins := map[string]string{app.Provider: app.signIn(t, e, "erin")}
		got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: got.IdentityId, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		who := callerOf(t, e, credsOf(res.Credentials))
		if want := "arn:aws:sts::" + accountID + ":assumed-role/Cognito_Auth/CognitoIdentityCredentials"; aws.ToString(who.Arn) != want {
			t.Fatalf("GetCallerIdentity Arn = %s, want %s", aws.ToString(who.Arn), want)
		}
		if aws.ToString(who.Account) != accountID || !strings.HasSuffix(aws.ToString(who.UserId), ":CognitoIdentityCredentials") {
			t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(who.Account), aws.ToString(who.UserId))
		}

		// A guest gets the unauthenticated role.
		guest, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		gres, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: guest.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		if arn := aws.ToString(callerOf(t, e, credsOf(gres.Credentials)).Arn); !strings.Contains(arn, ":assumed-role/Cognito_Unauth/") {
			t.Fatalf("guest caller = %s", arn)
		}

		// The basic flow: the client presents the OpenID token to the STS.
		tok, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: got.IdentityId, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		sc := sts.New(sts.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 8})
		assumed, err := sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(idReaderRole), RoleSessionName: aws.String("basic"), WebIdentityToken: tok.Token,
		})
		if err != nil {
			t.Fatal(err)
		}
		// A guest's token assumes its pool's unauthenticated role, and no
		// other, as a trust policy on amr allows on AWS.
		gtok, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: guest.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(authRole), RoleSessionName: aws.String("guest"), WebIdentityToken: gtok.Token,
		})
		wantAPIError(t, err, "AccessDenied", "")
		if _, err := sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(unauthRole), RoleSessionName: aws.String("guest"), WebIdentityToken: gtok.Token,
		}); err != nil {
			t.Fatal(err)
		}
		c := assumed.Credentials
		who = callerOf(t, e, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
		if want := "arn:aws:sts::" + accountID + ":assumed-role/Readers/basic"; aws.ToString(who.Arn) != want {
			t.Fatalf("basic flow caller = %s, want %s", aws.ToString(who.Arn), want)
		}
	})
}

func credsOf(c *citypes.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken))
}
