package authflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// flowClock is a clock the test sets; it does not move by itself.
type flowClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *flowClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *flowClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// flowEnv is the engine on a real store, with one pool, one app client and
// one confirmed user, a frozen clock and a count of password hashes.
type flowEnv struct {
	s      *Service
	pools  *userpool.Service
	users  *directory.Service
	store  storage.Store
	probe  *storeProbe
	clock  *flowClock
	pool   string
	client string
	hashes atomic.Int64
	// outbox receives the messages the pool sends (MFA codes).
	outbox *messaging.Outbox
	// tokens and key are what New was given, for withTriggers.
	tokens *tokens.Service
	key    []byte
}

const (
	flowRegion   = "us-east-1"
	flowUser     = "alice"
	flowPassword = "Correct-Horse-1"
)

type migrating interface {
	storage.Store
	storage.Migrator
}

// flowBackends runs f on SQLite and, when COGNATE_TEST_POSTGRES_DSN is set,
// on PostgreSQL.
func flowBackends(t *testing.T, f func(t *testing.T, e *flowEnv)) {
	open := map[string]func(t *testing.T) (migrating, error){
		"sqlite": func(t *testing.T) (migrating, error) {
			return sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: flowRegion})
		},
		"postgres": func(t *testing.T) (migrating, error) {
			return postgres.Open(context.Background(), storagetest.PostgresSchema(t), postgres.Options{Region: flowRegion})
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db, err := open[name](t)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			f(t, newFlowEnv(t, db))
		})
	}
}

