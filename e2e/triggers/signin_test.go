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

	"github.com/cognate-dev/cognate/internal/triggers"
)

// attrs are the userAttributes of the events of a user made by env.user.
func attrs(name, sub string) map[string]string {
	return map[string]string{
		"sub": sub, "email": name + "@example.com", "given_name": "Given", "family_name": "Family",
		"cognito:user_status": "CONFIRMED",
	}
}

// only returns the one event of source among evs.
func only(t *testing.T, evs []recorded, source string, into any) {
	t.Helper()
	n := 0
	for _, ev := range evs {
		if ev.source == source {
			n++
			if err := json.Unmarshal(ev.raw, into); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d %s events, want 1 (got %d events)", n, source, len(evs))
	}
}

func header(version, source, poolID, clientID, user string) events.CognitoEventUserPoolsHeader {
	return events.CognitoEventUserPoolsHeader{
		Version: version, TriggerSource: source, Region: "us-east-1", UserPoolID: poolID, UserName: user,
		CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: triggers.SDKVersionUnknown, ClientID: clientID},
	}
}

// TestSignInTriggersV1 signs a user in with USER_PASSWORD_AUTH at a pool
// with PreAuthentication, PostAuthentication and PreTokenGeneration (V1_0)
// functions, through each transport: every event field by field, the
// function's claims in the ID token and its reserved claims not, and the
// same at refresh.
func TestSignInTriggersV1(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				poolID, clientID := e.pool(t, &types.LambdaConfigType{
					PreAuthentication:  aws.String(functionARN + "pre-auth"),
					PostAuthentication: aws.String(functionARN + "post-auth"),
					PreTokenGeneration: aws.String(functionARN + "pre-token"),
				})
				sub := e.user(t, poolID, "alice")
				meta := map[string]string{"app": "web"}
				out, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password},
					ClientMetadata: meta,
				})
				if err != nil {
					t.Fatal(err)
				}
				evs := e.events(t)
				if len(evs) != 3 {
					t.Fatalf("%d events, want 3", len(evs))
				}

				var pre events.CognitoEventUserPoolsPreAuthentication
				only(t, evs, "PreAuthentication_Authentication", &pre)
				wantPre := events.CognitoEventUserPoolsPreAuthentication{
					CognitoEventUserPoolsHeader: header("1", "PreAuthentication_Authentication", poolID, clientID, "alice"),
					Request:                     events.CognitoEventUserPoolsPreAuthenticationRequest{UserAttributes: attrs("alice", sub), ValidationData: meta},
				}
				if d := cmp.Diff(wantPre, pre); d != "" {
					t.Errorf("PreAuthentication event (-want +got):\n%s", d)
				}

				var post events.CognitoEventUserPoolsPostAuthentication
				only(t, evs, "PostAuthentication_Authentication", &post)
				wantPost := events.CognitoEventUserPoolsPostAuthentication{
					CognitoEventUserPoolsHeader: header("1", "PostAuthentication_Authentication", poolID, clientID, "alice"),
					Request:                     events.CognitoEventUserPoolsPostAuthenticationRequest{UserAttributes: attrs("alice", sub), ClientMetadata: meta},
				}
				if d := cmp.Diff(wantPost, post); d != "" {
					t.Errorf("PostAuthentication event (-want +got):\n%s", d)
				}

				var tg events.CognitoEventUserPoolsPreTokenGen
				only(t, evs, "TokenGeneration_Authentication", &tg)
				wantTG := events.CognitoEventUserPoolsPreTokenGen{
					CognitoEventUserPoolsHeader: header("1", "TokenGeneration_Authentication", poolID, clientID, "alice"),
					Request: events.CognitoEventUserPoolsPreTokenGenRequest{
						UserAttributes:     attrs("alice", sub),
						GroupConfiguration: events.GroupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
						ClientMetadata:     meta,
					},
				}
				if d := cmp.Diff(wantTG, tg); d != "" {
					t.Errorf("TokenGeneration event (-want +got):\n%s", d)
				}

				checkV1Claims := func(idToken string) {
					t.Helper()
					id := claims(t, idToken)
					want := map[string]any{
						"tier": "gold", "family_name": "Overridden", "sub": sub, "cognito:username": "alice",
						"cognito:groups":         []any{"from-trigger"},
						"cognito:roles":          []any{"arn:aws:iam::123456789012:role/from-trigger"},
						"cognito:preferred_role": "arn:aws:iam::123456789012:role/from-trigger",
					}
					for k, v := range want {
						if d := cmp.Diff(v, id[k]); d != "" {
							t.Errorf("ID token claim %s (-want +got):\n%s", k, d)
						}
					}
					if _, ok := id["given_name"]; ok {
						t.Error("suppressed claim given_name is in the ID token")
					}
				}
				checkV1Claims(*out.AuthenticationResult.IdToken)
				// V1_0 changes the ID token only.
				if at := claims(t, *out.AuthenticationResult.AccessToken); at["tier"] != nil || at["cognito:groups"] != nil && cmp.Diff([]any{"from-trigger"}, at["cognito:groups"]) != "" {
					t.Errorf("access token: %v", at)
				}

				// A refresh invokes PreTokenGeneration again, as
				// TokenGeneration_RefreshTokens, and no authentication
				// trigger.
				ref, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
					AuthParameters: map[string]string{"REFRESH_TOKEN": *out.AuthenticationResult.RefreshToken},
				})
				if err != nil {
					t.Fatal(err)
				}
				evs = e.events(t)
				if len(evs) != 1 {
					t.Fatalf("%d events at refresh, want 1", len(evs))
				}
				tg = events.CognitoEventUserPoolsPreTokenGen{}
				only(t, evs, "TokenGeneration_RefreshTokens", &tg)
				wantTG.TriggerSource, wantTG.Request.ClientMetadata = "TokenGeneration_RefreshTokens", map[string]string{}
				if d := cmp.Diff(wantTG, tg); d != "" {
					t.Errorf("refresh TokenGeneration event (-want +got):\n%s", d)
				}
				checkV1Claims(*ref.AuthenticationResult.IdToken)
			})
		}
	}
}

