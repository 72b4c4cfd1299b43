package authflow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
)

// customScript stands in for a pool's custom-authentication functions: a
// DefineAuthChallenge that asks for a CUSTOM_CHALLENGE until one is
// answered rightly (or decide says otherwise), a CreateAuthChallenge whose
// private answer is flowPassword, and a VerifyAuthChallengeResponse that
// compares; it records the histories Define received.
type customScript struct {
	decide    func(rounds []customRound) customDecision
	histories [][]customRound
	verified  []string
	notFound  []bool
}

// secretMark is in every private parameter, so that a test can look for
// it in what the engine hands out.
const secretMark = "private-answer-mark"

func (cs *customScript) install(e *flowEnv) {
	e.s.hooks.defineAuthChallenge = func(_ context.Context, sp *call) (customDecision, error) {
		cs.histories = append(cs.histories, append([]customRound(nil), sp.rounds...))
		cs.notFound = append(cs.notFound, sp.user == nil)
		if cs.decide != nil {
			return cs.decide(sp.rounds), nil
		}
		return defaultDecision(sp.rounds), nil
	}
	e.s.hooks.createAuthChallenge = func(_ context.Context, sp *call, name string) (customCreated, error) {
		return customCreated{
			public:   map[string]string{"question": "the password?", "round": fmt.Sprint(len(sp.rounds))},
			private:  map[string]string{"answer": flowPassword, "mark": secretMark},
			metadata: fmt.Sprintf("round-%d", len(sp.rounds)),
		}, nil
	}
	e.s.hooks.verifyAuthChallenge = func(_ context.Context, _ *call, private map[string]string, answer string) (bool, error) {
		cs.verified = append(cs.verified, answer)
		return private["answer"] == answer, nil
	}
}

// defaultDecision issues tokens after a right custom answer, fails after
// three wrong ones, passes PASSWORD_VERIFIER on after SRP_A, and asks for
// a custom challenge otherwise.
func defaultDecision(rounds []customRound) customDecision {
	if n := len(rounds); n > 0 {
		last := rounds[n-1]
		switch {
		case last.Name == "SRP_A":
			return customDecision{challenge: "PASSWORD_VERIFIER"}
		case last.Name == "CUSTOM_CHALLENGE" && last.Result:
			return customDecision{issueTokens: true}
		}
	}
	wrong := 0
	for _, r := range rounds {
		if r.Name == "CUSTOM_CHALLENGE" && !r.Result {
			wrong++
		}
	}
	if wrong >= 3 {
		return customDecision{fail: true}
	}
	return customDecision{challenge: "CUSTOM_CHALLENGE"}
}

func init() {
	challengeCases[idp.ChallengeNameTypeCustomChallenge] = challengeCase{custom: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		(&customScript{}).install(e)
		o := e.start(t, client, idp.AuthFlowTypeCustomAuth, map[string]string{"USERNAME": user})
		if o.Challenge != idp.ChallengeNameTypeCustomChallenge {
			t.Fatalf("CUSTOM_AUTH = %+v, want CUSTOM_CHALLENGE", o)
		}
		return func(secret string) (*Step, error) {
			return e.answer(client, idp.ChallengeNameTypeCustomChallenge, o.Session, map[string]string{"USERNAME": user, "ANSWER": secret})
		}
	}}
}

// noPrivate fails when a step hands out a private parameter.
func noPrivate(t *testing.T, o *Step) {
	t.Helper()
	if o == nil {
		return
	}
	for k, v := range o.Params {
		if strings.Contains(v, secretMark) || strings.Contains(v, flowPassword) || k == "answer" {
			t.Errorf("step hands out a private parameter: %s=%q", k, v)
		}
	}
	if strings.Contains(o.Session, secretMark) {
		t.Error("the Session carries a private parameter in the clear")
	}
}

