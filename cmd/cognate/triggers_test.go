package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/triggers"
)

// TestTriggersConfigured runs serve with a triggers route to a webhook, as
// docs/triggers.md configures one: a pool's PreAuthentication function is
// invoked through it, its refusal is UserLambdaValidationException, and
// /metrics counts both invocations by trigger and outcome.
func TestTriggersConfigured(t *testing.T) {
	const secret = "a-webhook-secret-of-the-test"
	hook := httptest.NewServer(triggers.WebhookHandler([]byte(secret), lambda.NewHandler(
		func(_ context.Context, ev events.CognitoEventUserPoolsPreAuthentication) (events.CognitoEventUserPoolsPreAuthentication, error) {
			if ev.UserName == "mallory" {
				return ev, errors.New("not today")
			}
			return ev, nil
		})))
	defer hook.Close()
	file := writeFile(t, "cognate.yaml", `triggers:
  routes:
    - arn: "arn:aws:lambda:us-east-1:123456789012:function:*"
      webhook_url: `+hook.URL+`
      webhook_secret: `+secret+`
`)
	s := startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", file)
	ctx := context.Background()
	c := cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")})
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("hooked"),
		LambdaConfig: &types.LambdaConfigType{PreAuthentication: aws.String("arn:aws:lambda:us-east-1:123456789012:function:pre-auth")}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(name string) error {
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String(name),
			Password: aws.String("Correct-Horse-9"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "Correct-Horse-9"}})
		return err
	}
	if err := signIn("alice"); err != nil {
		t.Fatal(err)
	}
	var refused *types.UserLambdaValidationException
	if err := signIn("mallory"); !errors.As(err, &refused) || aws.ToString(refused.Message) != "PreAuthentication failed with error not today." {
		t.Fatalf("err = %v, want UserLambdaValidationException", err)
	}
	_, metrics := get(t, s.url+"/metrics")
	for _, want := range []string{
		`cognate_trigger_invocations_total{outcome="success",trigger="PreAuthentication"} 1`,
		`cognate_trigger_invocations_total{outcome="function_error",trigger="PreAuthentication"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
