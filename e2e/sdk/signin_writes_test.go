package sdk

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
)

// txCountingStore is a store that counts the transactions run on it.
type txCountingStore struct {
	storage.Store
	txs atomic.Int64
}

func (s *txCountingStore) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	s.txs.Add(1)
	return s.Store.Tx(ctx, fn)
}

// TestSignInWriteTransactions counts the transactions the whole server runs
// on its store for each sign-in through the AWS SDK, once the pool's
// signing keys exist: USER_PASSWORD_AUTH two (the lockout count, then the
// token family with the count taken back), USER_SRP_AUTH one (InitiateAuth
// none; the answer's proof is checked first, then one transaction uses the
// SECRET_BLOCK up, reads the lockout count and creates the token family),
// REFRESH_TOKEN_AUTH and GetUser none. Nothing has expired, so no
// sweep writes.
func TestSignInWriteTransactions(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			counted := &txCountingStore{Store: db}
			c := (&env{URL: serve(t, counted, directory.Options{}, nil), Store: db}).client("us-east-1")
			ctx := context.Background()
			pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("writes")})
			if err != nil {
				t.Fatal(err)
			}
			client := appClient(t, c, &cip.CreateUserPoolClientInput{
				UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows,
			})
			if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: pool.UserPool.Id, Username: aws.String("wes"), MessageAction: types.MessageActionTypeSuppress,
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
				UserPoolId: pool.UserPool.Id, Username: aws.String("wes"), Password: aws.String(signInPassword), Permanent: true,
			}); err != nil {
				t.Fatal(err)
			}
			// Each call returns the SDK's attempts: one the transport had to
			// retry (see clientWith) ran twice on the server, and is counted
			// again.
			var tokens *types.AuthenticationResultType
			password := func() retry.AttemptResults {
				t.Helper()
				out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "wes", "PASSWORD": signInPassword},
				})
				if err != nil {
					t.Fatal(err)
				}
				tokens = mustTokens(t, out.AuthenticationResult, err, true)
				r, _ := retry.GetAttemptResults(out.ResultMetadata)
				return r
			}
			var (
				sc     *srpClient
				params map[string]string
			)
			srpInitiate := func() retry.AttemptResults {
				t.Helper()
				sc = newSRPClient(t)
				out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "wes", "SRP_A": sc.srpA()},
				})
				if err != nil || out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
					t.Fatalf("USER_SRP_AUTH = %+v, %v", out, err)
				}
				params = out.ChallengeParameters
				r, _ := retry.GetAttemptResults(out.ResultMetadata)
				return r
			}
			srpRespond := func() retry.AttemptResults {
				t.Helper()
				ts, sig := sc.claim(t, aws.ToString(pool.UserPool.Id), signInPassword, params, time.Now())
				out, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier,
					ChallengeResponses: map[string]string{
						"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
						"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				mustTokens(t, out.AuthenticationResult, err, true)
				r, _ := retry.GetAttemptResults(out.ResultMetadata)
				return r
			}
			refresh := func() retry.AttemptResults {
				t.Helper()
				out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
					AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
				})
				if err != nil {
					t.Fatal(err)
				}
				mustTokens(t, out.AuthenticationResult, err, false)
				r, _ := retry.GetAttemptResults(out.ResultMetadata)
				return r
			}
			getUser := func() retry.AttemptResults {
				t.Helper()
				out, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken})
				if err != nil {
					t.Fatal(err)
				}
				r, _ := retry.GetAttemptResults(out.ResultMetadata)
				return r
			}

			password() // creates the pool's signing keys
			for _, step := range []struct {
				name string
				call func() retry.AttemptResults
				want int64
			}{
				{"USER_PASSWORD_AUTH", password, 2},
				{"USER_SRP_AUTH InitiateAuth", srpInitiate, 0},
				{"USER_SRP_AUTH RespondToAuthChallenge", srpRespond, 1},
				{"REFRESH_TOKEN_AUTH", refresh, 0},
				{"GetUser", getUser, 0},
			} {
				for try := 1; ; try++ {
					before := counted.txs.Load()
					attempts := step.call()
					got := counted.txs.Load() - before
					if len(attempts.Results) > 1 && try < 3 {
						if step.name == "USER_SRP_AUTH RespondToAuthChallenge" {
							srpInitiate()
						}
						continue
					}
					if got != step.want {
						t.Errorf("%s ran %d transactions, want %d", step.name, got, step.want)
					}
					break
				}
			}
		})
	}
}