// TestPreTokenGenerationV2 runs PreTokenGeneration in V2_0: complex claim
// values in the ID token, claims and scopes in the access token, the
// reserved claims of both left as they are.
func TestPreTokenGenerationV2(t *testing.T) {
	for _, version := range []types.PreTokenGenerationLambdaVersionType{"V2_0", "V3_0"} {
		t.Run(string(version), func(t *testing.T) {
			e := start(t, "sqlite", viaLambda, 5*time.Second)
			ctx := context.Background()
			poolID, clientID := e.pool(t, &types.LambdaConfigType{
				PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
					LambdaArn: aws.String(functionARN + "pre-token"), LambdaVersion: version,
				},
			})
			sub := e.user(t, poolID, "bob")
			out, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": "bob", "PASSWORD": password},
			})
			if err != nil {
				t.Fatal(err)
			}
			var tg events.CognitoEventUserPoolsPreTokenGenV2_0
			only(t, e.events(t), "TokenGeneration_Authentication", &tg)
			v := "2"
			if version == "V3_0" {
				v = "3"
			}
			want := events.CognitoEventUserPoolsPreTokenGenV2_0{
				CognitoEventUserPoolsHeader: header(v, "TokenGeneration_Authentication", poolID, clientID, "bob"),
				Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
					UserAttributes:     attrs("bob", sub),
					GroupConfiguration: events.GroupConfigurationV2_0{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
					Scopes:             []string{"aws.cognito.signin.user.admin"},
				},
			}
			if d := cmp.Diff(want, tg); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			id := claims(t, *out.AuthenticationResult.IdToken)
			for k, v := range map[string]any{
				"tier": "gold", "limits": map[string]any{"orders": 3.0}, "tags": []any{"a", "b"}, "iss": e.URL + "/" + poolID,
			} {
				if d := cmp.Diff(v, id[k]); d != "" {
					t.Errorf("ID token claim %s (-want +got):\n%s", k, d)
				}
			}
			if _, ok := id["given_name"]; ok {
				t.Error("suppressed claim given_name is in the ID token")
			}
			at := claims(t, *out.AuthenticationResult.AccessToken)
			for k, v := range map[string]any{"tier": "gold", "client_id": clientID, "scope": "orders/read", "sub": sub} {
				if d := cmp.Diff(v, at[k]); d != "" {
					t.Errorf("access token claim %s (-want +got):\n%s", k, d)
				}
			}
		})
	}
}

