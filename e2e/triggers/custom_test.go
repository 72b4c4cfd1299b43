package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
)

// customPool creates a pool with lc and an app client that allows
// CUSTOM_AUTH (and SRP, for CUSTOM_AUTH with SRP first).
func (e *env) customPool(t testing.TB, lc *types.LambdaConfigType) (poolID, clientID string) {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("custom"), LambdaConfig: lc})
	if err != nil {
		t.Fatal(err)
	}
	poolID = *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("custom"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return poolID, *cl.UserPoolClient.ClientId
}

// customTriggers are the three functions of custom authentication.
func customTriggers() *types.LambdaConfigType {
	return &types.LambdaConfigType{
		DefineAuthChallenge:         aws.String(functionARN + "define"),
		CreateAuthChallenge:         aws.String(functionARN + "create"),
		VerifyAuthChallengeResponse: aws.String(functionARN + "verify"),
	}
}

// noPrivate fails when an answer of cognate (the SDK's output, as JSON)
// carries a private challenge parameter.
func noPrivate(t *testing.T, out any) {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, fn.PrivateMark) || strings.Contains(s, fn.Answer) {
		t.Errorf("an answer carries a private challenge parameter: %s", s)
	}
}

func rounds(rs ...events.CognitoEventUserPoolsChallengeResult) []*events.CognitoEventUserPoolsChallengeResult {
	out := []*events.CognitoEventUserPoolsChallengeResult{}
	for i := range rs {
		out = append(out, &rs[i])
	}
	return out
}

