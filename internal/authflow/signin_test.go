package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// srpStart runs USER_SRP_AUTH for flowUser and returns the test client and
// the PASSWORD_VERIFIER challenge's parameters.
func (e *flowEnv) srpStart(t *testing.T) (*srpTestClient, map[string]string) {
	t.Helper()
	c := newSRPTestClient(t)
	out, err := e.s.InitiateAuth(context.Background(), cognito.Caller{}, &idp.InitiateAuthRequest{
		ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserSrpAuth),
		AuthParameters: map[string]string{"USERNAME": flowUser, "SRP_A": c.A.Text(16)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cognito.Deref(out.ChallengeName) != idp.ChallengeNameTypePasswordVerifier {
		t.Fatalf("USER_SRP_AUTH = %+v, want PASSWORD_VERIFIER", out)
	}
	return c, out.ChallengeParameters
}

// srpAnswer answers PASSWORD_VERIFIER with the claim the client makes for
// password over block (the challenge's SECRET_BLOCK, or another).
func (e *flowEnv) srpAnswer(t *testing.T, c *srpTestClient, params map[string]string, block, password string) (*idp.RespondToAuthChallengeResponse, error) {
	t.Helper()
	user := params["USER_ID_FOR_SRP"]
	ts, sig := c.respond(t, srp.PoolName(e.pool), user, password, params["SALT"], params["SRP_B"], block, e.clock.Now())
	return e.s.RespondToAuthChallenge(context.Background(), cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
		ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
		ChallengeResponses: map[string]string{
			"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
}

// srpSignIn runs both steps of USER_SRP_AUTH with password.
func (e *flowEnv) srpSignIn(t *testing.T, password string) (*idp.RespondToAuthChallengeResponse, error) {
	t.Helper()
	c, params := e.srpStart(t)
	return e.srpAnswer(t, c, params, params["SECRET_BLOCK"], password)
}

// wantTokens fails unless a sign-in ended in tokens.
func wantTokens(t *testing.T, res *idp.AuthenticationResultType, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if res == nil || cognito.Deref(res.AccessToken) == "" || cognito.Deref(res.RefreshToken) == "" {
		t.Fatalf("sign-in answered %+v, want tokens", res)
	}
}

// failures returns the user's stored failure count, 0 when there is none.
func (e *flowEnv) failures(t *testing.T, username string) int {
	t.Helper()
	return e.countOf(t, username, lockoutID)
}

// countOf returns the count of the user's counter item (lockoutID,
// mfaLockoutID), 0 when there is none.
func (e *flowEnv) countOf(t *testing.T, username string, counter func(pool, sub string) string) int {
	t.Helper()
	ctx := context.Background()
	pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.users.LookupUser(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.store.GetItem(ctx, kindAuthSession, counter(e.pool, u.Sub))
	if errors.Is(err, storage.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var rec lockoutRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Failures
}

// failuresToLockout is how many wrong passwords in a row lock a user out
// (for a second, then twice as long after each further failure), as
// Cognito documents.
const failuresToLockout = 5

// TestPasswordLockoutClears checks USER_PASSWORD_AUTH's lockout: a right
// password takes back the failures before it, so only failures in a row
// lock the user out, and a locked-out attempt computes no hash.
func TestPasswordLockoutClears(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		for round := range 2 {
			for range failuresToLockout - 1 {
				_, err := e.passwordAuth("Wrong-Horse-1")
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
			}
			if n := e.failures(t, flowUser); n != failuresToLockout-1 {
				t.Fatalf("round %d: %d failures counted, want %d", round, n, failuresToLockout-1)
			}
			out, err := e.passwordAuth(flowPassword)
			wantTokens(t, out.AuthenticationResult, err)
			if n := e.failures(t, flowUser); n != 0 {
				t.Fatalf("round %d: %d failures counted after a right password", round, n)
			}
		}
		for range failuresToLockout {
			_, err := e.passwordAuth("Wrong-Horse-1")
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
		}
		hashes := e.hashes.Load()
		_, err := e.passwordAuth(flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
		if e.hashes.Load() != hashes {
			t.Error("a locked-out attempt computed a hash")
		}
		e.clock.advance(time.Second)
		out, err := e.passwordAuth(flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
	})
}

// TestSRPLockout checks that PASSWORD_VERIFIER answers count toward the
// lockout like passwords: five wrong proofs in a row lock the user out,
// the right proof is then refused (and its SECRET_BLOCK used up), and once
// the lockout has passed a right proof signs in and takes the count back.
func TestSRPLockout(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		for range failuresToLockout {
			_, err := e.srpSignIn(t, "Wrong-Horse-1")
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
		}
		if n := e.failures(t, flowUser); n != failuresToLockout {
			t.Fatalf("%d failures counted, want %d", n, failuresToLockout)
		}
		c, params := e.srpStart(t)
		_, err := e.srpAnswer(t, c, params, params["SECRET_BLOCK"], flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
		// Locked out of USER_PASSWORD_AUTH too.
		_, err = e.passwordAuth(flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)

		e.clock.advance(time.Second)
		_, err = e.srpAnswer(t, c, params, params["SECRET_BLOCK"], flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
		if n := e.failures(t, flowUser); n != failuresToLockout {
			t.Fatalf("%d failures counted after a refused attempt, want %d", n, failuresToLockout)
		}
		out, err := e.srpSignIn(t, flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
		if n := e.failures(t, flowUser); n != 0 {
			t.Fatalf("%d failures counted after a right proof", n)
		}
		for range failuresToLockout - 1 {
			_, err := e.srpSignIn(t, "Wrong-Horse-1")
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
		}
		out, err = e.srpSignIn(t, flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
	})
}

// TestSRPSecretBlockSingleUse checks that a SECRET_BLOCK answers once:
// after a right answer, after a wrong one (which counts), and when many
// answers race.
func TestSRPSecretBlockSingleUse(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		c, params := e.srpStart(t)
		block := params["SECRET_BLOCK"]
		out, err := e.srpAnswer(t, c, params, block, flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
		_, err = e.srpAnswer(t, c, params, block, flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)

		c, params = e.srpStart(t)
		block = params["SECRET_BLOCK"]
		_, err = e.srpAnswer(t, c, params, block, "Wrong-Horse-1")
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
		_, err = e.srpAnswer(t, c, params, block, flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
		if n := e.failures(t, flowUser); n != 1 {
			t.Errorf("%d failures counted, want the wrong answer's only", n)
		}

		c, params = e.srpStart(t)
		var wins atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ts, sig := c.respond(t, srp.PoolName(e.pool), params["USER_ID_FOR_SRP"], flowPassword, params["SALT"], params["SRP_B"], params["SECRET_BLOCK"], e.clock.Now())
				_, err := e.s.RespondToAuthChallenge(context.Background(), cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
					ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
					ChallengeResponses: map[string]string{
						"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
						"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
					},
				})
				if err == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent answers to one SECRET_BLOCK signed in, want 1", wins.Load())
		}
	})
}

// TestSRPStateWithoutB checks the SECRET_BLOCK formats: a state sealed by
// a server that did not keep B (B is computed again from b) still signs
// in, and a state that keeps B is answered with that B, not one computed
// again (a block resealed with another attempt's B fails the right
// password).
func TestSRPStateWithoutB(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		reseal := func(block string, edit func(st *flowState)) string {
			t.Helper()
			st, err := e.s.readFlow(block, purposeSecretBlock, e.pool, e.client)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.SRPPublic) != srpGroupLen {
				t.Fatalf("the state keeps a B of %d bytes, want %d", len(st.SRPPublic), srpGroupLen)
			}
			edit(st)
			out, err := e.s.sealState(st, purposeSecretBlock)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}

		c, params := e.srpStart(t)
		old := reseal(params["SECRET_BLOCK"], func(st *flowState) { st.SRPPublic = nil })
		plain, err := e.s.state.OpenString(purposeSecretBlock, old)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(plain), "srp_pub") || !strings.Contains(string(plain), `"srp_b"`) {
			t.Fatalf("the resealed state is not in the format without B: %s", plain)
		}
		out, err := e.srpAnswer(t, c, params, old, flowPassword)
		wantTokens(t, out.AuthenticationResult, err)

		c, params = e.srpStart(t)
		other, err := srp.NewServer(srp.Verifier{Salt: []byte{1}, Verifier: big.NewInt(2)})
		if err != nil {
			t.Fatal(err)
		}
		wrongB := reseal(params["SECRET_BLOCK"], func(st *flowState) { st.SRPPublic = other.Public() })
		_, err = e.srpAnswer(t, c, params, wrongB, flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
	})
}

// TestRightPasswordWithoutTokens checks that a right password that leads
// to a challenge or an exception instead of tokens still takes its attempt
// back: NEW_PASSWORD_REQUIRED in the transaction that opens the challenge,
// an expired temporary password on its own.
func TestRightPasswordWithoutTokens(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		const temporary = "Temporary-Horse-1"
		for _, name := range []string{"bob", "cat"} {
			if _, err := e.users.AdminCreateUser(ctx, cognito.Caller{Region: flowRegion}, &idp.AdminCreateUserRequest{
				UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(name), TemporaryPassword: cognito.Ptr(temporary),
				MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
			}); err != nil {
				t.Fatal(err)
			}
		}
		auth := func(name, password string) (*idp.InitiateAuthResponse, error) {
			return e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
				ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserPasswordAuth),
				AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
			})
		}
		for _, name := range []string{"bob", "cat"} {
			for range 2 {
				_, err := auth(name, "Wrong-Horse-1")
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
			}
		}
		c := e.count()
		out, err := auth("bob", temporary)
		if err != nil || cognito.Deref(out.ChallengeName) != idp.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("right temporary password = %+v, %v; want NEW_PASSWORD_REQUIRED", out, err)
		}
		want := storeCounts{Txs: 2, Writes: map[string]int{"update auth_session": 1, "delete auth_session": 1}}
		got := c.take()
		got.Scans, got.Sweeps = 0, 0 // the first flow of the run sweeps
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("NEW_PASSWORD_REQUIRED (-want +got):\n%s", diff)
		}
		if n := e.failures(t, "bob"); n != 0 {
			t.Errorf("%d failures counted after NEW_PASSWORD_REQUIRED", n)
		}

		e.clock.advance(8 * 24 * time.Hour)
		_, err = auth("cat", temporary)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgTemporaryExpired)
		if n := e.failures(t, "cat"); n != 0 {
			t.Errorf("%d failures counted after a right, expired temporary password", n)
		}
	})
}