// TestTriggerFailures is the failure table of the sign-in triggers: for
// each of PreAuthentication, PostAuthentication and PreTokenGeneration (a
// pool with that trigger alone), a function that returns an error, answers
// something that is not an event, answers the wrong types, answers too
// much, answers too late, or cannot be reached. Each gets its exception
// with Cognito's message, and the store holds no session (token family
// or refresh token) of the sign-in.
func TestTriggerFailures(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				// The slow case runs only behind the webhook, to keep the
				// table short (internal/triggers tests a timeout under the
				// emulator).
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				type failure struct {
					user, code, msg string
				}
				for _, trig := range []string{"PreAuthentication", "PostAuthentication", "PreTokenGeneration"} {
					t.Run(trig, func(t *testing.T) {
						lc := &types.LambdaConfigType{}
						arn := aws.String(functionARN + "f")
						switch trig {
						case "PreAuthentication":
							lc.PreAuthentication = arn
						case "PostAuthentication":
							lc.PostAuthentication = arn
						case "PreTokenGeneration":
							lc.PreTokenGeneration = arn
						}
						poolID, clientID := e.pool(t, lc)
						cases := []failure{
							{"deny1", "UserLambdaValidationException", trig + " failed with error Denied by the test function."},
							{"string1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
							{"wrongtype1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
							{"huge1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
						}
						for _, tc := range cases {
							e.user(t, poolID, tc.user)
						}
						check := func(t *testing.T, e *env, poolID, clientID, user, code, msg string) {
							_, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
								ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
								AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
							})
							var ae interface {
								ErrorCode() string
								ErrorMessage() string
							}
							if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
								t.Fatalf("err = %v, want %s %q", err, code, msg)
							}
							for _, kind := range []string{"token_family", "refresh_token"} {
								if n, err := e.Store.CountItems(ctx, kind, poolID); err != nil || n != 0 {
									t.Errorf("%d items of %s after the failure (err %v), want 0", n, kind, err)
								}
							}
						}
						for _, tc := range cases {
							t.Run(tc.user, func(t *testing.T) { check(t, e, poolID, clientID, tc.user, tc.code, tc.msg) })
						}
						t.Run("unreachable", func(t *testing.T) {
							lc := &types.LambdaConfigType{}
							arn := aws.String(unreachableARN)
							switch trig {
							case "PreAuthentication":
								lc.PreAuthentication = arn
							case "PostAuthentication":
								lc.PostAuthentication = arn
							case "PreTokenGeneration":
								lc.PreTokenGeneration = arn
							}
							poolID, clientID := e.pool(t, lc)
							e.user(t, poolID, "carol")
							check(t, e, poolID, clientID, "carol", "UnexpectedLambdaException", trig+" invocation failed due to error ServiceException.")
						})
						if tr == viaWebhook {
							t.Run("slow1", func(t *testing.T) {
								e := startHurried(t, backend, tr)
								poolID, clientID := e.pool(t, lc)
								e.user(t, poolID, "slow1")
								check(t, e, poolID, clientID, "slow1", "UnexpectedLambdaException", trig+" invocation failed due to error Socket timeout while invoking Lambda function.")
							})
						}
					})
				}
			})
		}
	}
}