// TestCustomAuthTriggers signs a user in with CUSTOM_AUTH through each
// transport and store: DefineAuthChallenge, CreateAuthChallenge and
// VerifyAuthChallengeResponse receive their events as Cognito sends them
// (compared field by field, the history growing with a wrong answer and
// a right one, the request's ClientMetadata in each), the public
// challenge parameters come back as ChallengeParameters and the private
// ones never, each Session answers once, and PreAuthentication,
// PostAuthentication and PreTokenGeneration run as in every sign-in. Then
// the same through AdminInitiateAuth.
func TestCustomAuthTriggers(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				lc := customTriggers()
				lc.PreAuthentication = aws.String(functionARN + "pre-auth")
				lc.PostAuthentication = aws.String(functionARN + "post-auth")
				lc.PreTokenGeneration = aws.String(functionARN + "pre-token")
				poolID, clientID := e.customPool(t, lc)
				sub := e.user(t, poolID, "carl")
				c := e.client()
				meta := map[string]string{"app": "kiosk"}
				first, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
					AuthParameters: map[string]string{"USERNAME": "carl"}, ClientMetadata: meta,
				})
				if err != nil {
					t.Fatal(err)
				}
				noPrivate(t, first)
				if first.ChallengeName != types.ChallengeNameTypeCustomChallenge || first.Session == nil {
					t.Fatalf("InitiateAuth = %+v, want CUSTOM_CHALLENGE with a Session", first)
				}
				if d := cmp.Diff(map[string]string{"question": "What opens the door?", "round": "0", "USERNAME": "carl"}, first.ChallengeParameters); d != "" {
					t.Errorf("ChallengeParameters (-want +got):\n%s", d)
				}
				evs := e.events(t)
				if len(evs) != 3 {
					t.Fatalf("%d events at InitiateAuth, want PreAuthentication, Define and Create", len(evs))
				}
				var pre events.CognitoEventUserPoolsPreAuthentication
				only(t, evs, "PreAuthentication_Authentication", &pre)
				if pre.UserName != "carl" || cmp.Diff(meta, pre.Request.ValidationData) != "" {
					t.Errorf("PreAuthentication event: %+v", pre)
				}
				var def events.CognitoEventUserPoolsDefineAuthChallenge
				only(t, evs, "DefineAuthChallenge_Authentication", &def)
				wantDef := events.CognitoEventUserPoolsDefineAuthChallenge{
					CognitoEventUserPoolsHeader: header("1", "DefineAuthChallenge_Authentication", poolID, clientID, "carl"),
					Request: events.CognitoEventUserPoolsDefineAuthChallengeRequest{
						UserAttributes: attrs("carl", sub), Session: rounds(), ClientMetadata: meta,
					},
				}
				if d := cmp.Diff(wantDef, def); d != "" {
					t.Errorf("DefineAuthChallenge event (-want +got):\n%s", d)
				}
				var create events.CognitoEventUserPoolsCreateAuthChallenge
				only(t, evs, "CreateAuthChallenge_Authentication", &create)
				wantCreate := events.CognitoEventUserPoolsCreateAuthChallenge{
					CognitoEventUserPoolsHeader: header("1", "CreateAuthChallenge_Authentication", poolID, clientID, "carl"),
					Request: events.CognitoEventUserPoolsCreateAuthChallengeRequest{
						UserAttributes: attrs("carl", sub), ChallengeName: "CUSTOM_CHALLENGE", Session: rounds(), ClientMetadata: meta,
					},
				}
				if d := cmp.Diff(wantCreate, create); d != "" {
					t.Errorf("CreateAuthChallenge event (-want +got):\n%s", d)
				}

				// A wrong answer: Verify says so, Define sees it and asks
				// again, Create makes the second challenge.
				meta2 := map[string]string{"app": "kiosk", "try": "2"}
				second, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: first.Session,
					ChallengeResponses: map[string]string{"USERNAME": "carl", "ANSWER": "abracadabra"}, ClientMetadata: meta2,
				})
				if err != nil {
					t.Fatal(err)
				}
				noPrivate(t, second)
				if second.ChallengeName != types.ChallengeNameTypeCustomChallenge || second.ChallengeParameters["round"] != "1" {
					t.Fatalf("wrong answer = %+v, want the second CUSTOM_CHALLENGE", second)
				}
				evs = e.events(t)
				if len(evs) != 3 {
					t.Fatalf("%d events at the wrong answer, want Verify, Define and Create", len(evs))
				}
				var verify events.CognitoEventUserPoolsVerifyAuthChallenge
				only(t, evs, "VerifyAuthChallengeResponse_Authentication", &verify)
				wantVerify := events.CognitoEventUserPoolsVerifyAuthChallenge{
					CognitoEventUserPoolsHeader: header("1", "VerifyAuthChallengeResponse_Authentication", poolID, clientID, "carl"),
					Request: events.CognitoEventUserPoolsVerifyAuthChallengeRequest{
						UserAttributes:             attrs("carl", sub),
						PrivateChallengeParameters: map[string]string{"answer": fn.Answer, "mark": fn.PrivateMark},
						ChallengeAnswer:            "abracadabra", ClientMetadata: meta2,
					},
				}
				if d := cmp.Diff(wantVerify, verify); d != "" {
					t.Errorf("VerifyAuthChallengeResponse event (-want +got):\n%s", d)
				}
				wrong := events.CognitoEventUserPoolsChallengeResult{ChallengeName: "CUSTOM_CHALLENGE", ChallengeResult: false, ChallengeMetadata: "round-0"}
				def = events.CognitoEventUserPoolsDefineAuthChallenge{}
				only(t, evs, "DefineAuthChallenge_Authentication", &def)
				wantDef.Request.Session, wantDef.Request.ClientMetadata = rounds(wrong), meta2
				if d := cmp.Diff(wantDef, def); d != "" {
					t.Errorf("DefineAuthChallenge event after a wrong answer (-want +got):\n%s", d)
				}
				create = events.CognitoEventUserPoolsCreateAuthChallenge{}
				only(t, evs, "CreateAuthChallenge_Authentication", &create)
				wantCreate.Request.Session, wantCreate.Request.ClientMetadata = rounds(wrong), meta2
				if d := cmp.Diff(wantCreate, create); d != "" {
					t.Errorf("CreateAuthChallenge event after a wrong answer (-want +got):\n%s", d)
				}

				// The first Session answered once.
				_, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: first.Session,
					ChallengeResponses: map[string]string{"USERNAME": "carl", "ANSWER": fn.Answer},
				})
				var na *types.NotAuthorizedException
				if !errors.As(err, &na) || na.ErrorMessage() != "Invalid session for the user, session can only be used once." {
					t.Fatalf("a used Session = %v, want NotAuthorizedException", err)
				}
				_ = e.events(t)

				done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: second.Session,
					ChallengeResponses: map[string]string{"USERNAME": "carl", "ANSWER": fn.Answer},
				})
				if err != nil {
					t.Fatal(err)
				}
				if done.AuthenticationResult == nil || done.AuthenticationResult.IdToken == nil {
					t.Fatalf("right answer = %+v, want tokens", done)
				}
				if id := claims(t, *done.AuthenticationResult.IdToken); id["tier"] != "gold" || id["sub"] != sub {
					t.Errorf("ID token: %v", id)
				}
				evs = e.events(t)
				if len(evs) != 4 {
					t.Fatalf("%d events at the right answer, want Verify, Define, PostAuthentication and TokenGeneration", len(evs))
				}
				def = events.CognitoEventUserPoolsDefineAuthChallenge{}
				only(t, evs, "DefineAuthChallenge_Authentication", &def)
				right := events.CognitoEventUserPoolsChallengeResult{ChallengeName: "CUSTOM_CHALLENGE", ChallengeResult: true, ChallengeMetadata: "round-1"}
				wantDef.Request.Session, wantDef.Request.ClientMetadata = rounds(wrong, right), map[string]string{}
				if d := cmp.Diff(wantDef, def); d != "" {
					t.Errorf("DefineAuthChallenge event after the right answer (-want +got):\n%s", d)
				}
				var post events.CognitoEventUserPoolsPostAuthentication
				only(t, evs, "PostAuthentication_Authentication", &post)
				var tg events.CognitoEventUserPoolsPreTokenGen
				only(t, evs, "TokenGeneration_Authentication", &tg)

				// AdminInitiateAuth and AdminRespondToAuthChallenge run the
				// same flow.
				adm, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
					UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
					AuthParameters: map[string]string{"USERNAME": "carl"},
				})
				if err != nil {
					t.Fatal(err)
				}
				noPrivate(t, adm)
				admDone, err := c.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{
					UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge,
					Session: adm.Session, ChallengeResponses: map[string]string{"USERNAME": "carl", "ANSWER": fn.Answer},
				})
				if err != nil {
					t.Fatal(err)
				}
				if admDone.AuthenticationResult == nil || admDone.AuthenticationResult.AccessToken == nil {
					t.Fatalf("AdminRespondToAuthChallenge = %+v, want tokens", admDone)
				}
				_ = e.events(t)

				// Three wrong answers: the function fails the sign-in.
				s, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: map[string]string{"USERNAME": "carl"},
				})
				if err != nil {
					t.Fatal(err)
				}
				session := s.Session
				for i := range 3 {
					out, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
						ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: session,
						ChallengeResponses: map[string]string{"USERNAME": "carl", "ANSWER": "guess"},
					})
					if i < 2 {
						if err != nil {
							t.Fatal(err)
						}
						session = out.Session
						continue
					}
					if !errors.As(err, &na) || na.ErrorMessage() != "Incorrect username or password." {
						t.Fatalf("third wrong answer = %v, want NotAuthorizedException", err)
					}
				}
			})
		}
	}
}

