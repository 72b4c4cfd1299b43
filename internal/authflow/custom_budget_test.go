package authflow

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// customAnswer is the right answer of localCustomAuth's challenge.
const customAnswer = "open-sesame"

// localCustomAuth is a trivial custom-authentication function run in this
// process (a triggers.Transport with no network in between): one
// CUSTOM_CHALLENGE, tokens after a right answer, failure after three wrong
// ones. It decodes and answers the aws-lambda-go types as a function in
// Lambda would, so that what is measured is cognate's own cost of an
// invocation: the event built and encoded, the answer decoded and checked.
type localCustomAuth struct{}

func (localCustomAuth) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	var h events.CognitoEventUserPoolsHeader
	if err := json.Unmarshal(payload, &h); err != nil {
		return nil, err
	}
	switch h.TriggerSource {
	case "DefineAuthChallenge_Authentication":
		var ev events.CognitoEventUserPoolsDefineAuthChallenge
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		wrong := 0
		for _, r := range ev.Request.Session {
			if !r.ChallengeResult {
				wrong++
			}
		}
		switch n := len(ev.Request.Session); {
		case n > 0 && ev.Request.Session[n-1].ChallengeResult:
			ev.Response.IssueTokens = true
		case wrong >= 3:
			ev.Response.FailAuthentication = true
		default:
			ev.Response.ChallengeName = "CUSTOM_CHALLENGE"
		}
		return json.Marshal(ev)
	case "CreateAuthChallenge_Authentication":
		var ev events.CognitoEventUserPoolsCreateAuthChallenge
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		ev.Response.PublicChallengeParameters = map[string]string{"question": "What opens the door?"}
		ev.Response.PrivateChallengeParameters = map[string]string{"answer": customAnswer}
		ev.Response.ChallengeMetadata = "door"
		return json.Marshal(ev)
	case "VerifyAuthChallengeResponse_Authentication":
		var ev events.CognitoEventUserPoolsVerifyAuthChallenge
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		ev.Response.AnswerCorrect = ev.Request.ChallengeAnswer == ev.Request.PrivateChallengeParameters["answer"]
		return json.Marshal(ev)
	}
	return nil, fmt.Errorf("unexpected trigger source %q", h.TriggerSource)
}

// withCustomAuth gives e's engine an invoker that reaches localCustomAuth
// for every ARN, and names the three functions in e's pool.
func (e *flowEnv) withCustomAuth(t testing.TB) {
	t.Helper()
	inv, err := triggers.New(triggers.Options{Lambda: localCustomAuth{}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Pools: e.pools, Users: e.users, Tokens: e.tokens, Store: e.probe, Key: e.key, Clock: e.clock.Now, Triggers: inv})
	if err != nil {
		t.Fatal(err)
	}
	s.verifyPassword = e.s.verifyPassword
	e.s = s
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:custom"
	if _, err := e.pools.UpdateUserPool(context.Background(), cognito.Caller{Region: flowRegion}, &idp.UpdateUserPoolRequest{
		UserPoolId: cognito.Ptr(e.pool),
		LambdaConfig: &idp.LambdaConfigType{
			DefineAuthChallenge: cognito.Ptr(arn), CreateAuthChallenge: cognito.Ptr(arn), VerifyAuthChallengeResponse: cognito.Ptr(arn),
		},
	}); err != nil {
		t.Fatal(err)
	}
}

// customStart starts CUSTOM_AUTH for flowUser and returns the Session of
// its CUSTOM_CHALLENGE.
func (e *flowEnv) customStart(ctx context.Context) (string, error) {
	out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
		ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeCustomAuth),
		AuthParameters: map[string]string{"USERNAME": flowUser},
	})
	if err != nil {
		return "", err
	}
	if cognito.Deref(out.ChallengeName) != idp.ChallengeNameTypeCustomChallenge {
		return "", fmt.Errorf("InitiateAuth answered %+v, want CUSTOM_CHALLENGE", out)
	}
	return cognito.Deref(out.Session), nil
}

