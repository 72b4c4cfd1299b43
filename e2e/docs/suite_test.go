package docs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// Sizes of the suite TestFreshServerTakesAFastSuite runs: suiteWorkers
// tests at once (a test runner's parallel workers), each running
// suiteRounds tests one after the other. Each test makes about 30 calls.
// Then suiteAtOnce invited users sign in for the first time all at once,
// as a suite's set-up does with Promise.all or an errgroup: well above the
// 32 password computations one address could once have waiting (40 were
// refused only a few of theirs), so that the check does not depend on how
// fast the machine hashes.
const (
	suiteWorkers = 8
	suiteRounds  = 1
	// suiteRefreshes is how many times each test refreshes its tokens.
	suiteRefreshes = 5
	suiteAtOnce    = 48
)

// TestFreshServerTakesAFastSuite starts cognate as the README does (no
// settings but where to listen and keep its data, the admin key pair it
// generates) and runs against it, flat out and with the SDK's retries
// off, what a test suite written for Cognito does: many tests at once,
// each creating its own pool and app client, a user made by an
// administrator and one who signs up and is confirmed by one, signing
// both in (USER_PASSWORD_AUTH, USER_SRP_AUTH, ADMIN_USER_PASSWORD_AUTH),
// refreshing, reading and listing, one wrong password, and deleting
// what it made; then many invited users sign in for the first time at
// once, from the one client address. No call may be throttled or locked out: a default that
// Cognito would not apply to such a suite is a default the suite trips
// over. Nothing is timed; the log says how fast the calls went.
func TestFreshServerTakesAFastSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED under -short: builds cognate and runs a suite against it")
	}
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}
			if store == "postgres" {
				args = append(args, "--database", storagetest.PostgresSchema(t))
			}
			// Only this package's environment, without COGNATE_*: the
			// server runs on its defaults.
			srv, err := proc.Start(bin, nil, args...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Stop() })
			keyID, secret := generatedKeyPair(t, dir)
			runSuite(t, srv, keyID, secret)
		})
	}
}

// generatedKeyPair reads the admin key pair a server generated into its
// data directory on first start.
func generatedKeyPair(t *testing.T, dir string) (keyID, secret string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "admin-credentials.json"))
	if err != nil {
		t.Fatalf("the generated admin key pair: %v", err)
	}
	var kp struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	}
	if err := json.Unmarshal(data, &kp); err != nil || kp.AccessKeyID == "" || kp.SecretAccessKey == "" {
		t.Fatalf("admin-credentials.json: %v %s", err, data)
	}
	return kp.AccessKeyID, kp.SecretAccessKey
}

// suiteTally counts a suite's calls by operation and keeps their errors.
type suiteTally struct {
	mu    sync.Mutex
	calls map[string]int
	errs  []error
}

// call runs f as the operation op of test name and counts it.
func (s *suiteTally) call(name, op string, f func() error) error {
	err := f()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %s: %w", name, op, err))
	}
	return err
}

