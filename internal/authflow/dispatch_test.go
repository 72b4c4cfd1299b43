package authflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/srp"
)

// The tests in this file run the dispatcher's shared phases once for every
// challenge in the table (challenges), through a challengeCase that brings
// a flow to that challenge and answers it.

// challengeCase drives one challenge of the table.
type challengeCase struct {
	// secret says the answer carries a secret (a password or an SRP proof)
	// that the shared phases check: lockout, existence shadow and the
	// pre-authentication hook apply.
	secret bool
	// temporary says the user must start with a temporary password
	// (NEW_PASSWORD_REQUIRED).
	temporary bool
	// mfa says the challenge is a second factor (mfa_test.go): open signs
	// the user in with its password up to it, and the answer given
	// flowPassword is the right one (the code sent, a TOTP code), any
	// other a wrong one.
	mfa bool
	// fresh says a user that answered the challenge once cannot reach it
	// again (MFA_SETUP sets a factor up): a second sign-in needs a new
	// user.
	fresh bool
	// custom says the challenge is a custom one (CUSTOM_CHALLENGE,
	// custom_test.go): its answer is right when it is flowPassword, and
	// it uses its Session up like a second factor's.
	custom bool
	// open runs a flow of user with client up to the challenge and returns
	// a function that answers that one state with secret (the password,
	// or the new password of NEW_PASSWORD_REQUIRED) and returns the step's
	// Step: tokens, or the error.
	open func(t *testing.T, e *flowEnv, client, user string) func(secret string) (*Step, error)
}

// challengeCases are the cases, by ChallengeName. Every challenge in the
// table must have one (tableCases fails otherwise), so a challenge added to
// the table runs these tests.
var challengeCases = map[idp.ChallengeNameType]challengeCase{
	idp.ChallengeNameTypePasswordVerifier: {secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		c := newSRPTestClient(t)
		o := e.start(t, client, idp.AuthFlowTypeUserSrpAuth, map[string]string{"USERNAME": user, "SRP_A": c.A.Text(16)})
		return func(secret string) (*Step, error) { return e.answerVerifier(t, c, client, o.Params, secret) }
	}},
	idp.ChallengeNameTypeSelectChallenge: {secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		o := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": user})
		return func(secret string) (*Step, error) {
			return e.answer(client, idp.ChallengeNameTypeSelectChallenge, o.Session, map[string]string{"USERNAME": user, "ANSWER": "PASSWORD", "PASSWORD": secret})
		}
	}},
	idp.ChallengeNameTypePassword: {secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		o := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": user})
		return func(secret string) (*Step, error) {
			return e.answer(client, idp.ChallengeNameTypePassword, o.Session, map[string]string{"USERNAME": user, "PASSWORD": secret})
		}
	}},
	// PASSWORD_SRP opens PASSWORD_VERIFIER; its answer is the proof that
	// follows.
	idp.ChallengeNameTypePasswordSrp: {secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		o := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": user})
		return func(secret string) (*Step, error) {
			c := newSRPTestClient(t)
			pv, err := e.answer(client, idp.ChallengeNameTypePasswordSrp, o.Session, map[string]string{"USERNAME": user, "SRP_A": c.A.Text(16)})
			if err != nil {
				return nil, err
			}
			if pv.Challenge != idp.ChallengeNameTypePasswordVerifier {
				t.Fatalf("PASSWORD_SRP = %+v, want PASSWORD_VERIFIER", pv)
			}
			return e.answerVerifier(t, c, client, pv.Params, secret)
		}
	}},
	idp.ChallengeNameTypeNewPasswordRequired: {temporary: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		o := e.start(t, client, idp.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": user, "PASSWORD": temporaryPassword})
		if o.Challenge != idp.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("temporary password = %+v, want NEW_PASSWORD_REQUIRED", o)
		}
		return func(secret string) (*Step, error) {
			return e.answer(client, idp.ChallengeNameTypeNewPasswordRequired, o.Session, map[string]string{"USERNAME": user, "NEW_PASSWORD": secret})
		}
	}},
}

const temporaryPassword = "Temporary-Horse-1"

// tableCases returns the challenges of the table in a stable order, and
// fails when one has no case.
func tableCases(t *testing.T) []idp.ChallengeNameType {
	t.Helper()
	names := slices.Sorted(maps.Keys(challenges))
	for _, name := range names {
		if _, ok := challengeCases[name]; !ok {
			t.Fatalf("challenge %s of the table has no challengeCase", name)
		}
	}
	return names
}