func newFlowEnv(t testing.TB, db storage.Store) *flowEnv {
	t.Helper()
	ctx := context.Background()
	key := bytes.Repeat([]byte{3}, seal.KeySize)
	e := &flowEnv{store: db, clock: &flowClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	// Every service goes through the probe; the test's own reads of
	// e.store do not.
	e.probe = &storeProbe{Store: db}
	tok, err := tokens.New(tokens.Options{Store: e.probe, IssuerBaseURL: "http://localhost:9229", Clock: e.clock.Now, KeyEncryptionKey: seal.DeriveKey(key, "tokens")})
	if err != nil {
		t.Fatal(err)
	}
	verifiers, err := srp.NewVerifiers(key)
	if err != nil {
		t.Fatal(err)
	}
	e.outbox = messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	e.pools = userpool.New(e.probe, userpool.Options{AccountID: "123456789012", Clock: e.clock.Now})
	e.users = directory.New(e.probe, e.pools, directory.Options{Clock: e.clock.Now, SRPVerifiers: verifiers, Sender: e.outbox})
	e.tokens, e.key = tok, key
	e.s, err = New(Options{Pools: e.pools, Users: e.users, Tokens: tok, Store: e.probe, Key: key, Clock: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.s.verifyPassword = func(ctx context.Context, hash, password string) (bool, error) {
		e.hashes.Add(1)
		return e.s.passwords.Verify(ctx, hash, password)
	}
	c := cognito.Caller{Region: flowRegion}
	// The pool allows every first factor of choice-based sign-in, and
	// its passkeys belong to example.com (passwordless_test.go).
	pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("flows"), Policies: &idp.UserPoolPolicyType{
		SignInPolicy: &idp.SignInPolicyType{AllowedFirstAuthFactors: []idp.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.pool = cognito.Deref(pool.UserPool.Id)
	if _, err := e.pools.SetUserPoolMfaConfig(ctx, c, &idp.SetUserPoolMfaConfigRequest{
		UserPoolId: cognito.Ptr(e.pool), WebAuthnConfiguration: &idp.WebAuthnConfigurationType{RelyingPartyId: cognito.Ptr(passkeyRPID)},
	}); err != nil {
		t.Fatal(err)
	}
	client, err := e.pools.CreateUserPoolClient(ctx, c, &idp.CreateUserPoolClientRequest{
		UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("app"),
		ExplicitAuthFlows: []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.client = cognito.Deref(client.UserPoolClient.ClientId)
	if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(flowUser), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.AdminSetUserPassword(ctx, c, &idp.AdminSetUserPasswordRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(flowUser), Password: cognito.Ptr(flowPassword), Permanent: cognito.Ptr(true),
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *flowEnv) passwordAuth(password string) (*idp.InitiateAuthResponse, error) {
	return e.s.InitiateAuth(context.Background(), cognito.Caller{}, &idp.InitiateAuthRequest{
		ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserPasswordAuth),
		AuthParameters: map[string]string{"USERNAME": flowUser, "PASSWORD": password},
	})
}

// wantCognito fails unless err is the Cognito exception code with msg.
func wantCognito(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != code || ce.Message != msg {
		t.Fatalf("error = %v, want %s %q", err, code, msg)
	}
}

// TestLockoutConcurrency runs 100 wrong passwords for one user at once:
// the failure counter lets at most five of them compute a hash (the fifth
// failure locks the user out), and refuses the rest with "Password attempts
// exceeded". The clock is frozen, so the lockout cannot
// run out while the attempts queue.
func TestLockoutConcurrency(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		const attempts = 100
		var wg sync.WaitGroup
		errs := make([]error, attempts)
		for i := range attempts {
			wg.Go(func() {
				_, errs[i] = e.passwordAuth("Wrong-Horse-1")
			})
		}
		wg.Wait()
		counts := map[string]int{}
		for _, err := range errs {
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeNotAuthorizedException {
				t.Fatalf("attempt answered %v, want NotAuthorizedException", err)
			}
			counts[ce.Message]++
		}
		if n := e.hashes.Load(); n > failuresToLockout || n < 1 {
			t.Errorf("%d parallel wrong attempts computed %d hashes, want at most %d", attempts, n, failuresToLockout)
		}
		if counts[msgIncorrectPassword] != int(e.hashes.Load()) || counts[msgPasswordAttempts] != attempts-int(e.hashes.Load()) {
			t.Errorf("answers %v after %d hashes", counts, e.hashes.Load())
		}
		// Locked out, even the right password is refused without a hash.
		before := e.hashes.Load()
		_, err := e.passwordAuth(flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
		if e.hashes.Load() != before {
			t.Error("a locked-out attempt computed a hash")
		}
		e.clock.advance(15 * time.Minute)
		if _, err := e.passwordAuth(flowPassword); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
	})
}

func TestLockoutDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{
		0: 0, 1: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 10: 32 * time.Second,
		14: 512 * time.Second, 15: 15 * time.Minute, 40: 15 * time.Minute, 1 << 20: 15 * time.Minute,
	} {
		if got := lockoutDelay(n); got != want {
			t.Errorf("lockoutDelay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestPreferredRole(t *testing.T) {
	p := func(v int32) *int32 { return &v }
	cases := []struct {
		name   string
		groups []directory.SignInGroup
		want   string
	}{
		{"none", nil, ""},
		{"no roles", []directory.SignInGroup{{Name: "a", Precedence: p(1)}}, ""},
		{"lowest precedence wins", []directory.SignInGroup{{Name: "a", RoleArn: "r2", Precedence: p(2)}, {Name: "b", RoleArn: "r1", Precedence: p(1)}}, "r1"},
		{"a group without precedence ranks last", []directory.SignInGroup{{Name: "a", RoleArn: "r0"}, {Name: "b", RoleArn: "r9", Precedence: p(9)}}, "r9"},
		{"tie with different roles", []directory.SignInGroup{{Name: "a", RoleArn: "r1", Precedence: p(1)}, {Name: "b", RoleArn: "r2", Precedence: p(1)}}, ""},
		{"tie with the same role", []directory.SignInGroup{{Name: "a", RoleArn: "r1", Precedence: p(1)}, {Name: "b", RoleArn: "r1", Precedence: p(1)}}, "r1"},
		{"tie below a better group", []directory.SignInGroup{{Name: "a", RoleArn: "r1", Precedence: p(3)}, {Name: "b", RoleArn: "r2", Precedence: p(3)}, {Name: "c", RoleArn: "r3", Precedence: p(0)}}, "r3"},
		{"only groups without precedence, one role", []directory.SignInGroup{{Name: "a", RoleArn: "r1"}, {Name: "b"}}, "r1"},
		{"only groups without precedence, two roles", []directory.SignInGroup{{Name: "a", RoleArn: "r1"}, {Name: "b", RoleArn: "r2"}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := preferredRole(tc.groups); got != tc.want {
				t.Errorf("preferredRole = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSessionLifecycle drives a SELECT_CHALLENGE Session (USER_AUTH) through
// what can happen to a Session: answered once, replayed, expired, tampered
// with, shown to another client or as a SECRET_BLOCK.
func TestSessionLifecycle(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		start := func() string {
			t.Helper()
			out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
				ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserAuth),
				AuthParameters: map[string]string{"USERNAME": flowUser},
			})
			if err != nil {
				t.Fatal(err)
			}
			if cognito.Deref(out.ChallengeName) != idp.ChallengeNameTypeSelectChallenge || out.Session == nil {
				t.Fatalf("USER_AUTH = %+v", out)
			}
			return *out.Session
		}
		answer := func(client, session string) error {
			_, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
				ClientId: cognito.Ptr(client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeSelectChallenge), Session: cognito.Ptr(session),
				ChallengeResponses: map[string]string{"USERNAME": flowUser, "ANSWER": "PASSWORD", "PASSWORD": flowPassword},
			})
			return err
		}
		session := start()
		if err := answer(e.client, session); err != nil {
			t.Fatalf("first answer: %v", err)
		}
		wantCognito(t, answer(e.client, session), cognito.CodeNotAuthorizedException, msgSessionUsed)

		// Exactly one of many concurrent answers wins.
		session = start()
		var wins atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if answer(e.client, session) == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent answers to one Session succeeded, want 1", wins.Load())
		}

		session = start()
		e.clock.advance(3*time.Minute - time.Millisecond)
		late := start()
		e.clock.advance(time.Millisecond)
		wantCognito(t, answer(e.client, session), cognito.CodeNotAuthorizedException, msgSessionExpired)
		if err := answer(e.client, late); err != nil {
			t.Fatalf("an answer within the session's validity: %v", err)
		}

		other, err := e.pools.CreateUserPoolClient(ctx, cognito.Caller{Region: flowRegion}, &idp.CreateUserPoolClientRequest{
			UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("other"), ExplicitAuthFlows: []idp.ExplicitAuthFlowsType{"ALLOW_USER_AUTH"},
		})
		if err != nil {
			t.Fatal(err)
		}
		session = start()
		wantCognito(t, answer(cognito.Deref(other.UserPoolClient.ClientId), session), cognito.CodeNotAuthorizedException, msgInvalidSession)
		raw := []byte(session)
		raw[len(raw)/2] ^= 1
		wantCognito(t, answer(e.client, string(raw)), cognito.CodeNotAuthorizedException, msgInvalidSession)
		st, err := e.s.readFlow(session, purposeSession, e.pool, e.client)
		if err != nil {
			t.Fatal(err)
		}
		asBlock, err := e.s.sealState(st, purposeSecretBlock)
		if err != nil {
			t.Fatal(err)
		}
		wantCognito(t, answer(e.client, asBlock), cognito.CodeNotAuthorizedException, msgInvalidSession)
		if err := answer(e.client, session); err != nil {
			t.Fatalf("the untouched Session after those attempts: %v", err)
		}
	})
}

// TestSweepExpired checks that the markers of answered flows are removed
// once expired (with the grace servers' clocks may need), by later
// requests, and that opening a flow stores none.
func TestSweepExpired(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		var ids []string
		markers := func() int { return len(e.markers(t, ids...)) }
		start := func() {
			t.Helper()
			out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
				ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserAuth),
				AuthParameters: map[string]string{"USERNAME": flowUser},
			})
			if err != nil {
				t.Fatal(err)
			}
			st, err := e.s.readFlow(cognito.Deref(out.Session), purposeSession, e.pool, e.client)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, usedMarkerID(e.pool, st.ID))
		}
		start()
		if n := markers(); n != 0 {
			t.Fatalf("%d markers after a flow was opened, want none", n)
		}
		for range 3 {
			ids = append(ids, e.usedMarker(t))
		}
		if n := markers(); n != 3 {
			t.Fatalf("%d markers, want 3", n)
		}
		e.clock.advance(time.Hour)
		start()
		if n := markers(); n != 0 {
			t.Errorf("%d markers after the sweep, want none", n)
		}
	})
}

