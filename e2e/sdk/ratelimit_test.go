package sdk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// TestRateLimitsThroughSDK floods InitiateAuth, which names only an app
// client, past a UserAuthentication rate of 2 a second: the SDK sees a
// typed TooManyRequestsException, while SignUp (UserCreation) on the same
// pool and InitiateAuth on another pool still answer. The limiter's clock
// stands still, so nothing depends on how fast the requests go.
func TestRateLimitsThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			frozen := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
			limits, err := ratelimit.New(ratelimit.Config{
				Rates: map[ratelimit.Category]float64{ratelimit.UserAuthentication: 2},
				Clock: func() time.Time { return frozen },
			})
			if err != nil {
				t.Fatal(err)
			}
			url := serveLimited(t, db, userpool.Options{}, nil, limits)
			// The SDK retries TooManyRequestsException as throttling; one
			// attempt shows the first answer.
			c := cip.New(cip.Options{
				BaseEndpoint:     aws.String(url),
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
				RetryMaxAttempts: 1,
			})
			ctx := context.Background()
			newClient := func(poolName string) string {
				pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String(poolName)})
				out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
					UserPoolId: pool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows,
				})
				if err != nil {
					t.Fatal(err)
				}
				return *out.UserPoolClient.ClientId
			}
			client, other := newClient("flooded"), newClient("other")
			signIn := func(clientID string) error {
				_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": "Wrong-password-1"},
				})
				return err
			}
			var tooMany *types.TooManyRequestsException
			for i := range 2 {
				if err := signIn(client); err == nil || errors.As(err, &tooMany) {
					t.Fatalf("sign-in %d: %v, want a refused sign-in that is not throttled", i+1, err)
				}
			}
			err = signIn(client)
			if !errors.As(err, &tooMany) {
				t.Fatalf("third sign-in: %v, want TooManyRequestsException", err)
			}
			wantAPIError(t, err, "TooManyRequestsException", "Rate exceeded")

			if _, err := c.SignUp(ctx, &cip.SignUpInput{
				ClientId: aws.String(client), Username: aws.String("newcomer"), Password: aws.String("Newcomer-passw0rd"),
			}); err != nil {
				t.Errorf("SignUp on the throttled pool: %v, want it answered (UserCreation is not drained)", err)
			}
			if err := signIn(other); err == nil || errors.As(err, &tooMany) {
				t.Errorf("sign-in on another pool: %v, want a refused sign-in that is not throttled", err)
			}
		})
	}
}