// start runs InitiateAuth and fails unless it opened a challenge.
func (e *flowEnv) start(t *testing.T, client string, flow idp.AuthFlowType, params map[string]string) *Step {
	t.Helper()
	o, err := e.s.initiate(context.Background(), cognito.Caller{}, "", client, flow, params, false)
	if err != nil {
		t.Fatalf("%s: %v", flow, err)
	}
	if o.Challenge == "" {
		t.Fatalf("%s = %+v, want a challenge", flow, o)
	}
	return o
}

// answer runs RespondToAuthChallenge.
func (e *flowEnv) answer(client string, name idp.ChallengeNameType, session string, responses map[string]string) (*Step, error) {
	return e.s.respond(context.Background(), cognito.Caller{}, "", client, name, session, responses, false)
}

// answerVerifier answers PASSWORD_VERIFIER with the proof the client
// makes for password.
func (e *flowEnv) answerVerifier(t *testing.T, c *srpTestClient, client string, params map[string]string, password string) (*Step, error) {
	user, block := params["USER_ID_FOR_SRP"], params["SECRET_BLOCK"]
	ts, sig := c.respond(t, srp.PoolName(e.pool), user, password, params["SALT"], params["SRP_B"], block, e.clock.Now())
	return e.answer(client, idp.ChallengeNameTypePasswordVerifier, "", map[string]string{
		"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
	})
}

// addUser creates a user with flowPassword, or with temporaryPassword
// when temporary.
func (e *flowEnv) addUser(t *testing.T, name string, temporary bool) {
	t.Helper()
	ctx := context.Background()
	c := cognito.Caller{Region: flowRegion}
	if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(name), TemporaryPassword: cognito.Ptr(temporaryPassword),
		MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
	}); err != nil {
		t.Fatal(err)
	}
	if temporary {
		return
	}
	if _, err := e.users.AdminSetUserPassword(ctx, c, &idp.AdminSetUserPasswordRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(name), Password: cognito.Ptr(flowPassword), Permanent: cognito.Ptr(true),
	}); err != nil {
		t.Fatal(err)
	}
}

// hidingClient adds an app client that hides whether users exist
// (PreventUserExistenceErrors ENABLED).
func (e *flowEnv) hidingClient(t *testing.T) string {
	t.Helper()
	out, err := e.pools.CreateUserPoolClient(context.Background(), cognito.Caller{Region: flowRegion}, &idp.CreateUserPoolClientRequest{
		UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("hiding"),
		ExplicitAuthFlows:          []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"},
		PreventUserExistenceErrors: cognito.Ptr(idp.PreventUserExistenceErrorTypesEnabled),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cognito.Deref(out.UserPoolClient.ClientId)
}

func wantTokensOutcome(t *testing.T, o *Step, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	if o.Tokens == nil || o.Tokens.AccessToken == "" {
		t.Fatalf("answer = %+v, want tokens", o)
	}
}

// TestDispatchUseOnce checks the use-once phase for every challenge: an
// answer uses its state up whatever it finds, so the same state answered
// again, even rightly, is "session can only be used once". A secret
// challenge uses the state up on a wrong secret; NEW_PASSWORD_REQUIRED
// leaves it usable when the pool refuses the new password, and uses it up
// with the password it sets.
func TestDispatchUseOnce(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		for i, name := range tableCases(t) {
			t.Run(string(name), func(t *testing.T) {
				tc := challengeCases[name]
				user := fmt.Sprintf("once-%d", i)
				e.addUser(t, user, tc.temporary)
				answer := tc.open(t, e, e.client, user)
				if tc.secret {
					_, err := answer("Wrong-Horse-1")
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
					_, err = answer(flowPassword)
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
					return
				}
				if tc.mfa || tc.custom {
					o, err := answer(flowPassword)
					wantTokensOutcome(t, o, err)
					e.clock.advance(mfaStepTime)
					_, err = answer(flowPassword)
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
					return
				}
				_, err := answer("short")
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidPasswordException {
					t.Fatalf("a refused new password = %v, want InvalidPasswordException", err)
				}
				o, err := answer(flowPassword)
				wantTokensOutcome(t, o, err)
				_, err = answer(flowPassword)
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			})
		}
	})
}