// TestRefreshFamily checks the refresh-token records: the token is stored
// only as its hash, the family is the tokens' origin_jti, and a revoked
// family leaves the refresh token refused as revoked.
func TestRefreshFamily(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		out, err := e.passwordAuth(flowPassword)
		if err != nil {
			t.Fatal(err)
		}
		res := out.AuthenticationResult
		refresh := cognito.Deref(res.RefreshToken)
		if len(refresh) < 43 {
			t.Errorf("refresh token %q is shorter than 256 bits in base64url", refresh)
		}
		items, err := e.store.ListItems(ctx, storage.ListItemsInput{Kind: kindRefreshToken, Pool: e.pool, Limit: 10})
		if err != nil || len(items) != 1 {
			t.Fatalf("refresh token items: %v %v", items, err)
		}
		if items[0].ID != refreshID(e.pool, refreshHash(refresh)) || bytes.Contains(items[0].Data, []byte(refresh)) {
			t.Errorf("stored refresh token %s %s", items[0].ID, items[0].Data)
		}
		claims, err := e.s.tokens.VerifyAccessToken(ctx, cognito.Deref(res.AccessToken))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := decodeRefresh(items[0])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Family != claims.OriginJTI {
			t.Errorf("refresh family %s, access token origin_jti %s", rec.Family, claims.OriginJTI)
		}
		grant, err := e.s.AuthenticateAccessToken(ctx, cognito.Deref(res.AccessToken))
		if err != nil {
			t.Fatal(err)
		}
		want := &cognito.AccessGrant{
			PoolID: e.pool, ClientID: e.client, Sub: claims.Sub, Username: flowUser,
			Scopes: []string{tokens.DefaultScope}, JTI: claims.JTI, OriginJTI: claims.OriginJTI,
		}
		if diff := cmp.Diff(want, grant, cmpopts.IgnoreFields(cognito.AccessGrant{}, "Principal")); diff != "" {
			t.Errorf("grant (-want +got):\n%s", diff)
		}
		if grant.Principal == nil {
			t.Error("the grant carries no principal: the operation would read the pool and user again")
		} else if poolID, sub := grant.Principal.PrincipalOf(); poolID != e.pool || sub != claims.Sub {
			t.Errorf("principal of pool %q, user %q; want %q, %q", poolID, sub, e.pool, claims.Sub)
		}
		if err := e.s.RevokeToken(ctx, cognito.Caller{}, Revocation{ClientID: e.client, Token: refresh}); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.AuthenticateAccessToken(ctx, cognito.Deref(res.AccessToken))
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgAccessRevoked)
		_, err = e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
			ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeRefreshTokenAuth),
			AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
		})
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgRefreshRevoked)
		// Past its validity (30 days), the refresh token is expired, then
		// swept by a later sign-in.
		e.clock.advance(31 * 24 * time.Hour)
		_, err = e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
			ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeRefreshTokenAuth),
			AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
		})
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgRefreshExpired)
		if _, err := e.passwordAuth(flowPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetItem(ctx, kindRefreshToken, refreshID(e.pool, refreshHash(refresh))); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired refresh token after a sweep: %v", err)
		}
	})
}