// TestRefreshReuseWithoutRotation checks that REFRESH_TOKEN_AUTH, which
// writes nothing on its own, still treats a token retired by an earlier
// rotation as reuse: the family is revoked.
func TestRefreshReuseWithoutRotation(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		c := cognito.Caller{Region: flowRegion}
		flows := []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
		client, err := e.pools.CreateUserPoolClient(ctx, c, &idp.CreateUserPoolClientRequest{
			UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("rotating"), ExplicitAuthFlows: flows,
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
		wantTokens(t, out.AuthenticationResult, err)
		retired := out.AuthenticationResult.RefreshToken
		rotated, err := e.s.GetTokensFromRefreshToken(ctx, cognito.Caller{}, &idp.GetTokensFromRefreshTokenRequest{ClientId: id, RefreshToken: retired})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pools.UpdateUserPoolClient(ctx, c, &idp.UpdateUserPoolClientRequest{
			UserPoolId: cognito.Ptr(e.pool), ClientId: id, ExplicitAuthFlows: flows,
		}); err != nil {
			t.Fatal(err)
		}
		refresh := func(token *string) error {
			_, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
				ClientId: id, AuthFlow: cognito.Ptr(idp.AuthFlowTypeRefreshTokenAuth),
				AuthParameters: map[string]string{"REFRESH_TOKEN": cognito.Deref(token)},
			})
			return err
		}
		if err := refresh(rotated.AuthenticationResult.RefreshToken); err != nil {
			t.Fatalf("the current token after rotation was turned off: %v", err)
		}
		wantCognito(t, refresh(retired), cognito.CodeRefreshTokenReuseException, msgRefreshReused)
		wantCognito(t, refresh(rotated.AuthenticationResult.RefreshToken), cognito.CodeNotAuthorizedException, msgRefreshRevoked)
		_, err = e.s.AuthenticateAccessToken(ctx, cognito.Deref(rotated.AuthenticationResult.AccessToken))
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgAccessRevoked)
	})
}