// TestCustomAuth runs CUSTOM_AUTH through the engine with functions in the
// process: the history each DefineAuthChallenge receives, wrong answers in
// it, the limit on rounds, SRP first, a user that does not exist, a pool
// without the functions, a client that does not allow the flow, and MFA
// after the custom challenges.
func TestCustomAuth(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		custom := func(t *testing.T, client, user string, extra map[string]string) (*Step, error) {
			params := map[string]string{"USERNAME": user}
			for k, v := range extra {
				params[k] = v
			}
			return e.s.initiate(ctx, cognito.Caller{}, "", client, idp.AuthFlowTypeCustomAuth, params, false)
		}
		respond := func(client, user, session, answer string) (*Step, error) {
			return e.answer(client, idp.ChallengeNameTypeCustomChallenge, session, map[string]string{"USERNAME": user, "ANSWER": answer})
		}

		t.Run("wrong then right", func(t *testing.T) {
			cs := &customScript{}
			cs.install(e)
			o, err := custom(t, e.client, flowUser, nil)
			if err != nil || o.Challenge != idp.ChallengeNameTypeCustomChallenge {
				t.Fatalf("start = %+v, %v", o, err)
			}
			noPrivate(t, o)
			if d := cmp.Diff(map[string]string{"question": "the password?", "round": "0", "USERNAME": flowUser}, o.Params); d != "" {
				t.Errorf("ChallengeParameters (-want +got):\n%s", d)
			}
			o2, err := respond(e.client, flowUser, o.Session, "guess")
			if err != nil || o2.Challenge != idp.ChallengeNameTypeCustomChallenge {
				t.Fatalf("wrong answer = %+v, %v; want another CUSTOM_CHALLENGE", o2, err)
			}
			noPrivate(t, o2)
			// The first Session is used up.
			_, err = respond(e.client, flowUser, o.Session, flowPassword)
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			done, err := respond(e.client, flowUser, o2.Session, flowPassword)
			wantTokensOutcome(t, done, err)
			want := [][]customRound{
				nil,
				{{Name: "CUSTOM_CHALLENGE", Metadata: "round-0"}},
				{{Name: "CUSTOM_CHALLENGE", Metadata: "round-0"}, {Name: "CUSTOM_CHALLENGE", Result: true, Metadata: "round-1"}},
			}
			if d := cmp.Diff(want, cs.histories, cmp.AllowUnexported(customRound{})); d != "" {
				t.Errorf("histories (-want +got):\n%s", d)
			}
		})

		t.Run("failAuthentication after three wrong", func(t *testing.T) {
			(&customScript{}).install(e)
			o, err := custom(t, e.client, flowUser, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				next, err := respond(e.client, flowUser, o.Session, "guess")
				if i == 2 {
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
					_, err = respond(e.client, flowUser, o.Session, flowPassword)
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				o = next
			}
		})

		t.Run("limit on rounds", func(t *testing.T) {
			cs := &customScript{decide: func([]customRound) customDecision { return customDecision{challenge: "CUSTOM_CHALLENGE"} }}
			cs.install(e)
			o, err := custom(t, e.client, flowUser, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; ; i++ {
				o, err = respond(e.client, flowUser, o.Session, flowPassword)
				if err != nil {
					wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
					if i != maxCustomRounds {
						t.Errorf("ended after %d answers, want %d", i, maxCustomRounds)
					}
					break
				}
				if i > maxCustomRounds {
					t.Fatal("no limit on rounds")
				}
			}
		})

		t.Run("SRP first", func(t *testing.T) {
			cs := &customScript{}
			cs.install(e)
			c := newSRPTestClient(t)
			o, err := custom(t, e.client, flowUser, map[string]string{"CHALLENGE_NAME": "SRP_A", "SRP_A": c.A.Text(16)})
			if err != nil || o.Challenge != idp.ChallengeNameTypePasswordVerifier {
				t.Fatalf("start = %+v, %v; want PASSWORD_VERIFIER", o, err)
			}
			// A wrong password ends the sign-in as USER_SRP_AUTH's does.
			_, err = e.answerVerifier(t, c, e.client, o.Params, "Wrong-Horse-1")
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
			if len(cs.histories) != 1 {
				t.Errorf("DefineAuthChallenge ran %d times, want once (a wrong password is not its to judge)", len(cs.histories))
			}

			cs.histories = nil
			c = newSRPTestClient(t)
			o, err = custom(t, e.client, flowUser, map[string]string{"CHALLENGE_NAME": "SRP_A", "SRP_A": c.A.Text(16)})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := e.answerVerifier(t, c, e.client, o.Params, flowPassword)
			if err != nil || ch.Challenge != idp.ChallengeNameTypeCustomChallenge {
				t.Fatalf("PASSWORD_VERIFIER = %+v, %v; want CUSTOM_CHALLENGE", ch, err)
			}
			noPrivate(t, ch)
			done, err := respond(e.client, flowUser, ch.Session, flowPassword)
			wantTokensOutcome(t, done, err)
			srpA := customRound{Name: "SRP_A", Result: true}
			pv := customRound{Name: "PASSWORD_VERIFIER", Result: true}
			want := [][]customRound{{srpA}, {srpA, pv}, {srpA, pv, {Name: "CUSTOM_CHALLENGE", Result: true, Metadata: "round-2"}}}
			if d := cmp.Diff(want, cs.histories, cmp.AllowUnexported(customRound{})); d != "" {
				t.Errorf("histories (-want +got):\n%s", d)
			}
		})

		t.Run("PASSWORD_VERIFIER without SRP_A", func(t *testing.T) {
			(&customScript{decide: func([]customRound) customDecision { return customDecision{challenge: "PASSWORD_VERIFIER"} }}).install(e)
			_, err := custom(t, e.client, flowUser, nil)
			wantCognito(t, err, cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output")
		})

		t.Run("no decision", func(t *testing.T) {
			(&customScript{decide: func([]customRound) customDecision { return customDecision{} }}).install(e)
			_, err := custom(t, e.client, flowUser, nil)
			wantCognito(t, err, cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output")
		})

		t.Run("user that does not exist", func(t *testing.T) {
			cs := &customScript{}
			cs.install(e)
			_, err := custom(t, e.client, "nobody", nil)
			wantCognito(t, err, cognito.CodeUserNotFoundException, msgUserNotFound)
			client := e.hidingClient(t)
			o, err := custom(t, client, "nobody", nil)
			if err != nil || o.Challenge != idp.ChallengeNameTypeCustomChallenge {
				t.Fatalf("start for a missing user, hiding = %+v, %v", o, err)
			}
			// The answer the functions take issues tokens, which a user
			// that does not exist does not get.
			_, err = respond(client, "nobody", o.Session, flowPassword)
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgIncorrectPassword)
			_, err = respond(client, "nobody", o.Session, flowPassword)
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			for i, nf := range cs.notFound[1:] {
				if !nf {
					t.Errorf("DefineAuthChallenge %d for a missing user without userNotFound", i+1)
				}
			}
		})

		t.Run("private parameters too large for a Session", func(t *testing.T) {
			(&customScript{}).install(e)
			e.s.hooks.createAuthChallenge = func(context.Context, *call, string) (customCreated, error) {
				return customCreated{private: map[string]string{"blob": strings.Repeat("x", 2000)}}, nil
			}
			_, err := custom(t, e.client, flowUser, nil)
			wantCognito(t, err, cognito.CodeInvalidLambdaResponseException, "The CreateAuthChallenge response is too large to carry in a Session.")
		})

		t.Run("not configured", func(t *testing.T) {
			e.s.hooks = hooks{}
			_, err := custom(t, e.client, flowUser, nil)
			wantCognito(t, err, cognito.CodeInvalidLambdaResponseException, msgCustomNotConfigured)
		})

		t.Run("client without ALLOW_CUSTOM_AUTH", func(t *testing.T) {
			(&customScript{}).install(e)
			out, err := e.pools.CreateUserPoolClient(ctx, cognito.Caller{Region: flowRegion}, &idp.CreateUserPoolClientRequest{
				UserPoolId: cognito.Ptr(e.pool), ClientName: cognito.Ptr("no-custom"),
				ExplicitAuthFlows: []idp.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = custom(t, cognito.Deref(out.UserPoolClient.ClientId), flowUser, nil)
			wantCognito(t, err, cognito.CodeInvalidParameterException, "Auth flow not enabled for this client")
		})

		t.Run("MFA after the custom challenge", func(t *testing.T) {
			(&customScript{}).install(e)
			e.addUser(t, "custom-mfa", false)
			e.mfaUser(t, "custom-mfa", directory.MFASMS)
			o, err := custom(t, e.client, "custom-mfa", nil)
			if err != nil {
				t.Fatal(err)
			}
			sms, err := respond(e.client, "custom-mfa", o.Session, flowPassword)
			if err != nil || sms.Challenge != idp.ChallengeNameTypeSmsMfa {
				t.Fatalf("right answer with SMS MFA = %+v, %v; want SMS_MFA", sms, err)
			}
			// The custom Session was used up with the opening of SMS_MFA.
			_, err = respond(e.client, "custom-mfa", o.Session, flowPassword)
			wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			code := e.sentCode(t, e.phone("custom-mfa"))
			done, err := e.answer(e.client, idp.ChallengeNameTypeSmsMfa, sms.Session, map[string]string{"USERNAME": "custom-mfa", "SMS_MFA_CODE": code})
			wantTokensOutcome(t, done, err)
		})
	})
}
