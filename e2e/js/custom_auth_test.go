package js

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
	"github.com/cognate-dev/cognate/e2e/lambdafn/rie"
)

// TestAmazonCognitoIdentityJSCustomAuth runs custom_auth.js against a
// cognate whose pool's custom-authentication functions run under AWS's
// Lambda Runtime Interface Emulator: initiateAuth with the customChallenge
// callback (a wrong answer, then the right one), the SRP-then-custom
// variant, and that variant with a wrong password, which no custom
// challenge follows; then a user UserMigration created at a
// USER_PASSWORD_AUTH sign-in signs in with SRP. The histories
// DefineAuthChallenge received are read back from the function's record.
func TestAmazonCognitoIdentityJSCustomAuth(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	record := filepath.Join(t.TempDir(), "events.jsonl")
	lambdaURL := rie.Start(t, fn.RecordEnv+"="+record)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:"
	config := filepath.Join(t.TempDir(), "cognate.yaml")
	if err := os.WriteFile(config, []byte("triggers:\n  routes:\n    - arn: \""+arn+"*\"\n      endpoint: "+lambdaURL+
		"\n      function_name: "+rie.FunctionName+"\n      region: us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, c := startCognate(t, []string{"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=test-secret"}, "--config", config)
	ctx := context.Background()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("custom"),
		LambdaConfig: &types.LambdaConfigType{
			DefineAuthChallenge: aws.String(arn + "define"), CreateAuthChallenge: aws.String(arn + "create"),
			VerifyAuthChallengeResponse: aws.String(arn + "verify"), UserMigration: aws.String(arn + "migrate"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("browser"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	const username, password = "hedy", "Correct-Horse-1"
	created, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String(username),
		MessageAction: types.MessageActionTypeSuppress})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String(username),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	var sub string
	for _, a := range created.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}

	// mabel is migrated by a USER_PASSWORD_AUTH sign-in; the script signs
	// her in again with SRP.
	migrated, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: client.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "mabel", "PASSWORD": fn.LegacyPassword},
	})
	if err != nil || migrated.AuthenticationResult == nil {
		t.Fatalf("migrating sign-in: %+v, %v", migrated, err)
	}

	steps, order := runScript(t, node, srv, "custom_auth.js",
		"COGNATE_ENDPOINT="+srv.URL,
		"POOL_ID="+aws.ToString(pool.UserPool.Id),
		"CLIENT_ID="+aws.ToString(client.UserPoolClient.ClientId),
		"USERNAME="+username, "PASSWORD="+password, "ANSWER="+fn.Answer,
		"MIGRATED_USER=mabel", "MIGRATED_PASSWORD="+fn.LegacyPassword)
	want := []string{"initiateAuth", "authenticateUser(SRP then custom)", "authenticateUser(wrong password)",
		"authenticateUser(migrated user, SRP)", "done"}
	wantSteps(t, order, want)
	for _, name := range want[:2] {
		s := steps[name]
		if s["tokenUse"] != "access" || s["sub"] != sub || s["user"] != username {
			t.Errorf("%s: %v", name, s)
		}
	}
	if s := steps["authenticateUser(migrated user, SRP)"]; s["tokenUse"] != "access" || s["user"] != "mabel" {
		t.Errorf("migrated user's SRP sign-in: %v", s)
	}
	challenge := func(round string) map[string]any {
		return map[string]any{"question": "What opens the door?", "round": round, "USERNAME": username}
	}
	if d := cmp.Diff([]any{challenge("0"), challenge("1")}, steps["initiateAuth"]["challenges"]); d != "" {
		t.Errorf("initiateAuth's challenges (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{challenge("2")}, steps["authenticateUser(SRP then custom)"]["challenges"]); d != "" {
		t.Errorf("SRP then custom's challenges (-want +got):\n%s", d)
	}
	if got := steps["authenticateUser(wrong password)"]; got["error"] != "NotAuthorizedException: Incorrect username or password." || got["challenges"] != 0.0 {
		t.Errorf("wrong password: %v", got)
	}

	// The histories, in the order DefineAuthChallenge received them.
	type round struct {
		Name   string
		Result bool
		Meta   string
	}
	var histories [][]round
	f, err := os.Open(record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev events.CognitoEventUserPoolsDefineAuthChallenge
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.TriggerSource != "DefineAuthChallenge_Authentication" {
			continue
		}
		h := []round{}
		for _, r := range ev.Request.Session {
			h = append(h, round{r.ChallengeName, r.ChallengeResult, r.ChallengeMetadata})
		}
		histories = append(histories, h)
	}
	srpA, pv := round{"SRP_A", true, ""}, round{"PASSWORD_VERIFIER", true, ""}
	wantHist := [][]round{
		{}, {{"CUSTOM_CHALLENGE", false, "round-0"}}, {{"CUSTOM_CHALLENGE", false, "round-0"}, {"CUSTOM_CHALLENGE", true, "round-1"}},
		{srpA}, {srpA, pv}, {srpA, pv, {"CUSTOM_CHALLENGE", true, "round-2"}},
		{srpA},
	}
	if d := cmp.Diff(wantHist, histories); d != "" {
		t.Errorf("DefineAuthChallenge histories (-want +got):\n%s", d)
	}
}
