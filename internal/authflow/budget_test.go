package authflow

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
)

// signInBudget is what one call of a sign-in flow may do to the store,
// counted over every service the call goes through (the user pools, the
// tokens and the engine; storeProbe).
type signInBudget struct {
	// Calls is the most store calls the step may make: reads outside
	// transactions, transactions, and the reads and writes in them.
	Calls int
	// Txs is how many transactions it runs, and Writes what they write,
	// as "<op> <kind>".
	Txs    int
	Writes map[string]int
	// Changes is how many change-log rows it leaves, by entity.
	Changes map[string]int
}

// changeLog reads the change log after seq and returns its rows by
// entity, and the last seq.
func (e *flowEnv) changeLog(t *testing.T, seq int64) (map[string]int, int64) {
	t.Helper()
	out := map[string]int{}
	for {
		rows, err := e.store.Changes(context.Background(), seq, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rows {
			out[string(c.Entity)]++
			seq = c.Seq
		}
		if len(rows) < 1000 {
			return out, seq
		}
	}
}

// TestSignInBudget runs every sign-in flow once warm, on both stores, and
// holds each step to its budget of store calls, transactions, writes and
// change-log rows, so that a change that adds a round trip or a
// transaction to sign-in shows here rather than only in a benchmark:
//
//   - a password (USER_PASSWORD_AUTH, USER_AUTH's PASSWORD) writes in two
//     transactions: the lockout's count before the hash (so that
//     parallel wrong passwords compute at most five hashes), then the token
//     family, the refresh token, the attempt taken back and the sign-in
//     event in one;
//   - USER_SRP_AUTH's InitiateAuth writes nothing (b and B travel sealed in
//     the SECRET_BLOCK); its answer checks the proof first, then uses the
//     block up, reads the lockout counter and issues tokens in one
//     transaction;
//   - opening SELECT_CHALLENGE writes nothing (in a pool that allows
//     passkeys, it reads whether the user has one);
//   - REFRESH_TOKEN_AUTH writes nothing;
//   - a wrong password writes the count alone; a wrong SRP proof the count
//     and the block's use, in one transaction;
//   - with software-token MFA on, the SRP answer opens SOFTWARE_TOKEN_MFA
//     in the one transaction that uses the block up, and a right code's
//     answer writes in one: the Session's use, the TOTP step, the tokens
//     and the event (only a wrong code is counted against its Session, in
//     a transaction of its own; the right one's transaction creates the
//     Session's counter, which serializes it with wrong answers racing it
//     on a store that runs writers at once).
//
// The flow markers, lockout counters and sign-in events are of local kinds
// (storage.Local), so the change log gets only the token family and the
// refresh token of a sign-in.
//
// The clock stands still, so no sweep is due once the first sign-ins have
// swept.
func TestSignInBudget(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		c := cognito.Caller{Region: flowRegion}
		// The first sign-ins create the pool's signing keys, and sweep.
		out, err := e.passwordAuth(flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
		warm, err := e.srpSignIn(t, flowPassword)
		wantTokens(t, warm.AuthenticationResult, err)
		_, seq := e.changeLog(t, 0)

		var (
			srpClient *srpTestClient
			srpParams map[string]string
			session   string
			refresh   string
			// totpSecret is the user's software token, once MFA is on.
			totpSecret string
		)
		tokensOut := func(res *idp.AuthenticationResultType, err error) error {
			if err != nil {
				return err
			}
			if res == nil || res.AccessToken == nil {
				return fmt.Errorf("no tokens: %+v", res)
			}
			if res.RefreshToken != nil {
				refresh = *res.RefreshToken
			}
			return nil
		}
		password := signInBudget{
			Calls: 11, Txs: 2,
			Writes:  map[string]int{"create auth_session": 1, "delete auth_session": 1, "create token_family": 1, "create refresh_token": 1},
			Changes: map[string]int{"token_family": 1, "refresh_token": 1},
		}
		steps := []budgetStep{
			{"USER_PASSWORD_AUTH", func() error {
				out, err := e.passwordAuth(flowPassword)
				if err != nil {
					return err
				}
				return tokensOut(out.AuthenticationResult, nil)
			}, func() signInBudget { return password }},
			{"USER_SRP_AUTH InitiateAuth", func() error {
				srpClient, srpParams = e.srpStart(t)
				return nil
			}, func() signInBudget {
				// The client, the user and the pool. USER_SRP_AUTH answers
				// PASSWORD_VERIFIER whatever first factors the pool allows,
				// so it reads none of the user's passkeys.
				return signInBudget{Calls: 3, Writes: map[string]int{}, Changes: map[string]int{}}
			}},
			{"USER_SRP_AUTH RespondToAuthChallenge", func() error {
				res, err := e.srpAnswer(t, srpClient, srpParams, srpParams["SECRET_BLOCK"], flowPassword)
				if err != nil {
					return err
				}
				return tokensOut(res.AuthenticationResult, nil)
			}, func() signInBudget {
				// The user and the SECRET_BLOCK's use marker are read in
				// one store call (readTogether), with the user's
				// groups.
				return signInBudget{
					Calls: 8, Txs: 1,
					Writes: map[string]int{
						"create use_marker": 1, "create token_family": 1, "create refresh_token": 1,
					},
					Changes: map[string]int{"token_family": 1, "refresh_token": 1},
				}
			}},
			{"USER_AUTH InitiateAuth", func() error {
				out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
					ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserAuth),
					AuthParameters: map[string]string{"USERNAME": flowUser},
				})
				if err != nil {
					return err
				}
				session = cognito.Deref(out.Session)
				return nil
			}, func() signInBudget {
				// The client, the user, the pool, and (the pool allows
				// WEB_AUTHN) the user's passkeys, to offer it or not.
				return signInBudget{Calls: 4, Writes: map[string]int{}, Changes: map[string]int{}}
			}},
			{"USER_AUTH SELECT_CHALLENGE PASSWORD", func() error {
				res, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
					ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeSelectChallenge), Session: cognito.Ptr(session),
					ChallengeResponses: map[string]string{"USERNAME": flowUser, "ANSWER": "PASSWORD", "PASSWORD": flowPassword},
				})
				if err != nil {
					return err
				}
				return tokensOut(res.AuthenticationResult, nil)
			}, func() signInBudget {
				b := password
				b.Calls++ // the used marker
				b.Writes = map[string]int{"create auth_session": 1, "create use_marker": 1, "delete auth_session": 1, "create token_family": 1, "create refresh_token": 1}
				b.Changes = map[string]int{"token_family": 1, "refresh_token": 1}
				return b
			}},
			{"REFRESH_TOKEN_AUTH", func() error {
				out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
					ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeRefreshTokenAuth),
					AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
				})
				if err != nil {
					return err
				}
				return tokensOut(out.AuthenticationResult, nil)
			}, func() signInBudget {
				// The user and the token's family in one store call, with
				// the user's groups.
				return signInBudget{Calls: 4, Writes: map[string]int{}, Changes: map[string]int{}}
			}},
			{"wrong password", func() error {
				_, err := e.passwordAuth("Wrong-Horse-1")
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
				return nil
			}, func() signInBudget {
				return signInBudget{Calls: 6, Txs: 1, Writes: map[string]int{"create auth_session": 1}, Changes: map[string]int{}}
			}},
			{"USER_SRP_AUTH InitiateAuth for a wrong proof", func() error {
				srpClient, srpParams = e.srpStart(t)
				return nil
			}, nil},
			{"wrong SRP proof", func() error {
				_, err := e.srpAnswer(t, srpClient, srpParams, srpParams["SECRET_BLOCK"], "Wrong-Horse-1")
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
				return nil
			}, func() signInBudget {
				// The block used up and the count, in one transaction.
				return signInBudget{
					Calls: 7, Txs: 1, Writes: map[string]int{"create use_marker": 1, "update auth_session": 1},
					Changes: map[string]int{},
				}
			}},
			{"USER_PASSWORD_AUTH after a wrong one", func() error {
				out, err := e.passwordAuth(flowPassword)
				if err != nil {
					return err
				}
				return tokensOut(out.AuthenticationResult, nil)
			}, func() signInBudget {
				b := password
				b.Writes = map[string]int{"update auth_session": 1, "delete auth_session": 1, "create token_family": 1, "create refresh_token": 1}
				return b
			}},
			{"record auth events", func() error {
				_, err := e.pools.UpdateUserPool(ctx, c, &idp.UpdateUserPoolRequest{
					UserPoolId: cognito.Ptr(e.pool), UserPoolTier: cognito.Ptr(idp.UserPoolTierType("PLUS")),
					UserPoolAddOns: &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeTypeAudit)},
				})
				return err
			}, nil},
			{"USER_PASSWORD_AUTH recording its event", func() error {
				out, err := e.passwordAuth(flowPassword)
				if err != nil {
					return err
				}
				return tokensOut(out.AuthenticationResult, nil)
			}, func() signInBudget {
				b := password
				// The event, and the risk configuration read (threat
				// protection's decision, risk.go).
				b.Calls += 2
				b.Writes = map[string]int{"create auth_session": 1, "delete auth_session": 1, "create token_family": 1, "create refresh_token": 1, "create auth_event": 1}
				// The event is an item of a local kind: it stays out of
				// the change log, like the flow markers and lockout
				// counters.
				b.Changes = map[string]int{"token_family": 1, "refresh_token": 1}
				return b
			}},
			{"turn software-token MFA on for the user", func() error {
				totpSecret = e.mfaUser(t, flowUser, directory.MFASoftwareToken)
				return nil
			}, nil},
			{"USER_SRP_AUTH InitiateAuth before MFA", func() error {
				srpClient, srpParams = e.srpStart(t)
				return nil
			}, nil},
			{"USER_SRP_AUTH RespondToAuthChallenge opening SOFTWARE_TOKEN_MFA", func() error {
				res, err := e.srpAnswer(t, srpClient, srpParams, srpParams["SECRET_BLOCK"], flowPassword)
				if err != nil {
					return err
				}
				if res.ChallengeName == nil || *res.ChallengeName != idp.ChallengeNameTypeSoftwareTokenMfa {
					return fmt.Errorf("answer %+v, want SOFTWARE_TOKEN_MFA", res)
				}
				session = cognito.Deref(res.Session)
				return nil
			}, func() signInBudget {
				// The block used up, the counter read, in the one
				// transaction that opens the challenge; the risk
				// configuration read before (risk.go).
				return signInBudget{Calls: 7, Txs: 1, Writes: map[string]int{"create use_marker": 1}, Changes: map[string]int{}}
			}},
			{"SOFTWARE_TOKEN_MFA", func() error {
				code, err := mfa.Code(totpSecret, e.clock.Now())
				if err != nil {
					return err
				}
				res, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
					ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeSoftwareTokenMfa), Session: cognito.Ptr(session),
					ChallengeResponses: map[string]string{"USERNAME": flowUser, "SOFTWARE_TOKEN_MFA_CODE": code},
				})
				if err != nil {
					return err
				}
				return tokensOut(res.AuthenticationResult, nil)
			}, func() signInBudget {
				// The user, the Session's use marker and answers, both
				// lockouts and the user's last TOTP step read in one store
				// call (readTogether; with the user's groups), then read again in the one transaction
				// that creates the Session's counter, uses the Session up
				// and writes the TOTP step (an item of its own, not the
				// user), the tokens and the event. The step replicates, so
				// that a code used in one region is refused in the others. The clock moved on to the next
				// TOTP step when the token was set up, so the sweeps of
				// expired tokens are due again (two index scans).
				return signInBudget{
					Calls: 18, Txs: 1,
					Writes: map[string]int{
						"create auth_session": 1, "create use_marker": 1, "create totp_step": 1, "create token_family": 1, "create refresh_token": 1, "create auth_event": 1,
					},
					Changes: map[string]int{"totp_step": 1, "token_family": 1, "refresh_token": 1},
				}
			}},
		}
		seq = e.checkBudgets(t, seq, steps)
		if n := e.failures(t, flowUser); n != 0 {
			t.Errorf("%d failures counted after right passwords", n)
		}
	})
}