func runSuite(t *testing.T, srv *proc.Server, keyID, secret string) {
	c := cip.New(cip.Options{
		BaseEndpoint:     aws.String(srv.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 1, // a throttled call fails instead of being retried
	})
	tally := &suiteTally{calls: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range suiteWorkers {
		wg.Go(func() {
			for r := range suiteRounds {
				name := fmt.Sprintf("test-%d-%d", w, r)
				if err := suiteTest(context.Background(), c, tally, name); err != nil {
					return // counted; the worker's next tests would fail the same way
				}
			}
		})
	}
	wg.Wait()
	signInAtOnce(context.Background(), c, tally)
	elapsed := time.Since(start)

	total := 0
	var ops []string
	for op, n := range tally.calls {
		total += n
		ops = append(ops, fmt.Sprintf("%s %d", op, n))
	}
	slices.Sort(ops)
	t.Logf("%d tests and %d first sign-ins at once, %d calls in %v (%.0f a second): %s", suiteWorkers*suiteRounds, suiteAtOnce, total, elapsed.Round(time.Millisecond),
		float64(total)/elapsed.Seconds(), strings.Join(ops, ", "))
	var tooMany *types.TooManyRequestsException
	var limit *types.LimitExceededException
	for _, err := range tally.errs {
		switch {
		case errors.As(err, &tooMany), errors.As(err, &limit):
			t.Errorf("throttled on the defaults: %v", err)
		default:
			t.Errorf("%v", err)
		}
	}
	if len(tally.errs) > 0 {
		t.Logf("cognate log:\n%s", srv.Stderr.String())
	}
}

// suiteTest is one test of the suite, named name: it makes its own pool
// and app client and two users, signs them in every way the client
// allows, and deletes what it made. It stops at its first failing call.
func suiteTest(ctx context.Context, c *cip.Client, s *suiteTally, name string) error {
	const password, newPassword = "Suite-password-1", "Suite-password-2"
	var (
		poolID, clientID string
		err              error
	)
	step := func(op string, f func() error) {
		if err == nil {
			err = s.call(name, op, f)
		}
	}
	step("CreateUserPool", func() error {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name),
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
		if err == nil {
			poolID = aws.ToString(out.UserPool.Id)
		}
		return err
	})
	step("CreateUserPoolClient", func() error {
		out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String(name),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
				types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
				types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err == nil {
			clientID = aws.ToString(out.UserPoolClient.ClientId)
		}
		return err
	})
	step("DescribeUserPoolClient", func() error {
		_, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
		return err
	})

	// An invited user, given a permanent password by the administrator.
	step("AdminCreateUser", func() error {
		_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("admin-made"),
			MessageAction: types.MessageActionTypeSuppress, TemporaryPassword: aws.String(password),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "-a@example.com")}}})
		return err
	})
	step("AdminSetUserPassword", func() error {
		_, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("admin-made"),
			Password: aws.String(password), Permanent: true})
		return err
	})
	// A user who signs up and whom the administrator confirms.
	step("SignUp", func() error {
		_, err := c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("signed-up"), Password: aws.String(password),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "-s@example.com")}}})
		return err
	})
	step("AdminConfirmSignUp", func() error {
		_, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("signed-up")})
		return err
	})

	// Sign-ins: a wrong password first, as a suite checks it is refused.
	step("InitiateAuth wrong password", func() error {
		_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "signed-up", "PASSWORD": "Wrong-password-9"}})
		if _, ok := errors.AsType[*types.NotAuthorizedException](err); ok {
			return nil
		}
		return fmt.Errorf("want NotAuthorizedException, got %v", err)
	})
	var refresh, access string
	step("InitiateAuth USER_PASSWORD_AUTH", func() error {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "signed-up", "PASSWORD": password}})
		if err != nil {
			return err
		}
		if out.AuthenticationResult == nil {
			return fmt.Errorf("challenge %s, want tokens", out.ChallengeName)
		}
		refresh, access = aws.ToString(out.AuthenticationResult.RefreshToken), aws.ToString(out.AuthenticationResult.AccessToken)
		return nil
	})
	for range suiteRefreshes {
		step("InitiateAuth REFRESH_TOKEN_AUTH", func() error {
			out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
				AuthParameters: map[string]string{"REFRESH_TOKEN": refresh}})
			if err == nil {
				access = aws.ToString(out.AuthenticationResult.AccessToken)
			}
			return err
		})
	}
	step("GetUser", func() error {
		_, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(access)})
		return err
	})
	step("ChangePassword", func() error {
		_, err := c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: aws.String(access),
			PreviousPassword: aws.String(password), ProposedPassword: aws.String(newPassword)})
		return err
	})
	step("InitiateAuth USER_SRP_AUTH", func() error {
		srp := srpclient.New()
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": "admin-made", "SRP_A": srp.SRPA()}})
		if err != nil {
			return err
		}
		ts, sig, err := srp.Claim(poolID, password, out.ChallengeParameters, time.Now())
		if err != nil {
			return err
		}
		resp, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: out.ChallengeName, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": out.ChallengeParameters["USER_ID_FOR_SRP"], "TIMESTAMP": ts,
				"PASSWORD_CLAIM_SIGNATURE": sig, "PASSWORD_CLAIM_SECRET_BLOCK": out.ChallengeParameters["SECRET_BLOCK"]}})
		if err == nil && resp.AuthenticationResult == nil {
			return fmt.Errorf("challenge %s after the password claim, want tokens", resp.ChallengeName)
		}
		return err
	})
	step("AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH", func() error {
		_, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "signed-up", "PASSWORD": newPassword}})
		return err
	})

	// Reads and lists, then clean-up.
	step("AdminGetUser", func() error {
		_, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("admin-made")})
		return err
	})
	step("ListUsers", func() error {
		out, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
		if err == nil && len(out.Users) != 2 {
			return fmt.Errorf("%d users, want 2", len(out.Users))
		}
		return err
	})
	step("ListUserPoolClients", func() error {
		_, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(10)})
		return err
	})
	step("ListUserPools", func() error {
		_, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
		return err
	})
	for _, user := range []string{"admin-made", "signed-up"} {
		step("AdminDeleteUser", func() error {
			_, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
			return err
		})
	}
	step("DeleteUserPoolClient", func() error {
		_, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
		return err
	})
	step("DeleteUserPool", func() error {
		_, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
		return err
	})
	return err
}

