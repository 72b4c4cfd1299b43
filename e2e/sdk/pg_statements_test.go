package sdk

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// statementCounter is a pgx tracer (postgres.Options.Tracer) that counts
// the statements a store sends and the round trips they take: a statement
// alone is one, the statements of a batch (pipelined) one together.
type statementCounter struct {
	// mu guards the fields below.
	mu         sync.Mutex
	statements int
	roundTrips int
	sql        []string
}

var (
	_ pgx.QueryTracer = (*statementCounter)(nil)
	_ pgx.BatchTracer = (*statementCounter)(nil)
)

// isProbe reports whether sql is the read cache's probe, a notification a
// node sends itself every few idle seconds: the listener's, not a request's.
func isProbe(sql string) bool {
	return strings.HasPrefix(sql, "SELECT pg_notify('cognate_read_cache', $1)")
}

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if isProbe(data.SQL) {
		return ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	c.roundTrips++
	c.sql = append(c.sql, data.SQL)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roundTrips++
	return ctx
}

func (c *statementCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	c.sql = append(c.sql, data.SQL)
}

func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// take returns what was counted since the last take, and starts again.
func (c *statementCounter) take() (statements, roundTrips int, sql []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	statements, roundTrips, sql = c.statements, c.roundTrips, c.sql
	c.statements, c.roundTrips, c.sql = 0, 0, nil
	return statements, roundTrips, sql
}

