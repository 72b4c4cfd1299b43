package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// srpStart runs USER_SRP_AUTH for flowUser and returns the test client and
// the PASSWORD_VERIFIER challenge's parameters.
func (e *flowEnv) srpStart(t *testing.T) (*srpTestClient, map[string]string) {
	t.Helper()
	c := newSRPTestClient(t)
	out, err := e.s.InitiateAuth(context.Background(), userpool.Caller{}, &idp.InitiateAuthRequest{
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
	ts, sig := c.respond(t, SRPPoolName(e.pool), user, password, params["SALT"], params["SRP_B"], block, e.clock.Now())
	return e.s.RespondToAuthChallenge(context.Background(), userpool.Caller{}, &idp.RespondToAuthChallengeRequest{
		ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
		ChallengeResponses: map[string]string{
			"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
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
	ctx := context.Background()
	pool, err := e.pools.SignInPool(ctx, userpool.Caller{Region: flowRegion}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.pools.LookupUser(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.store.GetItem(ctx, kindAuthSession, lockoutID(e.pool, u.Sub))
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
				ts, sig := c.respond(t, SRPPoolName(e.pool), params["USER_ID_FOR_SRP"], flowPassword, params["SALT"], params["SRP_B"], params["SECRET_BLOCK"], e.clock.Now())
				_, err := e.s.RespondToAuthChallenge(context.Background(), userpool.Caller{}, &idp.RespondToAuthChallengeRequest{
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
		other, err := NewSRPServer(SRPVerifier{Salt: []byte{1}, Verifier: srpG})
		if err != nil {
			t.Fatal(err)
		}
		wrongB := reseal(params["SECRET_BLOCK"], func(st *flowState) { st.SRPPublic = other.Public() })
		_, err = e.srpAnswer(t, c, params, wrongB, flowPassword)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
	})
}
