package js

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestFromCognitoIdentityPool runs identitypool.js: the AWS SDK for
// JavaScript v3's fromCognitoIdentityPool gets credentials for a user
// signed in to a user pool, from cognate's own STS, and its STS client
// calls GetCallerIdentity with them.
func TestFromCognitoIdentityPool(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	srv, c := startCognate(t, []string{"COGNATE_ACCOUNT_ID=123456789012"})
	ctx := context.Background()
	admin := credentials.NewStaticCredentialsProvider(keyID, secret, "")
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("js-identity")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	clientID := browserClient(t, c, pool.UserPool.Id)
	createUser(t, c, pool.UserPool.Id, "grace", "Correct-Horse-1")
	ids := ci.New(ci.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Credentials: admin})
	ip, err := ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("js"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{
			ProviderName: aws.String("cognito-idp.us-east-1.amazonaws.com/" + poolID), ClientId: aws.String(clientID),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::123456789012:role/JSAuthenticated"
	if _, err := ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
		Roles: map[string]string{"authenticated": role}}); err != nil {
		t.Fatal(err)
	}

	steps, order := runScript(t, node, srv, "identitypool.js", "COGNATE_ENDPOINT="+srv.URL, "REGION=us-east-1", "POOL_ID="+poolID, "CLIENT_ID="+clientID,
		"IDENTITY_POOL_ID="+aws.ToString(ip.IdentityPoolId), "USERNAME=grace", "PASSWORD=Correct-Horse-1")
	if want := "signIn,fromCognitoIdentityPool,getCallerIdentity,listUserPools,done"; strings.Join(order, ",") != want {
		t.Fatalf("steps = %v, want %s", order, want)
	}
	got := steps["fromCognitoIdentityPool"]
	if id, _ := got["identityId"].(string); !strings.HasPrefix(id, "us-east-1:") || got["accessKeyPrefix"] != "ASIA" ||
		got["hasSecret"] != true || got["hasSessionToken"] != true || got["expiresInMinutes"] != float64(60) {
		t.Errorf("credentials: %v", got)
	}
	if arn := steps["getCallerIdentity"]["arn"]; arn != "arn:aws:sts::123456789012:assumed-role/JSAuthenticated/CognitoIdentityCredentials" {
		t.Errorf("GetCallerIdentity ARN %v", arn)
	}
	if e := steps["listUserPools"]["error"]; e != "UnrecognizedClientException" {
		t.Errorf("ListUserPools with the credentials: %v, want UnrecognizedClientException", e)
	}
}
