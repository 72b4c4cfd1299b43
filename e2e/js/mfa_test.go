package js

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestAmazonCognitoIdentityJSTOTP runs mfa.js: TOTP association and
// verification with an access token, a sign-in answering totpRequired, and
// MFA_SETUP in a pool where MFA is ON.
func TestAmazonCognitoIdentityJSTOTP(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	srv, c := startCognate(t, nil)
	ctx := context.Background()
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
		cl := browserClient(t, c, p.UserPool.Id)
		createUser(t, c, p.UserPool.Id, username, password)
		return aws.ToString(p.UserPool.Id), cl
	}
	pool, client := app("optional", types.UserPoolMfaTypeOptional)
	onPool, onClient := app("on", types.UserPoolMfaTypeOn)

	steps, order := runScript(t, node, srv, "mfa.js", "COGNATE_ENDPOINT="+srv.URL, "POOL_ID="+pool, "CLIENT_ID="+client,
		"ON_POOL_ID="+onPool, "ON_CLIENT_ID="+onClient, "USERNAME="+username, "PASSWORD="+password)
	want := []string{"authenticateUser", "associateSoftwareToken", "verifySoftwareToken", "setUserMfaPreference",
		"authenticateUser(mfa)", "sendMFACode(wrong)", "sendMFACode", "authenticateUser(on)", "verifySoftwareToken(session)", "done"}
	wantSteps(t, order, want)
	checkSteps(t, steps, []stepCheck{
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
	})
}