// TestCustomAuthUserNotFound: with a client that hides whether users
// exist, the functions run for a user that does not exist with
// userNotFound, and no answer signs in; without, the sign-in is
// UserNotFoundException and no function runs.
func TestCustomAuthUserNotFound(t *testing.T) {
	e := start(t, "sqlite", viaWebhook, 5*time.Second)
	ctx := context.Background()
	poolID, clientID := e.customPool(t, customTriggers())
	c := e.client()
	_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: map[string]string{"USERNAME": "ghost"},
	})
	var nf *types.UserNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want UserNotFoundException", err)
	}
	if evs := e.events(t); len(evs) != 0 {
		t.Errorf("%d events for a user that does not exist", len(evs))
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("hiding"),
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	hiding := *cl.UserPoolClient.ClientId
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(hiding), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: map[string]string{"USERNAME": "ghost"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var def events.CognitoEventUserPoolsDefineAuthChallenge
	only(t, e.events(t), "DefineAuthChallenge_Authentication", &def)
	want := events.CognitoEventUserPoolsDefineAuthChallenge{
		CognitoEventUserPoolsHeader: header("1", "DefineAuthChallenge_Authentication", poolID, hiding, "ghost"),
		Request: events.CognitoEventUserPoolsDefineAuthChallengeRequest{
			UserAttributes: map[string]string{}, Session: rounds(), ClientMetadata: map[string]string{}, UserNotFound: true,
		},
	}
	if d := cmp.Diff(want, def); d != "" {
		t.Errorf("DefineAuthChallenge event (-want +got):\n%s", d)
	}
	// The function's right answer is right for it; it issues tokens, and
	// cognate refuses them to a user that does not exist.
	_, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(hiding), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": out.ChallengeParameters["USERNAME"], "ANSWER": fn.Answer},
	})
	var na *types.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Fatalf("err = %v, want NotAuthorizedException", err)
	}
	var verify events.CognitoEventUserPoolsVerifyAuthChallenge
	only(t, e.events(t), "VerifyAuthChallengeResponse_Authentication", &verify)
	if !verify.Request.UserNotFound {
		t.Errorf("VerifyAuthChallengeResponse event without userNotFound: %+v", verify)
	}
}

