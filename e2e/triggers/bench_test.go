package triggers

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// BenchmarkSignInTriggers measures a USER_PASSWORD_AUTH sign-in through
// the SDK at a pool without triggers, with PreAuthentication, and with
// PreTokenGeneration (V1_0), the function reached behind the webhook (in
// this process) and through the Invoke API of the Runtime Interface
// Emulator. The difference to "none" is what a trigger adds to a sign-in.
func BenchmarkSignInTriggers(b *testing.B) {
	for _, tr := range []transport{viaWebhook, viaLambda} {
		e := start(b, "sqlite", tr, 5*time.Second)
		for _, tc := range []struct {
			name string
			lc   *types.LambdaConfigType
		}{
			{"none", &types.LambdaConfigType{}},
			{"pre-auth", &types.LambdaConfigType{PreAuthentication: aws.String(functionARN + "pre-auth")}},
			{"pre-token", &types.LambdaConfigType{PreTokenGeneration: aws.String(functionARN + "pre-token")}},
		} {
			b.Run(string(tr)+"/"+tc.name, func(b *testing.B) {
				poolID, clientID := e.pool(b, tc.lc)
				e.user(b, poolID, "bench")
				c := e.client()
				in := &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "bench", "PASSWORD": password},
				}
				ctx := context.Background()
				for b.Loop() {
					if _, err := c.InitiateAuth(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
