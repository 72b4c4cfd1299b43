package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
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
			url := serveLimited(t, db, directory.Options{}, nil, limits, ratelimit.Unprotected())
			// The SDK retries TooManyRequestsException as throttling; one
			// attempt shows the first answer.
			c := harness.Client(url, "us-east-1", keyID, secret, 1)
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

// TestDefaultsNeverThrottleATestSuite does what a test suite written for
// Cognito does when it creates a pool per test and runs flat out from one
// machine: on the defaults, with the SDK's retries off, 8 clients at once
// each create 3 pools, describe one shared pool 25 times and create 5
// users in it. Not one call may be TooManyRequestsException. Before
// Cognito's quotas became opt-in (issue 9, defect 4) they applied by
// default, per pool: 200 DescribeUserPool calls on one pool meet a bucket
// of 15 that refills at 15 a second, so unless they took more than 12
// seconds most were throttled. The count is fixed and nothing is timed;
// the log says how fast the calls went.
func TestDefaultsNeverThrottleATestSuite(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			url := serveLimited(t, db, directory.Options{}, nil, nil, nil) // nil: the handler's defaults
			c := harness.Client(url, "us-east-1", keyID, secret, 1)        // a throttled call fails instead of being retried
			ctx := context.Background()
			shared := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("shared")})
			const workers = 8
			want := map[string]int{"CreateUserPool": workers * 3, "DescribeUserPool": workers * 25, "AdminCreateUser": workers * 5}
			var (
				mu      sync.Mutex
				calls   = map[string]int{}
				elapsed = map[string]time.Duration{}
				errs    []error
			)
			timed := func(op string, n int, call func(i int) error) {
				start := time.Now()
				for i := range n {
					err := call(i)
					mu.Lock()
					calls[op]++
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", op, err))
					}
					mu.Unlock()
				}
				mu.Lock()
				elapsed[op] = max(elapsed[op], time.Since(start))
				mu.Unlock()
			}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					timed("DescribeUserPool", want["DescribeUserPool"]/workers, func(int) error {
						_, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: shared.Id})
						return err
					})
					timed("AdminCreateUser", want["AdminCreateUser"]/workers, func(i int) error {
						_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
							UserPoolId: shared.Id, Username: aws.String(fmt.Sprintf("user-%d-%d", w, i)),
							MessageAction: types.MessageActionTypeSuppress,
						})
						return err
					})
					timed("CreateUserPool", want["CreateUserPool"]/workers, func(i int) error {
						_, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("suite-%d-%d", w, i))})
						return err
					})
				})
			}
			wg.Wait()
			for _, op := range []string{"DescribeUserPool", "AdminCreateUser", "CreateUserPool"} {
				t.Logf("%s: %d calls in %v, %.0f a second", op, calls[op], elapsed[op].Round(time.Millisecond), float64(calls[op])/elapsed[op].Seconds())
			}
			var tooMany *types.TooManyRequestsException
			for _, err := range errs {
				if errors.As(err, &tooMany) {
					t.Errorf("throttled on the defaults: %v", err)
				} else {
					t.Errorf("%v", err)
				}
			}
			if len(errs) == 0 {
				if diff := cmp.Diff(want, calls); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestProtectiveLimitsThroughSDK signs in, on the defaults, as a user that
// does not exist, twenty times at once from one client with the SDK's
// retries off: the per-user limit (a burst of 10, then 10 a second,
// Cognito's per-user quota) admits ten, which each cost a password hash
// and answer UserNotFoundException, and refuses the rest with Cognito's
// TooManyRequestsException before any hash. Another user is still served.
// The server runs on the real clock, so the bucket gets a request back
// every tenth of a second the twenty take; the check allows for exactly
// that, so it holds on a machine of any speed.
func TestProtectiveLimitsThroughSDK(t *testing.T) {
	db := migrated(t, openBackend(t, "sqlite"))
	url := serveLimited(t, db, directory.Options{}, nil, nil, nil) // nil: the handler's defaults
	c := harness.Client(url, "us-east-1", keyID, secret, 1)
	ctx := context.Background()
	pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("protected")})
	out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(user string) error {
		_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: out.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": "Wrong-passw0rd"},
		})
		return err
	}
	start := time.Now()
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = signIn("nobody") })
	}
	wg.Wait()
	elapsed := time.Since(start)
	var notFound, throttled int
	var tooMany *types.TooManyRequestsException
	var missing *types.UserNotFoundException
	for _, err := range errs {
		switch {
		case errors.As(err, &tooMany):
			throttled++
			wantAPIError(t, err, "TooManyRequestsException", "Rate exceeded")
		case errors.As(err, &missing):
			notFound++
		default:
			t.Errorf("sign-in: %v, want UserNotFoundException or TooManyRequestsException", err)
		}
	}
	// Ten tokens, and one more for each tenth of a second the requests took.
	refilled := int(elapsed / (100 * time.Millisecond))
	if notFound < 10 || notFound > 10+refilled || notFound+throttled != len(errs) {
		t.Errorf("%d UserNotFoundException and %d TooManyRequestsException in %v, want 10 (and up to %d refilled) and the rest throttled",
			notFound, throttled, elapsed, refilled)
	}
	if err := signIn("somebody"); !errors.As(err, &missing) {
		t.Errorf("another user's sign-in: %v, want UserNotFoundException", err)
	}
}