// TestDispatchLockout checks the lockout phase for every challenge: after
// five wrong secrets in a row the right one is refused with "Password
// attempts exceeded" without a password hash being computed, through
// whichever challenge it comes. NEW_PASSWORD_REQUIRED checks no secret (its
// Session is the proof): a user locked out after the challenge opened
// still answers it.
func TestDispatchLockout(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		for i, name := range tableCases(t) {
			t.Run(string(name), func(t *testing.T) {
				tc := challengeCases[name]
				user := fmt.Sprintf("lockout-%d", i)
				e.addUser(t, user, tc.temporary)
				if !tc.secret {
					answer := tc.open(t, e, e.client, user)
					for range failuresToLockout {
						_, err := e.s.initiate(context.Background(), cognito.Caller{}, "", e.client, idp.AuthFlowTypeUserPasswordAuth,
							map[string]string{"USERNAME": user, "PASSWORD": "Wrong-Horse-1"}, false)
						wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
					}
					o, err := answer(flowPassword)
					if tc.mfa {
						// A second factor is refused while the user is
						// locked out, its code right or not.
						wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
						return
					}
					wantTokensOutcome(t, o, err)
					return
				}
				for range failuresToLockout {
					_, err := tc.open(t, e, e.client, user)("Wrong-Horse-1")
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
				}
				if n := e.failures(t, user); n != failuresToLockout {
					t.Fatalf("%d failures counted, want %d", n, failuresToLockout)
				}
				answer := tc.open(t, e, e.client, user)
				hashes := e.hashes.Load()
				_, err := answer(flowPassword)
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
				if e.hashes.Load() != hashes {
					t.Error("a locked-out answer computed a password hash")
				}
				if n := e.failures(t, user); n != failuresToLockout {
					t.Errorf("%d failures counted after a refused answer, want %d", n, failuresToLockout)
				}
				// The refused answer used its state up.
				_, err = answer(flowPassword)
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			})
		}
	})
}

// TestDispatchExistenceShadow checks the user-existence shadow for every
// challenge, with a client that hides whether users exist: a flow for a
// user that does not exist runs to its answer, which is exactly the
// wrong-password answer a real user gets, after a check of the same kind
// (a password hash for a password), and uses its state up. For
// NEW_PASSWORD_REQUIRED, which no flow of a missing user reaches, the user
// is deleted after the challenge opened: the answer sets nothing and
// issues nothing.
func TestDispatchExistenceShadow(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		client := e.hidingClient(t)
		for i, name := range tableCases(t) {
			t.Run(string(name), func(t *testing.T) {
				tc := challengeCases[name]
				if !tc.secret {
					user := fmt.Sprintf("gone-%d", i)
					e.addUser(t, user, tc.temporary)
					answer := tc.open(t, e, client, user)
					if _, err := e.users.AdminDeleteUser(context.Background(), cognito.Caller{Region: flowRegion}, &idp.AdminDeleteUserRequest{
						UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user),
					}); err != nil {
						t.Fatal(err)
					}
					o, err := answer(flowPassword)
					if err == nil {
						t.Fatalf("answer for a deleted user = %+v, want an error", o)
					}
					return
				}
				realUser := fmt.Sprintf("real-%d", i)
				e.addUser(t, realUser, false)
				_, wrong := tc.open(t, e, client, realUser)("Wrong-Horse-1")
				wantCognito(t, wrong, cognito.CodeNotAuthorizedException, msgIncorrectPassword)

				answer := tc.open(t, e, client, fmt.Sprintf("nobody-%d", i))
				hashes := e.hashes.Load()
				_, err := answer(flowPassword)
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
				if name != idp.ChallengeNameTypePasswordVerifier && name != idp.ChallengeNameTypePasswordSrp && name != idp.ChallengeNameTypeDeviceSrpAuth && name != idp.ChallengeNameTypeDevicePasswordVerifier {
					if n := e.hashes.Load() - hashes; n != 1 {
						t.Errorf("%d password hashes for a user that does not exist, want 1", n)
					}
				}
				_, err = answer(flowPassword)
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			})
		}
	})
}