// TestSessionAnsweredOnceConcurrently answers one SELECT_CHALLENGE Session
// eight times at once with the right password: the Session's use marker,
// which the store keeps unique, lets exactly one sign in, and every other
// answer is told the Session was used.
func TestSessionAnsweredOnceConcurrently(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
			ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserAuth),
			AuthParameters: map[string]string{"USERNAME": flowUser},
		})
		if err != nil {
			t.Fatal(err)
		}
		const answers = 8
		errs := make([]error, answers)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				_, errs[i] = e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
					ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeSelectChallenge), Session: out.Session,
					ChallengeResponses: map[string]string{"USERNAME": flowUser, "ANSWER": "PASSWORD", "PASSWORD": flowPassword},
				})
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeNotAuthorizedException || ce.Message != msgSessionUsed {
				t.Errorf("a concurrent answer got %v, want NotAuthorizedException %q", err, msgSessionUsed)
			}
		}
		if wins != 1 {
			t.Errorf("%d of %d concurrent answers to one Session signed in, want 1", wins, answers)
		}
		if n := e.failures(t, flowUser); n != 0 {
			t.Errorf("%d failures counted after the answers, want none", n)
		}
	})
}

// TestSRPLockoutBurst fires 50 wrong PASSWORD_VERIFIER answers at once,
// each to a SECRET_BLOCK of its own InitiateAuth and from an address of its
// own, and a right one once five of them have been answered. Proofs are
// checked before their attempts are counted, yet the lockout decides
// serialized on the user's counter: exactly five wrong answers learn
// "Incorrect username or password.", every other one, and the right one,
// "Password attempts exceeded", and nothing the refused answers carried
// counts. The clock is frozen, so the lockout holds for the whole burst.
func TestSRPLockoutBurst(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		const burst = 50
		type answer struct {
			req *idp.RespondToAuthChallengeRequest
			ctx context.Context
		}
		prepare := func(i int, password string) answer {
			c, params := e.srpStart(t)
			user := params["USER_ID_FOR_SRP"]
			ts, sig := c.respond(t, srp.PoolName(e.pool), user, password, params["SALT"], params["SRP_B"], params["SECRET_BLOCK"], e.clock.Now())
			return answer{
				req: &idp.RespondToAuthChallengeRequest{
					ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
					ChallengeResponses: map[string]string{
						"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
					},
				},
				ctx: ratelimit.WithClientAddr(context.Background(), netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})),
			}
		}
		wrong := make([]answer, burst)
		for i := range wrong {
			wrong[i] = prepare(i, "Wrong-Horse-1")
		}
		right := prepare(burst, flowPassword)

		errs := make([]error, burst)
		var (
			answered atomic.Int64
			limit    = make(chan struct{})
			rightErr error
			wg       sync.WaitGroup
		)
		for i, a := range wrong {
			wg.Go(func() {
				_, errs[i] = e.s.RespondToAuthChallenge(a.ctx, cognito.Caller{}, a.req)
				if answered.Add(1) == failuresToLockout {
					close(limit)
				}
			})
		}
		wg.Go(func() {
			<-limit
			_, rightErr = e.s.RespondToAuthChallenge(right.ctx, cognito.Caller{}, right.req)
		})
		wg.Wait()

		counts := map[string]int{}
		for _, err := range errs {
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeNotAuthorizedException {
				t.Fatalf("a wrong answer got %v, want NotAuthorizedException", err)
			}
			counts[ce.Message]++
		}
		if counts[msgIncorrectPassword] != failuresToLockout || counts[msgPasswordAttempts] != burst-failuresToLockout {
			t.Errorf("answers %v, want %d %q and the rest %q", counts, failuresToLockout, msgIncorrectPassword, msgPasswordAttempts)
		}
		wantCognito(t, rightErr, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
		if n := e.failures(t, flowUser); n != failuresToLockout {
			t.Errorf("%d failures counted, want %d", n, failuresToLockout)
		}
		// Every block of the burst was used up, the refused ones too.
		for _, a := range append(wrong[:3:3], right) {
			_, err := e.s.RespondToAuthChallenge(a.ctx, cognito.Caller{}, a.req)
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
		}
		e.clock.advance(time.Second)
		out, err := e.srpSignIn(t, flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
		if n := e.failures(t, flowUser); n != 0 {
			t.Errorf("%d failures counted after a right proof", n)
		}
	})
}
