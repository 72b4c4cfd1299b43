package sts

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// freePort returns a port nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestIdentityPoolDelegatesToAnotherSTS runs two cognate processes: the
// first serves a user pool and an identity pool with sts.mode endpoint,
// pointing at the second, which stands in for AWS STS and trusts the
// first's identity issuer by its URL. GetCredentialsForIdentity at the
// first gets credentials from the second, which verified the OpenID token
// through the first's discovery document and JWKS; the credentials then
// work at the second.
func TestIdentityPoolDelegatesToAnotherSTS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two cognate processes")
	}
	dir := t.TempDir()
	bin, err := proc.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret, "COGNATE_ACCOUNT_ID=" + accountID}
	stsPort := freePort(t)
	stsURL := "http://127.0.0.1:" + strconv.Itoa(stsPort)
	first, err := proc.Start(bin, append(env, "COGNATE_STS_MODE=endpoint", "COGNATE_STS_ENDPOINT="+stsURL),
		"serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "first"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Stop() })
	cfgPath := filepath.Join(dir, "second.yaml")
	cfg := "sts:\n  trusted_issuers:\n    - issuer: " + first.URL + "/cognito-identity\n      roles: [\"arn:aws:iam::" + accountID + ":role/App*\"]\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := proc.Start(bin, env, "serve", "--config", cfgPath, "--listen", "127.0.0.1:"+strconv.Itoa(stsPort),
		"--data-dir", filepath.Join(dir, "second"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop() })

	ctx := context.Background()
	admin := credentials.NewStaticCredentialsProvider(keyID, secret, "")
	idp := cip.New(cip.Options{BaseEndpoint: aws.String(first.URL), Region: "us-east-1", Credentials: admin, RetryMaxAttempts: 8})
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("delegating")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("lin"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String("lin"),
		Password: aws.String("Correct-Horse-1"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	signIn, err := idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: pool.UserPool.Id, ClientId: client.UserPoolClient.ClientId,
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "lin", "PASSWORD": "Correct-Horse-1"}})
	if err != nil {
		t.Fatal(err)
	}
	provider := "cognito-idp.us-east-1.amazonaws.com/" + aws.ToString(pool.UserPool.Id)
	ids := ci.New(ci.Options{BaseEndpoint: aws.String(first.URL), Region: "us-east-1", Credentials: admin, RetryMaxAttempts: 8})
	ip, err := ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("delegating"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: &provider, ClientId: client.UserPoolClient.ClientId}}})
	if err != nil {
		t.Fatal(err)
	}
	setRole := func(role string) {
		t.Helper()
		if _, err := ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
			Roles: map[string]string{"authenticated": role}}); err != nil {
			t.Fatal(err)
		}
	}
	setRole("arn:aws:iam::" + accountID + ":role/AppUser")

	pub := ci.New(ci.Options{BaseEndpoint: aws.String(first.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 8})
	logins := map[string]string{provider: aws.ToString(signIn.AuthenticationResult.IdToken)}
	id, err := pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: ip.IdentityPoolId, Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	out, err := pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v\nfirst log:\n%s\nsecond log:\n%s", err, first.Stderr.String(), second.Stderr.String())
	}
	c := out.Credentials
	if d := time.Until(aws.ToTime(c.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("credentials expire in %v, want an hour", d)
	}
	minted := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken))
	who, err := awssts.New(awssts.Options{BaseEndpoint: aws.String(second.URL), Region: "us-east-1", Credentials: minted}).
		GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + accountID + ":assumed-role/AppUser/CognitoIdentityCredentials"; aws.ToString(who.Arn) != want {
		t.Errorf("caller at the second cognate %q, want %q", aws.ToString(who.Arn), want)
	}
	// The first cognate's STS did not mint them, and does not know them.
	_, err = awssts.New(awssts.Options{BaseEndpoint: aws.String(first.URL), Region: "us-east-1", Credentials: minted}).
		GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !asAPIError(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("the credentials at the first cognate: %v, want InvalidClientTokenId", err)
	}

	// A role the second cognate does not let the issuer assume is refused
	// there, and the identity pool says so.
	setRole("arn:aws:iam::" + accountID + ":role/Admin")
	_, err = pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	var bad *citypes.InvalidIdentityPoolConfigurationException
	if !errors.As(err, &bad) {
		t.Fatalf("credentials for a role the STS refuses: %v, want InvalidIdentityPoolConfigurationException", err)
	}
}