// TestNewPasswordChallengeTrigger: a user with a temporary password signs
// in through NEW_PASSWORD_REQUIRED; PreAuthentication runs for the
// password, and PreTokenGeneration as TokenGeneration_NewPasswordChallenge
// for the answer, whose ClientMetadata it receives.
func TestNewPasswordChallengeTrigger(t *testing.T) {
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	ctx := context.Background()
	poolID, clientID := e.pool(t, &types.LambdaConfigType{
		PreAuthentication:  aws.String(functionARN + "pre-auth"),
		PreTokenGeneration: aws.String(functionARN + "pre-token"),
	})
	c := e.client()
	out, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String("dora"), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String("Temporary-Pass-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var sub string
	for _, a := range out.User.Attributes {
		if *a.Name == "sub" {
			sub = *a.Value
		}
	}
	start, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": "Temporary-Pass-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if start.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("challenge %q", start.ChallengeName)
	}
	var pre events.CognitoEventUserPoolsPreAuthentication
	only(t, e.events(t), "PreAuthentication_Authentication", &pre)
	if pre.Request.UserAttributes["cognito:user_status"] != "FORCE_CHANGE_PASSWORD" || pre.UserName != "dora" {
		t.Errorf("PreAuthentication event: %+v", pre)
	}
	meta := map[string]string{"step": "new-password"}
	done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: start.Session,
		ChallengeResponses: map[string]string{"USERNAME": "dora", "NEW_PASSWORD": password},
		ClientMetadata:     meta,
	})
	if err != nil {
		t.Fatal(err)
	}
	var tg events.CognitoEventUserPoolsPreTokenGen
	only(t, e.events(t), "TokenGeneration_NewPasswordChallenge", &tg)
	want := events.CognitoEventUserPoolsPreTokenGen{
		CognitoEventUserPoolsHeader: header("1", "TokenGeneration_NewPasswordChallenge", poolID, clientID, "dora"),
		Request: events.CognitoEventUserPoolsPreTokenGenRequest{
			UserAttributes:     map[string]string{"sub": sub, "cognito:user_status": "CONFIRMED"},
			GroupConfiguration: events.GroupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
			ClientMetadata:     meta,
		},
	}
	if d := cmp.Diff(want, tg); d != "" {
		t.Errorf("event (-want +got):\n%s", d)
	}
	if id := claims(t, *done.AuthenticationResult.IdToken); id["tier"] != "gold" {
		t.Errorf("ID token: %v", id)
	}
}

// TestRefreshRotationRefused: with refresh-token rotation, a
// PreTokenGeneration function that refuses the refresh leaves the refresh
// token as it was: not rotated, still usable, no new token stored.
func TestRefreshRotationRefused(t *testing.T) {
	e := start(t, "sqlite", viaWebhook, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("rotation"),
		LambdaConfig: &types.LambdaConfigType{PreTokenGeneration: aws.String(functionARN + "pre-token")}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows:    []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := *cl.UserPoolClient.ClientId
	e.user(t, poolID, "refreshdeny1")
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "refreshdeny1", "PASSWORD": password},
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.Store.CountItems(ctx, "refresh_token", poolID)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err = c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
			ClientId: aws.String(clientID), RefreshToken: out.AuthenticationResult.RefreshToken,
		})
		var ae interface{ ErrorCode() string }
		if !errors.As(err, &ae) || ae.ErrorCode() != "UserLambdaValidationException" {
			t.Fatalf("err = %v, want UserLambdaValidationException", err)
		}
	}
	after, err := e.Store.CountItems(ctx, "refresh_token", poolID)
	if err != nil || after != before {
		t.Errorf("refresh tokens %d -> %d (err %v): the refused refresh wrote", before, after, err)
	}
}