// TestCustomAuthFailures is the failure table of the three functions:
// each returns an error, answers something that is not an event, answers
// the wrong types, answers too much, answers too late (behind the
// webhook), or cannot be reached. Each gets its exception with Cognito's
// message; the store holds no token family, refresh token or anything
// else of the failed step (its Session markers unchanged), and no answer
// carries a private challenge parameter.
func TestCustomAuthFailures(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				for _, trig := range []string{"DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse"} {
					t.Run(trig, func(t *testing.T) {
						scope := map[string]string{"DefineAuthChallenge": "define.", "CreateAuthChallenge": "create.", "VerifyAuthChallengeResponse": "verify."}[trig]
						type failure struct{ user, code, msg string }
						cases := []failure{
							{scope + "deny1", "UserLambdaValidationException", trig + " failed with error Denied by the test function."},
							{scope + "string1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
							{scope + "wrongtype1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
							{scope + "huge1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
						}
						check := func(t *testing.T, e *env, poolID, clientID, user, code, msg string) {
							c := e.client()
							counts := func() map[string]int64 {
								out := map[string]int64{}
								for _, kind := range []string{"token_family", "refresh_token", "auth_session"} {
									n, err := e.Store.CountItems(ctx, kind, poolID)
									if err != nil {
										t.Fatal(err)
									}
									out[kind] = n
								}
								return out
							}
							before := counts()
							out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
								ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: map[string]string{"USERNAME": user},
							})
							if trig == "VerifyAuthChallengeResponse" {
								if err != nil {
									t.Fatal(err)
								}
								noPrivate(t, out)
								before = counts()
								_, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
									ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: out.Session,
									ChallengeResponses: map[string]string{"USERNAME": user, "ANSWER": fn.Answer},
								})
							}
							var ae interface {
								ErrorCode() string
								ErrorMessage() string
							}
							if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
								t.Fatalf("err = %v, want %s %q", err, code, msg)
							}
							if strings.Contains(err.Error(), fn.PrivateMark) {
								t.Errorf("the error carries a private challenge parameter: %v", err)
							}
							if d := cmp.Diff(before, counts()); d != "" {
								t.Errorf("the failed step wrote (-before +after):\n%s", d)
							}
						}
						poolID, clientID := e.customPool(t, customTriggers())
						for _, tc := range cases {
							e.user(t, poolID, tc.user)
						}
						for _, tc := range cases {
							t.Run(tc.user, func(t *testing.T) { check(t, e, poolID, clientID, tc.user, tc.code, tc.msg) })
						}
						t.Run("unreachable", func(t *testing.T) {
							lc := customTriggers()
							switch trig {
							case "DefineAuthChallenge":
								lc.DefineAuthChallenge = aws.String(unreachableARN)
							case "CreateAuthChallenge":
								lc.CreateAuthChallenge = aws.String(unreachableARN)
							case "VerifyAuthChallengeResponse":
								lc.VerifyAuthChallengeResponse = aws.String(unreachableARN)
							}
							poolID, clientID := e.customPool(t, lc)
							e.user(t, poolID, "carol")
							check(t, e, poolID, clientID, "carol", "UnexpectedLambdaException", trig+" invocation failed due to error ServiceException.")
						})
						if tr == viaWebhook {
							t.Run(scope+"slow1", func(t *testing.T) {
								e := startHurried(t, backend, tr)
								poolID, clientID := e.customPool(t, customTriggers())
								e.user(t, poolID, scope+"slow1")
								check(t, e, poolID, clientID, scope+"slow1", "UnexpectedLambdaException", trig+" invocation failed due to error Socket timeout while invoking Lambda function.")
							})
						}
					})
				}
				t.Run("not configured", func(t *testing.T) {
					poolID, clientID := e.customPool(t, &types.LambdaConfigType{})
					e.user(t, poolID, "dave")
					_, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
						ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: map[string]string{"USERNAME": "dave"},
					})
					var ile *types.InvalidLambdaResponseException
					if !errors.As(err, &ile) || ile.ErrorMessage() != "Custom auth lambda trigger is not configured for the user pool." {
						t.Fatalf("err = %v, want InvalidLambdaResponseException", err)
					}
				})
			})
		}
	}
}

