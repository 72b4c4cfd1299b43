package js

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// TestAmazonCognitoIdentityJSTOTP runs mfa.js: TOTP association and
// verification with an access token, a sign-in answering totpRequired, and
// MFA_SETUP in a pool where MFA is ON.
func TestAmazonCognitoIdentityJSTOTP(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	ctx := context.Background()
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
	const username, password = "grace", "Correct-Horse-1"
	app := func(name string, mode types.UserPoolMfaType) (pool, client string) {
		p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: p.UserPool.Id, MfaConfiguration: mode,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: p.UserPool.Id, ClientName: aws.String("browser"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p.UserPool.Id, Username: aws.String(username),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: p.UserPool.Id, Username: aws.String(username),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(p.UserPool.Id), aws.ToString(cl.UserPoolClient.ClientId)
	}
	pool, client := app("optional", types.UserPoolMfaTypeOptional)
	onPool, onClient := app("on", types.UserPoolMfaTypeOn)

	steps, order := runScript(t, node, srv, "mfa.js", "COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+pool, "CLIENT_ID="+client,
		"ON_POOL_ID="+onPool, "ON_CLIENT_ID="+onClient, "USERNAME="+username, "PASSWORD="+password)
	want := []string{"authenticateUser", "associateSoftwareToken", "verifySoftwareToken", "setUserMfaPreference",
		"authenticateUser(mfa)", "sendMFACode(wrong)", "sendMFACode", "authenticateUser(on)", "verifySoftwareToken(session)", "done"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("steps = %v, want %v", order, want)
	}
	checks := []struct {
		step, field string
		want        any
	}{
		{"associateSoftwareToken", "secretLength", float64(52)},
		{"verifySoftwareToken", "status", "SUCCESS"},
		{"setUserMfaPreference", "result", "SUCCESS"},
		{"authenticateUser(mfa)", "name", "SOFTWARE_TOKEN_MFA"},
		{"sendMFACode(wrong)", "error", "CodeMismatchException"},
		{"sendMFACode", "tokenUse", "access"},
		{"sendMFACode", "sameSub", true},
		{"authenticateUser(on)", "name", "MFA_SETUP"},
		{"authenticateUser(on)", "canSetup", `["SOFTWARE_TOKEN_MFA"]`},
		{"verifySoftwareToken(session)", "tokenUse", "access"},
	}
	for _, ch := range checks {
		if got := steps[ch.step][ch.field]; got != ch.want {
			t.Errorf("%s.%s = %v, want %v", ch.step, ch.field, got, ch.want)
		}
	}
}