// TestRotationRace sends one refresh token to GetTokensFromRefreshToken
// many times at once, on a client that rotates refresh tokens without a
// grace period: one request gets the new tokens, and the others are reuse,
// which revokes the family.
func TestRotationRace(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		client, err := e.pools.CreateUserPoolClient(ctx, cognito.Caller{Region: flowRegion}, &idp.CreateUserPoolClientRequest{
			UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("rotating"),
			ExplicitAuthFlows:    []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"},
			RefreshTokenRotation: &idp.RefreshTokenRotationType{Feature: cognito.Ptr(idp.FeatureTypeEnabled), RetryGracePeriodSeconds: cognito.Ptr(int32(0))},
		})
		if err != nil {
			t.Fatal(err)
		}
		id := client.UserPoolClient.ClientId
		out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
			ClientId: id, AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserPasswordAuth),
			AuthParameters: map[string]string{"USERNAME": flowUser, "PASSWORD": flowPassword},
		})
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.s.GetTokensFromRefreshToken(ctx, cognito.Caller{}, &idp.GetTokensFromRefreshTokenRequest{
					ClientId: id, RefreshToken: out.AuthenticationResult.RefreshToken,
				})
			})
		}
		wg.Wait()
		codes := map[string]int{}
		for _, err := range errs {
			var ce *cognito.Error
			switch {
			case err == nil:
				codes["ok"]++
			case errors.As(err, &ce):
				codes[ce.Code]++
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if codes["ok"] != 1 || codes[cognito.CodeRefreshTokenReuseException] < 1 || codes["ok"]+codes[cognito.CodeRefreshTokenReuseException]+codes[cognito.CodeNotAuthorizedException] != n {
			t.Errorf("answers %v, want one success and reuse (or revoked) for the rest", codes)
		}
	})
}

// TestPasswordSignInRebuildsSRPVerifier checks that a user without an SRP
// verifier (a password set before verifiers, or a lost encryption key) gets
// one from the next password sign-in.
func TestPasswordSignInRebuildsSRPVerifier(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.users.LookupUser(ctx, pool, flowUser)
		if err != nil || u == nil {
			t.Fatalf("LookupUser: %v %v", u, err)
		}
		// Drop the stored verifier, as a record from before verifiers has none.
		err = e.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := tx.GetItem(ctx, "user", u.Sub)
			if err != nil {
				return err
			}
			var rec map[string]any
			if err := json.Unmarshal(it.Data, &rec); err != nil {
				return err
			}
			delete(rec, "srp_verifier")
			if it.Data, err = json.Marshal(rec); err != nil {
				return err
			}
			return tx.UpdateItem(ctx, it)
		})
		if err != nil {
			t.Fatal(err)
		}
		if u, _ = e.users.LookupUser(ctx, pool, flowUser); u.SRPVerifier != "" {
			t.Fatal("the verifier was not dropped")
		}
		if _, err := e.passwordAuth(flowPassword); err != nil {
			t.Fatal(err)
		}
		u, _ = e.users.LookupUser(ctx, pool, flowUser)
		if _, err := e.s.verifiers.Open(e.pool, u.Sub, u.SRPVerifier); err != nil {
			t.Errorf("after a password sign-in the verifier does not open: %v", err)
		}
	})
}