// TestCustomAuthRememberedDevice: a CUSTOM_AUTH sign-in that names a
// remembered device with DEVICE_KEY proves the device (DEVICE_SRP_AUTH,
// DEVICE_PASSWORD_VERIFIER) in place of MFA once DefineAuthChallenge
// issues tokens, as after SRP; without the key the same sign-in asks for
// the user's SMS code, and a key that is not the user's is
// ResourceNotFoundException.
func TestCustomAuthRememberedDevice(t *testing.T) {
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("custom-devices"), LambdaConfig: customTriggers(),
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := *p.UserPool.Id
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsMfaConfiguration: &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-sns")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("custom"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := *cl.UserPoolClient.ClientId
	const phone = "+15555550111"
	e.smsMFAUser(t, poolID, "kim", phone)

	// custom signs in with CUSTOM_AUTH up to the right answer, deviceKey
	// (when not empty) in the AuthParameters and the answer.
	custom := func(deviceKey string) (*cip.RespondToAuthChallengeOutput, error) {
		t.Helper()
		params := map[string]string{"USERNAME": "kim"}
		if deviceKey != "" {
			params["DEVICE_KEY"] = deviceKey
		}
		ch, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeCustomAuth, AuthParameters: params})
		if err != nil || ch.ChallengeName != types.ChallengeNameTypeCustomChallenge {
			t.Fatalf("InitiateAuth: %v %v, want CUSTOM_CHALLENGE", ch, err)
		}
		answer := map[string]string{"USERNAME": "kim", "ANSWER": fn.Answer}
		if deviceKey != "" {
			answer["DEVICE_KEY"] = deviceKey
		}
		return c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: ch.Session, ChallengeResponses: answer,
		})
	}
	smsMFA := func(out *cip.RespondToAuthChallengeOutput) *types.AuthenticationResultType {
		t.Helper()
		if out.ChallengeName != types.ChallengeNameTypeSmsMfa {
			t.Fatalf("after the custom challenge: %s, want SMS_MFA", out.ChallengeName)
		}
		done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSmsMfa, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": "kim", "SMS_MFA_CODE": codePattern.FindString(e.newest(t, phone).Body)},
		})
		if err != nil || done.AuthenticationResult == nil {
			t.Fatalf("SMS_MFA: %v %v", done, err)
		}
		return done.AuthenticationResult
	}

	// A first sign-in: MFA, and a new device, confirmed (remembered).
	out, err := custom("")
	if err != nil {
		t.Fatal(err)
	}
	first := smsMFA(out)
	meta := first.NewDeviceMetadata
	if meta == nil {
		t.Fatal("no NewDeviceMetadata")
	}
	key, groupKey, secret := *meta.DeviceKey, *meta.DeviceGroupKey, "the-device-secret"
	salt, verifier := deviceVerifier(t, groupKey, key, secret)
	if _, err := c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
		AccessToken: first.AccessToken, DeviceKey: meta.DeviceKey,
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{Salt: aws.String(salt), PasswordVerifier: aws.String(verifier)},
	}); err != nil {
		t.Fatal(err)
	}

	// With the device's key: DEVICE_SRP_AUTH in place of SMS_MFA.
	out, err = custom(key)
	if err != nil || out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
		t.Fatalf("custom sign-in with DEVICE_KEY: %v %v, want DEVICE_SRP_AUTH", out, err)
	}
	dc := newSRPClient(t)
	out, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "kim", "DEVICE_KEY": key, "SRP_A": dc.srpA()},
	})
	if err != nil || out.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
		t.Fatalf("DEVICE_SRP_AUTH: %v %v, want DEVICE_PASSWORD_VERIFIER", out, err)
	}
	ts, sig := dc.claim(t, groupKey, key, secret, out.ChallengeParameters)
	done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: out.Session,
		ChallengeResponses: map[string]string{
			"USERNAME": "kim", "DEVICE_KEY": key, "PASSWORD_CLAIM_SECRET_BLOCK": out.ChallengeParameters["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
	if err != nil || done.AuthenticationResult == nil || done.AuthenticationResult.NewDeviceMetadata != nil {
		t.Fatalf("DEVICE_PASSWORD_VERIFIER: %v %v, want tokens and no new device", done, err)
	}

	// Without it: SMS_MFA again.
	out, err = custom("")
	if err != nil {
		t.Fatal(err)
	}
	smsMFA(out)

	// A key that is not the user's.
	if _, err := custom("us-east-1_00000000-0000-4000-8000-000000000000"); !errors.As(err, new(*types.ResourceNotFoundException)) {
		t.Errorf("unknown DEVICE_KEY: %v, want ResourceNotFoundException", err)
	}
}