// customAnswerStep answers the CUSTOM_CHALLENGE of session with answer.
func (e *flowEnv) customAnswerStep(ctx context.Context, session, answer string) (*idp.RespondToAuthChallengeResponse, error) {
	return e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
		ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeCustomChallenge), Session: cognito.Ptr(session),
		ChallengeResponses: map[string]string{"USERNAME": flowUser, "ANSWER": answer},
	})
}

// TestCustomAuthBudget holds the steps of a CUSTOM_AUTH sign-in to their
// budget of store calls, transactions, writes and change-log rows, as
// TestSignInBudget holds the other flows:
//
//   - InitiateAuth reads the client, the user and the pool, asks
//     DefineAuthChallenge and CreateAuthChallenge, and writes nothing: the
//     history and the private parameters travel sealed in the Session;
//   - a wrong answer uses the Session up and opens the next challenge in
//     one transaction (the failed sign-in is recorded only in a pool
//     that records sign-in events);
//   - a right answer uses the Session up and creates the token family,
//     the refresh token and the sign-in event in one transaction.
func TestCustomAuthBudget(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		e.withCustomAuth(t)
		// A first sign-in creates the pool's signing keys, and sweeps.
		warm, err := e.customStart(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.customAnswerStep(ctx, warm, customAnswer)
		wantTokens(t, out.AuthenticationResult, err)
		_, seq := e.changeLog(t, 0)

		var session string
		start := budgetStep{"CUSTOM_AUTH InitiateAuth", func() error {
			var err error
			session, err = e.customStart(ctx)
			return err
		}, func() signInBudget {
			return signInBudget{Calls: 3, Writes: map[string]int{}, Changes: map[string]int{}}
		}}
		steps := []budgetStep{
			start,
			{"CUSTOM_CHALLENGE wrong answer", func() error {
				res, err := e.customAnswerStep(ctx, session, "wrong")
				if err != nil {
					return err
				}
				if cognito.Deref(res.ChallengeName) != idp.ChallengeNameTypeCustomChallenge {
					return fmt.Errorf("wrong answer gave %+v, want another CUSTOM_CHALLENGE", res)
				}
				session = cognito.Deref(res.Session)
				return nil
			}, func() signInBudget {
				// The Session's marker, the client, the user and the pool
				// read; the Session used up in the transaction that opens
				// the next challenge.
				return signInBudget{Calls: 6, Txs: 1, Writes: map[string]int{"create use_marker": 1}, Changes: map[string]int{}}
			}},
			{"CUSTOM_CHALLENGE right answer", func() error {
				res, err := e.customAnswerStep(ctx, session, customAnswer)
				if err != nil {
					return err
				}
				if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
					return fmt.Errorf("right answer gave %+v, want tokens", res)
				}
				return nil
			}, func() signInBudget {
				return signInBudget{
					// As the wrong answer's reads, and the user's groups
					// for the tokens.
					Calls: 9, Txs: 1,
					Writes:  map[string]int{"create use_marker": 1, "create token_family": 1, "create refresh_token": 1},
					Changes: map[string]int{"token_family": 1, "refresh_token": 1},
				}
			}},
		}
		e.checkBudgets(t, seq, steps)
	})
}

// BenchmarkCustomAuthSignIn measures a whole CUSTOM_AUTH sign-in on
// SQLite: InitiateAuth (DefineAuthChallenge, CreateAuthChallenge) and the
// right answer (VerifyAuthChallengeResponse, DefineAuthChallenge, the
// tokens), the functions a trivial one in this process, so that the time
// is cognate's own: four invocations, the sealed Session, the store and
// the tokens.
func BenchmarkCustomAuthSignIn(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "cognate.db"), sqlite.Options{Region: flowRegion})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	e := newFlowEnv(b, db)
	e.withCustomAuth(b)
	ctx := context.Background()
	for b.Loop() {
		session, err := e.customStart(ctx)
		if err != nil {
			b.Fatal(err)
		}
		out, err := e.customAnswerStep(ctx, session, customAnswer)
		if err != nil || out.AuthenticationResult == nil {
			b.Fatalf("%+v %v", out, err)
		}
	}
}