// TestPreAuthenticationUserNotFound: at a client that hides whether users
// exist (PreventUserExistenceErrors ENABLED), a sign-in for a user that
// does not exist invokes PreAuthentication with userNotFound, the name as
// given and no attributes, with a password and with SRP (at the proof), and
// is answered as a wrong password, or with the function's refusal; a
// client that does not hide them answers UserNotFoundException and invokes
// nothing.
func TestPreAuthenticationUserNotFound(t *testing.T) {
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	poolID, legacyID := e.pool(t, &types.LambdaConfigType{PreAuthentication: aws.String(functionARN + "pre-auth")})
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("hiding"),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	hidingID := *cl.UserPoolClient.ClientId
	meta := map[string]string{"app": "web"}
	want := func(t *testing.T, user string) {
		t.Helper()
		evs := e.events(t)
		if len(evs) != 1 {
			t.Fatalf("%d events, want one PreAuthentication", len(evs))
		}
		var got events.CognitoEventUserPoolsPreAuthentication
		if err := json.Unmarshal(evs[0].raw, &got); err != nil {
			t.Fatal(err)
		}
		w := events.CognitoEventUserPoolsPreAuthentication{
			CognitoEventUserPoolsHeader: header("1", "PreAuthentication_Authentication", poolID, hidingID, user),
			Request:                     events.CognitoEventUserPoolsPreAuthenticationRequest{UserAttributes: map[string]string{}, ValidationData: meta, UserNotFound: true},
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	}

	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(hidingID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientMetadata: meta,
		AuthParameters: map[string]string{"USERNAME": "ghost", "PASSWORD": password},
	})
	var na *types.NotAuthorizedException
	if !errors.As(err, &na) || aws.ToString(na.Message) != "Incorrect username or password." {
		t.Fatalf("unknown user: %v, want NotAuthorizedException", err)
	}
	want(t, "ghost")

	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(hidingID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientMetadata: meta,
		AuthParameters: map[string]string{"USERNAME": "denyghost", "PASSWORD": password},
	})
	var lv *types.UserLambdaValidationException
	if !errors.As(err, &lv) || aws.ToString(lv.Message) != "PreAuthentication failed with error Denied by the test function." {
		t.Fatalf("unknown user refused by the function: %v, want UserLambdaValidationException", err)
	}
	want(t, "denyghost")

	// SRP: nothing at InitiateAuth, the event at the proof.
	sc := newSRPClient(t)
	start, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(hidingID), AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientMetadata: meta,
		AuthParameters: map[string]string{"USERNAME": "ghost-srp", "SRP_A": sc.srpA()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs := e.events(t); len(evs) != 0 {
		t.Fatalf("%d events at SRP's start, want none", len(evs))
	}
	_, poolName, _ := strings.Cut(poolID, "_")
	ts, sig := sc.claim(t, poolName, start.ChallengeParameters["USER_ID_FOR_SRP"], password, start.ChallengeParameters)
	_, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(hidingID), ChallengeName: types.ChallengeNameTypePasswordVerifier, Session: start.Session, ClientMetadata: meta,
		ChallengeResponses: map[string]string{
			"USERNAME": "ghost-srp", "PASSWORD_CLAIM_SECRET_BLOCK": start.ChallengeParameters["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
	if !errors.As(err, &na) {
		t.Fatalf("unknown user's SRP proof: %v, want NotAuthorizedException", err)
	}
	want(t, "ghost-srp")

	// A client that does not hide whether users exist.
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(legacyID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "ghost", "PASSWORD": password},
	})
	if !errors.As(err, new(*types.UserNotFoundException)) {
		t.Fatalf("unknown user at a legacy client: %v, want UserNotFoundException", err)
	}
	if evs := e.events(t); len(evs) != 0 {
		t.Errorf("%d events at a legacy client, want none", len(evs))
	}
}