// TestDispatchHooks checks the hook points for every challenge: the
// pre-authentication hook runs for a secret after the lockout phase
// counted the attempt and used the state up, and before the secret is
// checked (no hash is computed), and its error is the answer; the
// post-authentication hook runs with the user before tokens are issued,
// and its error is the answer; for a user that does not exist the
// post-authentication hook never runs, and the pre-authentication hook
// runs without a user only at a client that hides whether users exist
// (not for a device's proof).
func TestDispatchHooks(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		denied := cognito.UserLambdaValidationException("PreAuthentication failed with error denied.")
		for i, name := range tableCases(t) {
			t.Run(string(name), func(t *testing.T) {
				tc := challengeCases[name]
				user := fmt.Sprintf("hooked-%d", i)
				e.addUser(t, user, tc.temporary)
				var pre, post []string
				allow := func(_ context.Context, sp *call) error {
					pre = append(pre, sp.user.Username)
					return nil
				}
				e.s.hooks.preAuthentication = allow
				e.s.hooks.postAuthentication = func(_ context.Context, sp *call) error {
					post = append(post, sp.user.Username)
					return nil
				}
				defer func() { e.s.hooks = hooks{} }()

				if tc.secret {
					e.s.hooks.preAuthentication = func(_ context.Context, sp *call) error {
						pre = append(pre, sp.user.Username)
						return denied
					}
					answer := tc.open(t, e, e.client, user)
					hashes := e.hashes.Load()
					_, err := answer(flowPassword)
					if !errors.Is(err, denied) {
						t.Fatalf("answer with a refusing pre-authentication hook = %v, want its error", err)
					}
					if e.hashes.Load() != hashes {
						t.Error("a password hash was computed before the pre-authentication hook")
					}
					if n := e.failures(t, user); n != 1 {
						t.Errorf("%d failures counted, want the refused attempt", n)
					}
					_, err = answer(flowPassword)
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
					if !slices.Equal(pre, []string{user}) || len(post) != 0 {
						t.Fatalf("hooks ran as pre %v, post %v; want pre [%s]", pre, post, user)
					}
					// A user that does not exist, at a client that hides
					// whether users exist: the hook runs with no user (the
					// event says userNotFound), but never for a device's
					// proof, and the answer is the wrong password's.
					var unknown []string
					e.s.hooks.preAuthentication = func(_ context.Context, sp *call) error {
						if sp.user == nil {
							unknown = append(unknown, sp.username)
							return nil
						}
						pre = append(pre, sp.user.Username)
						return denied
					}
					_, err = tc.open(t, e, e.hidingClient(t), "nobody-hooked")(flowPassword)
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
					if len(pre) != 1 {
						t.Error("the pre-authentication hook ran as for a user that exists")
					}
					for _, u := range unknown {
						if u != "nobody-hooked" {
							t.Errorf("the hook ran for %q, want nobody-hooked", u)
						}
					}
					if device := name == idp.ChallengeNameTypeDevicePasswordVerifier || name == idp.ChallengeNameTypeDeviceSrpAuth; device != (len(unknown) == 0) {
						t.Errorf("the hook ran %d times for a user that does not exist (%s)", len(unknown), name)
					}
					e.s.hooks.preAuthentication = allow
					pre = nil
				}
				// The secret checked is the answer's, or for
				// NEW_PASSWORD_REQUIRED the temporary password that
				// opened it.
				o, err := tc.open(t, e, e.client, user)(flowPassword)
				wantTokensOutcome(t, o, err)
				if !slices.Equal(pre, []string{user}) || !slices.Equal(post, []string{user}) {
					t.Fatalf("hooks ran as pre %v, post %v; want [%s] each", pre, post, user)
				}

				e.s.hooks.postAuthentication = func(context.Context, *call) error { return denied }
				if tc.temporary || tc.fresh {
					user += "-again"
					e.addUser(t, user, tc.temporary)
				}
				_, err = tc.open(t, e, e.client, user)(flowPassword)
				if !errors.Is(err, denied) {
					t.Fatalf("answer with a refusing post-authentication hook = %v, want its error", err)
				}
			})
		}
	})
}

// TestDispatchAdmission checks the admission phase: a password answered by
// a client that already has as many hashes waiting as it may is refused
// with TooManyRequestsException before anything is read or written, so
// the Session it answers stays usable and no attempt is counted. Without
// the phase, the answer used the Session up and counted the attempt, and
// only then did the hashing queue refuse it.
func TestDispatchAdmission(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		e.addUser(t, "admitted", false)
		o := e.start(t, e.client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "admitted"})

		flood := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("203.0.113.77"))
		release := make(chan struct{})
		var wg sync.WaitGroup
		var once sync.Once
		stopFlood := func() { once.Do(func() { close(release); wg.Wait() }) }
		t.Cleanup(stopFlood)
		for range 2*ratelimit.DefaultMaxWaiting + 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = e.s.passwords.Run(flood, func() { <-release })
			}()
		}
		for deadline := time.Now().Add(10 * time.Second); e.s.passwords.Busy(flood) == nil; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the flooding client's queue never filled")
			}
		}

		responses := map[string]string{"USERNAME": "admitted", "PASSWORD": flowPassword}
		_, err := e.s.respond(flood, cognito.Caller{}, "", e.client, idp.ChallengeNameTypePassword, o.Session, responses, false)
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != "TooManyRequestsException" {
			t.Fatalf("answer from a flooding client = %v, want TooManyRequestsException", err)
		}

		// Once the flood is served, the same Session still answers: it was
		// not used up.
		stopFlood()
		other := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("198.51.100.5"))
		got, err := e.s.respond(other, cognito.Caller{}, "", e.client, idp.ChallengeNameTypePassword, o.Session, responses, false)
		wantTokensOutcome(t, got, err)
	})
}