// budgetStep is one call of TestSignInBudget: run makes it, want is its
// budget (nil for a step that sets the next up, uncounted).
type budgetStep struct {
	name string
	run  func() error
	want func() signInBudget
}

// checkBudgets runs the steps in order and holds each to its budget; seq
// is the change log's last seq before the first, and the last after them
// is returned.
func (e *flowEnv) checkBudgets(t *testing.T, seq int64, steps []budgetStep) int64 {
	t.Helper()
	for _, step := range steps {
		e.probe.take()
		if err := step.run(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := e.probe.take()
		var changes map[string]int
		changes, seq = e.changeLog(t, seq)
		if step.want == nil {
			continue
		}
		want := step.want()
		if diff := cmp.Diff(want.Txs, got.Txs); diff != "" {
			t.Errorf("%s: transactions (-want +got):\n%s\ncalls: %v\nin transactions: %v", step.name, diff, got.Calls, got.TxReads)
		}
		if diff := cmp.Diff(want.Writes, got.Writes); diff != "" {
			t.Errorf("%s: writes (-want +got):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(want.Changes, changes); diff != "" {
			t.Errorf("%s: change-log rows (-want +got):\n%s", step.name, diff)
		}
		if n := got.calls(); n > want.Calls {
			t.Errorf("%s: %d store calls, budget %d\noutside transactions: %v\nin transactions: %v, writes %v", step.name, n, want.Calls, got.Calls, got.TxReads, got.Writes)
		} else if n < want.Calls {
			t.Logf("%s: %d store calls, under the budget of %d: %v", step.name, n, want.Calls, got.Calls)
		}
	}
	return seq
}