// TestPostgresStatementBudget holds each hot operation, on PostgreSQL with
// the read cache on as a server runs it, to a budget of SQL statements and
// round trips to the database, counted by a tracer on the store's
// connections. The store-call budgets of the sign-in engine
// (internal/authflow) count calls on the storage interface, where a read
// answered from the read cache and one that crosses the network look the
// same; this counts what PostgreSQL sees, so a read that stops hitting the
// cache (a new per-request read of a record the cache does not keep, a
// cache that the pool's own writes keep dropping) or a new statement shows
// here rather than only in a benchmark on a quiet machine. Each operation
// runs once untimed first (signing keys, sweeps and caches warm), then
// once counted. The engines' clock stands still, so no periodic sweep
// falls in a counted call.
//
// The pool, the app client and the users come from the cache (users by
// name and by ID): a warm AdminGetUser and USER_SRP_AUTH's InitiateAuth
// send no statement. The budgets, each call at its fewest, are listed with
// the steps below.
func TestPostgresStatementBudget(t *testing.T) {
	storagetest.PostgresDSN(t)
	ctx := context.Background()
	counter := &statementCounter{}
	db, err := postgres.Open(ctx, storagetest.PostgresSchema(t), postgres.Options{Region: "us-east-1", ReadCache: true, Tracer: counter})
	if err != nil {
		t.Fatal(err)
	}
	migrated(t, db)
	deadline := time.Now().Add(time.Minute)
	for !db.ReadCacheOn() {
		if time.Now().After(deadline) {
			t.Fatal("the read cache did not turn on within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	clock := newTestClock()
	c := (&env{URL: serve(t, db, directory.Options{Clock: clock.Now}, nil), Store: db}).client("us-east-1")

	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("statements")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := client.UserPoolClient.ClientId
	const username, password = "statement-user", "Statement-Passw0rd"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String(username),
		UserAttributes: sdkAttrs("email", "statements@example.com"),
		MessageAction:  types.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}

	var tokens *types.AuthenticationResultType
	passwordAuth := func() error {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
		})
		if err != nil {
			return err
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.RefreshToken == nil {
			return fmt.Errorf("USER_PASSWORD_AUTH answered %+v, want tokens", out)
		}
		tokens = out.AuthenticationResult
		return nil
	}
	var (
		srp       *srpClient
		challenge *cip.InitiateAuthOutput
	)
	srpStart := func() error {
		srp = newSRPClient(t)
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": username, "SRP_A": srp.srpA()},
		})
		if err != nil {
			return err
		}
		if out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
			return fmt.Errorf("USER_SRP_AUTH answered %s, want PASSWORD_VERIFIER", out.ChallengeName)
		}
		challenge = out
		return nil
	}
	srpAnswer := func() error {
		params := challenge.ChallengeParameters
		ts, sig := srp.claim(t, aws.ToString(poolID), password, params, clock.Now())
		out, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
			ChallengeResponses: map[string]string{
				"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
			},
		})
		if err != nil {
			return err
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
			return fmt.Errorf("PASSWORD_VERIFIER answered %+v, want tokens", out)
		}
		return nil
	}
	refresh := func() error {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
		})
		if err != nil {
			return err
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
			return fmt.Errorf("REFRESH_TOKEN_AUTH answered %+v, want tokens", out)
		}
		return nil
	}
	getUser := func() error {
		out, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken})
		if err != nil {
			return err
		}
		if aws.ToString(out.Username) != username {
			return fmt.Errorf("GetUser answered %q", aws.ToString(out.Username))
		}
		return nil
	}
	adminGetUser := func() error {
		out, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String(username)})
		if err != nil {
			return err
		}
		if aws.ToString(out.Username) != username {
			return fmt.Errorf("AdminGetUser answered %q", aws.ToString(out.Username))
		}
		return nil
	}

	// budget is an operation's most statements and round trips.
	type budget struct{ statements, roundTrips int }
	steps := []struct {
		name string
		run  func() error
		want budget
	}{
		// begin, the lockout counter locked (a batch of two), the count
		// created, commit; the user's groups; begin, the count deleted,
		// the family and the refresh token created, the change log (a
		// batch of two), commit. The user by name comes from the cache.
		{"USER_PASSWORD_AUTH", passwordAuth, budget{13, 11}},
		// The user by name, from the cache.
		{"USER_SRP_AUTH InitiateAuth", srpStart, budget{0, 0}},
		// The Session's use marker (is it used?), the user's groups;
		// begin, the marker created, the lockout counter locked (a
		// batch of two), the family and the refresh token created, the
		// change log (a batch of two), commit. The user by ID comes from
		// the cache.
		{"USER_SRP_AUTH PASSWORD_VERIFIER", srpAnswer, budget{11, 9}},
		// The refresh token by its hash, the user with the token
		// family (one statement), the user's groups.
		{"REFRESH_TOKEN_AUTH", refresh, budget{3, 3}},
		// The user with the token's family, one statement.
		{"GetUser", getUser, budget{1, 1}},
		// The user by name, from the cache.
		{"AdminGetUser", adminGetUser, budget{0, 0}},
	}
	for _, step := range steps {
		// A node hears its own commits' notifications too, a moment after
		// they return, and each drops what the node cached: one from the
		// set-up or the warm call may land after the warm call and empty
		// the cache under the counted one. So a step that exceeds its
		// budget runs again, warm and counted, up to three times; a
		// statement added to a call exceeds it every time.
		var got budget
		var sql []string
		for range 3 {
			warm(t, step.name, step.run, srpStart, srpAnswer)
			counter.take()
			if err := step.run(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			got.statements, got.roundTrips, sql = counter.take()
			if got.statements <= step.want.statements && got.roundTrips <= step.want.roundTrips {
				break
			}
		}
		if got.statements > step.want.statements || got.roundTrips > step.want.roundTrips {
			t.Errorf("%s: %d statements in %d round trips, budget %d in %d:\n%s", step.name,
				got.statements, got.roundTrips, step.want.statements, step.want.roundTrips, strings.Join(firstLines(sql), "\n"))
		} else if got != step.want {
			t.Logf("%s: %d statements in %d round trips, under the budget of %d in %d", step.name,
				got.statements, got.roundTrips, step.want.statements, step.want.roundTrips)
		}
	}
}

// warm runs a step of TestPostgresStatementBudget once untimed before it
// is counted: the pool's signing keys, the first sweeps, the caches. The
// SRP answer's warm-up is a whole SRP sign-in followed by the InitiateAuth
// whose challenge the counted answer takes.
func warm(t *testing.T, name string, run, srpStart, srpAnswer func() error) {
	t.Helper()
	var err error
	switch name {
	case "USER_SRP_AUTH InitiateAuth":
		if err = srpStart(); err == nil {
			err = srpAnswer()
		}
	case "USER_SRP_AUTH PASSWORD_VERIFIER":
		if err = srpStart(); err == nil {
			if err = srpAnswer(); err == nil {
				err = srpStart()
			}
		}
	default:
		err = run()
	}
	if err != nil {
		t.Fatalf("%s (warm): %v", name, err)
	}
}

// firstLines returns each statement's first line, for a readable failure.
func firstLines(sql []string) []string {
	out := slices.Clone(sql)
	for i, s := range out {
		s = strings.TrimSpace(s)
		if first, _, ok := strings.Cut(s, "\n"); ok {
			s = first
		}
		out[i] = s
	}
	return out
}