// signInAtOnce invites suiteAtOnce users to one pool, then signs them all
// in at once with their temporary passwords and answers their
// NEW_PASSWORD_REQUIRED challenges at once: every sign-in is a password
// verification and every answer a new hash, far more at once than the
// machine has cores, all from one client address.
func signInAtOnce(ctx context.Context, c *cip.Client, s *suiteTally) {
	const name, temporary, chosen = "at-once", "Temporary-password-1", "Chosen-password-2"
	var poolID, clientID string
	err := s.call(name, "CreateUserPool", func() error {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
		if err == nil {
			poolID = aws.ToString(out.UserPool.Id)
		}
		return err
	})
	if err == nil {
		err = s.call(name, "CreateUserPoolClient", func() error {
			out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String(name),
				ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
			if err == nil {
				clientID = aws.ToString(out.UserPoolClient.ClientId)
			}
			return err
		})
	}
	if err != nil {
		return
	}
	user := func(i int) string { return fmt.Sprintf("invited-%d", i) }
	// Each phase runs for every user at once; a user that failed a phase
	// is left out of the next.
	failed := make([]bool, suiteAtOnce)
	atOnce := func(op string, call func(i int) error) {
		var wg sync.WaitGroup
		for i := range suiteAtOnce {
			if failed[i] {
				continue
			}
			wg.Go(func() {
				if s.call(name, op, func() error { return call(i) }) != nil {
					failed[i] = true
				}
			})
		}
		wg.Wait()
	}
	atOnce("AdminCreateUser", func(i int) error {
		_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user(i)),
			MessageAction: types.MessageActionTypeSuppress, TemporaryPassword: aws.String(temporary)})
		return err
	})
	sessions := make([]*string, suiteAtOnce)
	atOnce("InitiateAuth USER_PASSWORD_AUTH at once", func(i int) error {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user(i), "PASSWORD": temporary}})
		if err != nil {
			return err
		}
		if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			return fmt.Errorf("challenge %q, want NEW_PASSWORD_REQUIRED", out.ChallengeName)
		}
		sessions[i] = out.Session
		return nil
	})
	atOnce("RespondToAuthChallenge NEW_PASSWORD_REQUIRED at once", func(i int) error {
		out, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: sessions[i],
			ChallengeResponses: map[string]string{"USERNAME": user(i), "NEW_PASSWORD": chosen}})
		if err == nil && out.AuthenticationResult == nil {
			return fmt.Errorf("challenge %q after the new password, want tokens", out.ChallengeName)
		}
		return err
	})
	_ = s.call(name, "DeleteUserPool", func() error {
		_, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
		return err
	})
}
