package sdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// signInFlows are the flows the sign-in tests' app clients allow.
var signInFlows = []types.ExplicitAuthFlowsType{
	types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
	types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
}

// signInPassword is the permanent password of the sign-in tests' users.
const signInPassword = "Sign-in-Passw0rd"

// signInUser creates a confirmed user with password.
func (s *selfService) signInUser(t testing.TB, username, password string, kv ...string) {
	t.Helper()
	s.e.adminCreate(t, &cip.AdminCreateUserInput{
		UserPoolId: s.pool, Username: aws.String(username), UserAttributes: sdkAttrs(kv...),
		MessageAction: types.MessageActionTypeSuppress,
	})
	if _, err := s.e.c.AdminSetUserPassword(context.Background(), &cip.AdminSetUserPasswordInput{
		UserPoolId: s.pool, Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// withSecret adds SECRET_HASH for username to params when the client has a
// secret.
func (s *selfService) withSecret(username string, params map[string]string) map[string]string {
	if h := s.secretHash(username); h != nil {
		params["SECRET_HASH"] = *h
	}
	return params
}

// passwordAuth runs USER_PASSWORD_AUTH.
func (s *selfService) passwordAuth(username, password string) (*cip.InitiateAuthOutput, error) {
	return s.e.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: s.withSecret(username, map[string]string{"USERNAME": username, "PASSWORD": password}),
	}, noRetry)
}

// srpChallenge starts USER_SRP_AUTH and returns the client state and the
// PASSWORD_VERIFIER challenge parameters.
func (s *selfService) srpChallenge(t *testing.T, username string) (*srpClient, map[string]string) {
	t.Helper()
	c := newSRPClient(t)
	out, err := s.e.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: s.withSecret(username, map[string]string{"USERNAME": username, "SRP_A": c.srpA()}),
	}, noRetry)
	if err != nil {
		t.Fatalf("InitiateAuth USER_SRP_AUTH %s: %v", username, err)
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || out.Session != nil || out.AuthenticationResult != nil {
		t.Fatalf("InitiateAuth USER_SRP_AUTH = %s session=%v, want PASSWORD_VERIFIER without a Session", out.ChallengeName, out.Session)
	}
	return c, out.ChallengeParameters
}

// answerSRP answers PASSWORD_VERIFIER with password.
func (s *selfService) answerSRP(t *testing.T, c *srpClient, params map[string]string, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	ts, sig := c.claim(t, aws.ToString(s.pool), password, params, time.Now())
	user := params["USER_ID_FOR_SRP"]
	return s.e.c.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier,
		ChallengeResponses: s.withSecret(user, map[string]string{
			"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		}),
	}, noRetry)
}

// srpSignIn signs in with USER_SRP_AUTH.
func (s *selfService) srpSignIn(t *testing.T, username, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	c, params := s.srpChallenge(t, username)
	return s.answerSRP(t, c, params, password)
}

// mustTokens fails unless res holds the three tokens Cognito returns.
func mustTokens(t *testing.T, res *types.AuthenticationResultType, err error, withRefresh bool) *types.AuthenticationResultType {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res == nil || res.AccessToken == nil || res.IdToken == nil || aws.ToString(res.TokenType) != "Bearer" || res.ExpiresIn != 3600 {
		t.Fatalf("AuthenticationResult = %+v", res)
	}
	if withRefresh != (res.RefreshToken != nil) {
		t.Fatalf("refresh token present = %v, want %v", res.RefreshToken != nil, withRefresh)
	}
	return res
}

// verifiedClaims verifies the ID and access tokens with go-oidc, through
// the pool's discovery document and JWKS, and returns their claims.
func verifiedClaims(t *testing.T, url string, pool *string, clientID *string, res *types.AuthenticationResultType) (id, access map[string]any) {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, url+"/"+aws.ToString(pool))
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idTok, err := provider.Verifier(&gooidc.Config{ClientID: aws.ToString(clientID)}).Verify(ctx, aws.ToString(res.IdToken))
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	accessTok, err := provider.Verifier(&gooidc.Config{SkipClientIDCheck: true}).Verify(ctx, aws.ToString(res.AccessToken))
	if err != nil {
		t.Fatalf("verify access token: %v", err)
	}
	if err := idTok.Claims(&id); err != nil {
		t.Fatal(err)
	}
	if err := accessTok.Claims(&access); err != nil {
		t.Fatal(err)
	}
	return id, access
}

func TestSignInPasswordFlows(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail},
			Schema: []types.SchemaAttributeType{{
				Name: aws.String("tier"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(true),
			}},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "alice", signInPassword, "email", "alice@example.com", "email_verified", "true", "custom:tier", "gold")
		const adminRole, userRole = "arn:aws:iam::123456789012:role/admins", "arn:aws:iam::123456789012:role/users"
		for _, g := range []cip.CreateGroupInput{
			{GroupName: aws.String("readers")},
			{GroupName: aws.String("users"), Precedence: aws.Int32(5), RoleArn: aws.String(userRole)},
			{GroupName: aws.String("admins"), Precedence: aws.Int32(1), RoleArn: aws.String(adminRole)},
		} {
			g.UserPoolId = s.pool
			if _, err := e.c.CreateGroup(ctx, &g); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: s.pool, Username: aws.String("alice"), GroupName: g.GroupName}); err != nil {
				t.Fatal(err)
			}
		}
		sub := attrMap(e.getUser(t, s.pool, "alice").UserAttributes)["sub"]

		signIns := []struct {
			name string
			run  func() (*types.AuthenticationResultType, error)
		}{
			{"USER_PASSWORD_AUTH", func() (*types.AuthenticationResultType, error) {
				out, err := s.passwordAuth("alice", signInPassword)
				if err != nil {
					return nil, err
				}
				return out.AuthenticationResult, nil
			}},
			{"USER_PASSWORD_AUTH with the email alias", func() (*types.AuthenticationResultType, error) {
				out, err := s.passwordAuth("alice@example.com", signInPassword)
				if err != nil {
					return nil, err
				}
				return out.AuthenticationResult, nil
			}},
			{"ADMIN_USER_PASSWORD_AUTH", func() (*types.AuthenticationResultType, error) {
				out, err := e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
					UserPoolId: s.pool, ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword},
				})
				if err != nil {
					return nil, err
				}
				return out.AuthenticationResult, nil
			}},
			{"ADMIN_NO_SRP_AUTH", func() (*types.AuthenticationResultType, error) {
				out, err := e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
					UserPoolId: s.pool, ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminNoSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword},
				})
				if err != nil {
					return nil, err
				}
				return out.AuthenticationResult, nil
			}},
			{"USER_SRP_AUTH", func() (*types.AuthenticationResultType, error) {
				out, err := s.srpSignIn(t, "alice", signInPassword)
				if err != nil {
					return nil, err
				}
				return out.AuthenticationResult, nil
			}},
			// A refresh reads the groups again (on PostgreSQL in the round
			// trip that reads the user and the token's family).
			{"REFRESH_TOKEN_AUTH", func() (*types.AuthenticationResultType, error) {
				out, err := s.srpSignIn(t, "alice", signInPassword)
				if err != nil {
					return nil, err
				}
				refreshed, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
					AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(out.AuthenticationResult.RefreshToken)},
				})
				if err != nil {
					return nil, err
				}
				return refreshed.AuthenticationResult, nil
			}},
		}
		for _, tc := range signIns {
			t.Run(tc.name, func(t *testing.T) {
				res, err := tc.run()
				res = mustTokens(t, res, err, tc.name != "REFRESH_TOKEN_AUTH")
				id, access := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, res)
				groups := []any{"admins", "users", "readers"}
				wantID := map[string]any{
					"sub": sub, "aud": aws.ToString(s.client.ClientId), "token_use": "id", "cognito:username": "alice",
					"email": "alice@example.com", "email_verified": true, "custom:tier": "gold",
					"cognito:groups": groups, "cognito:roles": []any{adminRole, userRole}, "cognito:preferred_role": adminRole,
					"iss": e.URL + "/" + aws.ToString(s.pool),
				}
				for k, want := range wantID {
					if diff := cmp.Diff(want, id[k]); diff != "" {
						t.Errorf("ID token %s (-want +got):\n%s", k, diff)
					}
				}
				wantAccess := map[string]any{
					"sub": sub, "client_id": aws.ToString(s.client.ClientId), "token_use": "access", "username": "alice",
					"scope": "aws.cognito.signin.user.admin", "cognito:groups": groups, "version": float64(2),
				}
				for k, want := range wantAccess {
					if diff := cmp.Diff(want, access[k]); diff != "" {
						t.Errorf("access token %s (-want +got):\n%s", k, diff)
					}
				}
				for _, k := range []string{"origin_jti", "event_id", "auth_time"} {
					if id[k] == nil || id[k] != access[k] {
						t.Errorf("%s: ID token %v, access token %v, want the same value", k, id[k], access[k])
					}
				}
				if _, ok := access["aud"]; ok {
					t.Errorf("access token has aud %v", access["aud"])
				}
				got, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken}, noRetry)
				if err != nil {
					t.Fatalf("GetUser with the access token: %v", err)
				}
				if aws.ToString(got.Username) != "alice" {
					t.Errorf("GetUser = %s", aws.ToString(got.Username))
				}
			})
		}
	})
}

// rawAnswer is an API answer as it went over the wire.
type rawAnswer struct {
	Status    int
	ErrorType string
	Body      string
}

// rawCall calls an operation with a plain HTTP request, so that whole
// answers can be compared byte for byte.
func rawCall(t *testing.T, url, operation string, body any) rawAnswer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+operation)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawAnswer{Status: resp.StatusCode, ErrorType: resp.Header.Get("X-Amzn-Errortype"), Body: string(out)}
}

func TestSignInErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "alice", signInPassword)
		s.signInUser(t, "dora", signInPassword)
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("dora")}); err != nil {
			t.Fatal(err)
		}
		s.signInUser(t, "rita", signInPassword, "email", "rita@example.com", "email_verified", "true")
		if _, err := e.c.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: s.pool, Username: aws.String("rita")}); err != nil {
			t.Fatal(err)
		}
		s.mustSignUp(t, "una", signInPassword)
		secretClient := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("confidential"), GenerateSecret: true, ExplicitAuthFlows: signInFlows,
		})
		srpOnly := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("srp-only"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		})
		passwordOnly := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("password-only"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
		})
		password := func(client *types.UserPoolClientType, params map[string]string) error {
			_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params}, noRetry)
			return err
		}
		cases := []struct {
			name     string
			call     func() error
			wantType string
			wantMsg  string
		}{
			{"wrong password", func() error {
				return password(s.client, map[string]string{"USERNAME": "alice", "PASSWORD": "Wrong-passw0rd"})
			},
				"NotAuthorizedException", "Incorrect username or password."},
			{"unknown user", func() error {
				return password(s.client, map[string]string{"USERNAME": "nobody", "PASSWORD": signInPassword})
			},
				"UserNotFoundException", "User does not exist."},
			{"disabled user", func() error {
				return password(s.client, map[string]string{"USERNAME": "dora", "PASSWORD": signInPassword})
			},
				"NotAuthorizedException", "User is disabled."},
			{"password reset required", func() error {
				return password(s.client, map[string]string{"USERNAME": "rita", "PASSWORD": signInPassword})
			},
				"PasswordResetRequiredException", "Password reset required for the user"},
			{"unconfirmed user", func() error {
				return password(s.client, map[string]string{"USERNAME": "una", "PASSWORD": signInPassword})
			},
				"UserNotConfirmedException", "User is not confirmed."},
			// Cognito tells an unconfirmed user so before checking the
			// password (aws/aws-sdk-js#4608), and at InitiateAuth for SRP
			// (aws-amplify/amplify-swift#3053).
			{"unconfirmed user, wrong password", func() error {
				return password(s.client, map[string]string{"USERNAME": "una", "PASSWORD": "Wrong-passw0rd"})
			},
				"UserNotConfirmedException", "User is not confirmed."},
			{"unconfirmed user, SRP", func() error {
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "una", "SRP_A": newSRPClient(t).srpA()}}, noRetry)
				return err
			},
				"UserNotConfirmedException", "User is not confirmed."},
			{"missing password", func() error { return password(s.client, map[string]string{"USERNAME": "alice"}) },
				"InvalidParameterException", "Missing required parameter PASSWORD"},
			{"missing username", func() error { return password(s.client, map[string]string{"PASSWORD": signInPassword}) },
				"InvalidParameterException", "Missing required parameter USERNAME"},
			{"password flow not enabled", func() error {
				return password(srpOnly, map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword})
			}, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client"},
			{"SRP flow not enabled", func() error {
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: passwordOnly.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": newSRPClient(t).srpA()}}, noRetry)
				return err
			}, "InvalidParameterException", "USER_SRP_AUTH is not enabled for the client."},
			{"admin flow through InitiateAuth", func() error {
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword}}, noRetry)
				return err
			}, "InvalidParameterException", "Initiate Auth method not supported."},
			{"secret hash missing", func() error {
				return password(secretClient, map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword})
			}, "NotAuthorizedException", "Client " + aws.ToString(secretClient.ClientId) + " is configured with secret but SECRET_HASH was not received"},
			{"secret hash wrong", func() error {
				return password(secretClient, map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword, "SECRET_HASH": "bm90IGEgaGFzaA=="})
			}, "NotAuthorizedException", "Unable to verify secret hash for client " + aws.ToString(secretClient.ClientId)},
			{"SRP_A zero", func() error {
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": "0"}}, noRetry)
				return err
			}, "InvalidParameterException", ""},
			{"unknown client", func() error {
				return password(&types.UserPoolClientType{ClientId: aws.String("nosuchclient0000000000000")}, map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword})
			}, "ResourceNotFoundException", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				var ae interface {
					ErrorCode() string
					ErrorMessage() string
				}
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want %s", err, tc.wantType)
				}
				if ae.ErrorCode() != tc.wantType || (tc.wantMsg != "" && ae.ErrorMessage() != tc.wantMsg) {
					t.Errorf("error = %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), tc.wantType, tc.wantMsg)
				}
			})
		}
		// The confidential client signs in with the right SECRET_HASH.
		sc := &selfService{e: e, pool: s.pool, client: secretClient}
		out, err := sc.passwordAuth("alice", signInPassword)
		if err != nil {
			t.Fatalf("sign-in with SECRET_HASH: %v", err)
		}
		mustTokens(t, out.AuthenticationResult, nil, true)
	})
}

func TestSignInPreventUserExistenceErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: userAuthFlows, PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		})
		s.signInUser(t, "alice", signInPassword)
		s.signInUser(t, "dora", signInPassword)
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("dora")}); err != nil {
			t.Fatal(err)
		}
		auth := func(user, password string) rawAnswer {
			return rawCall(t, e.URL, "InitiateAuth", map[string]any{
				"ClientId": aws.ToString(s.client.ClientId), "AuthFlow": "USER_PASSWORD_AUTH",
				"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": password},
			})
		}
		wrong := auth("alice", "Wrong-passw0rd")
		want := rawAnswer{Status: 400, ErrorType: "NotAuthorizedException", Body: `{"__type":"NotAuthorizedException","message":"Incorrect username or password."}`}
		if diff := cmp.Diff(want, wrong); diff != "" {
			t.Fatalf("wrong password (-want +got):\n%s", diff)
		}
		// USER_AUTH with PREFERRED_CHALLENGE=PASSWORD answers as the
		// password flow (the choices of USER_AUTH are
		// TestUserAuthHidesUnknownUsers's).
		userAuth := func(user, password string) rawAnswer {
			return rawCall(t, e.URL, "InitiateAuth", map[string]any{
				"ClientId": aws.ToString(s.client.ClientId), "AuthFlow": "USER_AUTH",
				"AuthParameters": map[string]string{"USERNAME": user, "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": password},
			})
		}
		for name, got := range map[string]rawAnswer{
			"unknown user":                             auth("nobody", signInPassword),
			"unknown user, other password":             auth("nobody", "Wrong-passw0rd"),
			"disabled user, wrong password":            auth("dora", "Wrong-passw0rd"),
			"USER_AUTH, wrong password":                userAuth("alice", "Wrong-passw0rd"),
			"USER_AUTH, unknown user":                  userAuth("nobody", signInPassword),
			"USER_AUTH, disabled user, wrong password": userAuth("dora", "Wrong-passw0rd"),
		} {
			if diff := cmp.Diff(wrong, got); diff != "" {
				t.Errorf("%s answers unlike a wrong password (-wrong password +got):\n%s", name, diff)
			}
		}
		// The right password of a disabled user is told the truth, as
		// Cognito documents.
		if got := auth("dora", signInPassword); got.ErrorType != "NotAuthorizedException" || !bytes.Contains([]byte(got.Body), []byte("User is disabled.")) {
			t.Errorf("disabled user, right password: %+v", got)
		}

		// USER_SRP_AUTH: an unknown user gets a challenge like a real one,
		// with the same salt each time and a fresh SRP_B, and its proof
		// fails exactly like a wrong password.
		_, first := s.srpChallenge(t, "nobody")
		c, second := s.srpChallenge(t, "nobody")
		_, real := s.srpChallenge(t, "alice")
		if first["SALT"] != second["SALT"] || first["SRP_B"] == second["SRP_B"] || first["USER_ID_FOR_SRP"] != second["USER_ID_FOR_SRP"] {
			t.Errorf("unknown user's challenges: %v then %v", first, second)
		}
		for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"} {
			if second[k] == "" || real[k] == "" {
				t.Errorf("%s missing: unknown %q, real %q", k, second[k], real[k])
			}
		}
		_, err := s.answerSRP(t, c, second, signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		c2, params := s.srpChallenge(t, "alice")
		_, err = s.answerSRP(t, c2, params, "Wrong-passw0rd")
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
	})
}

func TestSignInSRP(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows, GenerateSecret: true})
		s.signInUser(t, "bob@example.com", signInPassword)
		sub := attrMap(e.getUser(t, s.pool, "bob@example.com").UserAttributes)["sub"]

		c, params := s.srpChallenge(t, "bob@example.com")
		if params["USER_ID_FOR_SRP"] != sub || params["USERNAME"] != sub {
			t.Errorf("USER_ID_FOR_SRP %q USERNAME %q, want the internal username %s", params["USER_ID_FOR_SRP"], params["USERNAME"], sub)
		}
		out, err := s.answerSRP(t, c, params, signInPassword)
		res := mustTokens(t, out.AuthenticationResult, err, true)
		id, _ := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, res)
		if id["email"] != "bob@example.com" || id["cognito:username"] != sub {
			t.Errorf("ID token email %v cognito:username %v", id["email"], id["cognito:username"])
		}
		// The secret block answers once.
		_, err = s.answerSRP(t, c, params, signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid session for the user, session can only be used once.")

		// A tampered secret block does not open.
		c, params = s.srpChallenge(t, "bob@example.com")
		block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
		if err != nil {
			t.Fatal(err)
		}
		block[20] ^= 1
		params["SECRET_BLOCK"] = base64.StdEncoding.EncodeToString(block)
		_, err = s.answerSRP(t, c, params, signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid session for the user.")

		// A password changed by an administrator changes the verifier.
		if _, err := e.c.AdminSetUserPassword(context.Background(), &cip.AdminSetUserPasswordInput{
			UserPoolId: s.pool, Username: aws.String("bob@example.com"), Password: aws.String("Another-passw0rd"), Permanent: true,
		}); err != nil {
			t.Fatal(err)
		}
		_, err = s.srpSignIn(t, "bob@example.com", signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		out, err = s.srpSignIn(t, "bob@example.com", "Another-passw0rd")
		mustTokens(t, out.AuthenticationResult, err, true)
	})
}

func TestSignInNewPasswordRequired(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		const temporary = "Temporary-passw0rd"
		e.adminCreate(t, &cip.AdminCreateUserInput{
			UserPoolId: s.pool, Username: aws.String("carol"), TemporaryPassword: aws.String(temporary),
			UserAttributes: sdkAttrs("email", "carol@example.com", "email_verified", "true"), MessageAction: types.MessageActionTypeSuppress,
		})
		out, err := s.passwordAuth("carol", temporary)
		if err != nil {
			t.Fatal(err)
		}
		if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || out.Session == nil || out.AuthenticationResult != nil {
			t.Fatalf("InitiateAuth = %s session=%v", out.ChallengeName, out.Session != nil)
		}
		var attrs map[string]string
		var required []string
		if err := json.Unmarshal([]byte(out.ChallengeParameters["userAttributes"]), &attrs); err != nil {
			t.Fatalf("userAttributes %q: %v", out.ChallengeParameters["userAttributes"], err)
		}
		if err := json.Unmarshal([]byte(out.ChallengeParameters["requiredAttributes"]), &required); err != nil || required == nil {
			t.Fatalf("requiredAttributes %q: %v", out.ChallengeParameters["requiredAttributes"], err)
		}
		if diff := cmp.Diff(map[string]string{"email": "carol@example.com", "email_verified": "true"}, attrs); diff != "" {
			t.Errorf("userAttributes (-want +got):\n%s", diff)
		}
		if out.ChallengeParameters["USER_ID_FOR_SRP"] != "carol" {
			t.Errorf("USER_ID_FOR_SRP = %q", out.ChallengeParameters["USER_ID_FOR_SRP"])
		}
		respond := func(session *string, password string, extra map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
			responses := map[string]string{"USERNAME": "carol", "NEW_PASSWORD": password}
			for k, v := range extra {
				responses[k] = v
			}
			return e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: session, ChallengeResponses: responses,
			}, noRetry)
		}
		// A password the policy refuses leaves the Session usable.
		_, err = respond(out.Session, "short", nil)
		wantTyped[*types.InvalidPasswordException](t, err, "")
		done, err := respond(out.Session, signInPassword, map[string]string{"userAttributes.name": "Carol"})
		mustTokens(t, done.AuthenticationResult, err, true)
		u := e.getUser(t, s.pool, "carol")
		if u.UserStatus != types.UserStatusTypeConfirmed || attrMap(u.UserAttributes)["name"] != "Carol" {
			t.Errorf("after NEW_PASSWORD_REQUIRED: %s %v", u.UserStatus, attrMap(u.UserAttributes))
		}
		_, err = respond(out.Session, signInPassword, nil)
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid session for the user, session can only be used once.")
		// The new password signs in, by password and by SRP.
		in, err := s.passwordAuth("carol", signInPassword)
		mustTokens(t, in.AuthenticationResult, err, true)
		srp, err := s.srpSignIn(t, "carol", signInPassword)
		mustTokens(t, srp.AuthenticationResult, err, true)

		// Through SRP, the challenge comes after the proof; the pool's
		// required attributes are asked for by name.
		e.adminCreate(t, &cip.AdminCreateUserInput{
			UserPoolId: s.pool, Username: aws.String("dave"), TemporaryPassword: aws.String(temporary), MessageAction: types.MessageActionTypeSuppress,
		})
		ch, err := s.srpSignIn(t, "dave", temporary)
		if err != nil || ch.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("SRP sign-in with a temporary password: %v %v", ch, err)
		}
		admin, err := e.c.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{
			UserPoolId: s.pool, ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: ch.Session,
			ChallengeResponses: map[string]string{"USERNAME": "dave", "NEW_PASSWORD": signInPassword},
		})
		mustTokens(t, admin.AuthenticationResult, err, true)
	})
}

func TestSignInUserAuth(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		})
		s.signInUser(t, "erin", signInPassword)
		start := func(params map[string]string) (*cip.InitiateAuthOutput, error) {
			return e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserAuth, AuthParameters: params}, noRetry)
		}
		sel, err := start(map[string]string{"USERNAME": "erin"})
		if err != nil {
			t.Fatal(err)
		}
		want := []types.ChallengeNameType{types.ChallengeNameTypePassword, types.ChallengeNameTypePasswordSrp}
		if sel.ChallengeName != types.ChallengeNameTypeSelectChallenge || sel.Session == nil || !cmp.Equal(want, sel.AvailableChallenges) {
			t.Fatalf("USER_AUTH = %s %v session=%v", sel.ChallengeName, sel.AvailableChallenges, sel.Session != nil)
		}
		out, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeSelectChallenge, Session: sel.Session,
			ChallengeResponses: map[string]string{"USERNAME": "erin", "ANSWER": "PASSWORD", "PASSWORD": signInPassword},
		}, noRetry)
		mustTokens(t, out.AuthenticationResult, err, true)

		// SELECT_CHALLENGE answered with PASSWORD_SRP leads to
		// PASSWORD_VERIFIER.
		sel, err = start(map[string]string{"USERNAME": "erin"})
		if err != nil {
			t.Fatal(err)
		}
		c := newSRPClient(t)
		ch, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeSelectChallenge, Session: sel.Session,
			ChallengeResponses: map[string]string{"USERNAME": "erin", "ANSWER": "PASSWORD_SRP", "SRP_A": c.srpA()},
		}, noRetry)
		if err != nil || ch.ChallengeName != types.ChallengeNameTypePasswordVerifier {
			t.Fatalf("PASSWORD_SRP answer: %v %v", ch, err)
		}
		done, err := s.answerSRP(t, c, ch.ChallengeParameters, signInPassword)
		mustTokens(t, done.AuthenticationResult, err, true)

		// PREFERRED_CHALLENGE runs the challenge at once.
		direct, err := start(map[string]string{"USERNAME": "erin", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": signInPassword})
		mustTokens(t, direct.AuthenticationResult, err, true)
		_, err = start(map[string]string{"USERNAME": "erin", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Wrong-passw0rd"})
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		c = newSRPClient(t)
		pv, err := start(map[string]string{"USERNAME": "erin", "PREFERRED_CHALLENGE": "PASSWORD_SRP", "SRP_A": c.srpA()})
		if err != nil || pv.ChallengeName != types.ChallengeNameTypePasswordVerifier {
			t.Fatalf("PREFERRED_CHALLENGE PASSWORD_SRP: %v %v", pv, err)
		}
		done, err = s.answerSRP(t, c, pv.ChallengeParameters, signInPassword)
		mustTokens(t, done.AuthenticationResult, err, true)

		_, err = start(map[string]string{"USERNAME": "nobody"})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		// A client without USER_AUTH cannot start it.
		other := appClient(t, e.c, &cip.CreateUserPoolClientInput{UserPoolId: s.pool, ClientName: aws.String("srp"), ExplicitAuthFlows: signInFlows})
		_, err = e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: other.ClientId, AuthFlow: types.AuthFlowTypeUserAuth, AuthParameters: map[string]string{"USERNAME": "erin"}}, noRetry)
		wantTyped[*types.InvalidParameterException](t, err, "Auth flow not enabled for this client")
	})
}

func TestRefreshAndRevoke(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "fay", signInPassword)
		signIn := func() *types.AuthenticationResultType {
			t.Helper()
			out, err := s.passwordAuth("fay", signInPassword)
			if err != nil {
				t.Fatal(err)
			}
			return mustTokens(t, out.AuthenticationResult, nil, true)
		}
		refresh := func(token *string) (*types.AuthenticationResultType, error) {
			out, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
				AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(token)},
			}, noRetry)
			if err != nil {
				return nil, err
			}
			return out.AuthenticationResult, nil
		}
		getUser := func(token *string) error {
			_, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: token}, noRetry)
			return err
		}
		first, second := signIn(), signIn()
		refreshed, err := refresh(first.RefreshToken)
		refreshed = mustTokens(t, refreshed, err, false)
		id1, access1 := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, first)
		id2, access2 := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, refreshed)
		if access1["origin_jti"] != access2["origin_jti"] || id1["auth_time"] != id2["auth_time"] || access1["jti"] == access2["jti"] {
			t.Errorf("refreshed tokens: origin_jti %v→%v auth_time %v→%v jti %v→%v",
				access1["origin_jti"], access2["origin_jti"], id1["auth_time"], id2["auth_time"], access1["jti"], access2["jti"])
		}
		_, err = refresh(aws.String("not-a-refresh-token"))
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid Refresh Token.")

		// RevokeToken ends the first session: its refresh token and every
		// access token minted from it, on the very next request. The second
		// session goes on.
		if _, err := e.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: s.client.ClientId, Token: first.RefreshToken}); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		for _, tok := range []*string{first.AccessToken, refreshed.AccessToken} {
			wantTyped[*types.NotAuthorizedException](t, getUser(tok), "Access Token has been revoked")
		}
		_, err = refresh(first.RefreshToken)
		wantTyped[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		if err := getUser(second.AccessToken); err != nil {
			t.Errorf("the other session after RevokeToken: %v", err)
		}
		_, err = e.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: s.client.ClientId, Token: second.AccessToken}, noRetry)
		wantTyped[*types.UnsupportedTokenTypeException](t, err, "")
		noRevocation := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("no-revocation"), EnableTokenRevocation: aws.Bool(false),
		})
		_, err = e.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: noRevocation.ClientId, Token: second.RefreshToken}, noRetry)
		wantTyped[*types.UnsupportedOperationException](t, err, "")
		confidential := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("confidential"), GenerateSecret: true,
		})
		_, err = e.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: confidential.ClientId, Token: second.RefreshToken}, noRetry)
		wantTyped[*types.UnauthorizedException](t, err, "")
		// A token of another client, or no token this server made, is
		// accepted and changes nothing (RFC 7009).
		for _, tok := range []*string{second.RefreshToken, aws.String("unknown-token")} {
			if _, err := e.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: confidential.ClientId, ClientSecret: confidential.ClientSecret, Token: tok}, noRetry); err != nil {
				t.Errorf("RevokeToken of a token the client did not get: %v", err)
			}
		}
		if err := getUser(second.AccessToken); err != nil {
			t.Errorf("a session after another client revoked its token: %v", err)
		}

		// GlobalSignOut ends every session of the user.
		third := signIn()
		if _, err := e.c.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: third.AccessToken}); err != nil {
			t.Fatalf("GlobalSignOut: %v", err)
		}
		for _, r := range []*types.AuthenticationResultType{second, third} {
			wantTyped[*types.NotAuthorizedException](t, getUser(r.AccessToken), "Access Token has been revoked")
			_, err = refresh(r.RefreshToken)
			wantTyped[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		}

		// AdminUserGlobalSignOut does it as an administrator.
		fourth := signIn()
		if _, err := e.c.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: s.pool, Username: aws.String("fay")}); err != nil {
			t.Fatal(err)
		}
		wantTyped[*types.NotAuthorizedException](t, getUser(fourth.AccessToken), "Access Token has been revoked")

		// Disabling a user revokes its tokens; enabling it again does not
		// bring them back.
		fifth := signIn()
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("fay")}); err != nil {
			t.Fatal(err)
		}
		wantTyped[*types.NotAuthorizedException](t, getUser(fifth.AccessToken), "Access Token has been revoked")
		if _, err := e.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: s.pool, Username: aws.String("fay")}); err != nil {
			t.Fatal(err)
		}
		_, err = refresh(fifth.RefreshToken)
		wantTyped[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")

		// A deleted user's tokens no longer work.
		sixth := signIn()
		if _, err := e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: s.pool, Username: aws.String("fay")}); err != nil {
			t.Fatal(err)
		}
		wantTyped[*types.UserNotFoundException](t, getUser(sixth.AccessToken), "User does not exist.")
	})
}

func TestRefreshTokenRotation(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		rotation := func(grace int32) *types.RefreshTokenRotationType {
			return &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(grace)}
		}
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows:    []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
			RefreshTokenRotation: rotation(0), GenerateSecret: true,
		})
		graceful := appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("graceful"), RefreshTokenRotation: rotation(60),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
		})
		s.signInUser(t, "gil", signInPassword)
		out, err := s.passwordAuth("gil", signInPassword)
		first := mustTokens(t, out.AuthenticationResult, err, true)
		rotate := func(client *types.UserPoolClientType, token *string) (*types.AuthenticationResultType, error) {
			out, err := e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
				ClientId: client.ClientId, ClientSecret: client.ClientSecret, RefreshToken: token,
			}, noRetry)
			if err != nil {
				return nil, err
			}
			return out.AuthenticationResult, nil
		}
		second, err := rotate(s.client, first.RefreshToken)
		second = mustTokens(t, second, err, true)
		if aws.ToString(second.RefreshToken) == aws.ToString(first.RefreshToken) {
			t.Fatal("rotation returned the same refresh token")
		}
		_, err = e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: s.withSecret("gil", map[string]string{"REFRESH_TOKEN": aws.ToString(second.RefreshToken)}),
		}, noRetry)
		wantTyped[*types.InvalidParameterException](t, err, "")
		_, err = e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: s.client.ClientId, RefreshToken: second.RefreshToken}, noRetry)
		wantTyped[*types.NotAuthorizedException](t, err, "")

		// Without a grace period, using the first token again is reuse: the
		// family is revoked, the newest refresh token and the access tokens
		// with it.
		_, err = rotate(s.client, first.RefreshToken)
		wantTyped[*types.RefreshTokenReuseException](t, err, "")
		_, err = rotate(s.client, second.RefreshToken)
		wantTyped[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		_, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: second.AccessToken}, noRetry)
		wantTyped[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

		// Within the grace period a retry with the old token gets tokens
		// again.
		gs := &selfService{e: e, pool: s.pool, client: graceful}
		out, err = gs.passwordAuth("gil", signInPassword)
		start := mustTokens(t, out.AuthenticationResult, err, true)
		a, err := rotate(graceful, start.RefreshToken)
		a = mustTokens(t, a, err, true)
		b, err := rotate(graceful, start.RefreshToken)
		b = mustTokens(t, b, err, true)
		for _, r := range []*types.AuthenticationResultType{a, b} {
			if _, err := rotate(graceful, r.RefreshToken); err != nil {
				t.Errorf("a refresh token issued in the grace period: %v", err)
			}
		}
	})
}

func TestSignInAuthEvents(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			UserPoolTier:   types.UserPoolTierTypePlus,
			UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "hal", signInPassword)
		if _, err := s.passwordAuth("hal", "Wrong-passw0rd"); err == nil {
			t.Fatal("wrong password signed in")
		}
		out, err := s.passwordAuth("hal", signInPassword)
		res := mustTokens(t, out.AuthenticationResult, err, true)
		_, access := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, res)
		events, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String("hal")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range events.AuthEvents {
			got = append(got, string(ev.EventType)+" "+string(ev.EventResponse))
		}
		if diff := cmp.Diff([]string{"SignIn Pass", "SignIn Fail"}, got); diff != "" {
			t.Fatalf("events, newest first (-want +got):\n%s", diff)
		}
		if aws.ToString(events.AuthEvents[0].EventId) != access["event_id"] {
			t.Errorf("event ID %s, token event_id %v", aws.ToString(events.AuthEvents[0].EventId), access["event_id"])
		}
	})
}

// clockBackends is userBackends (an outbox mounted at
// messaging.OutboxPath) on a server whose engines read clock, a testClock
// that stands still until the test moves it.
func clockBackends(t *testing.T, f func(t *testing.T, e *userEnv, clock *testClock)) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			clock := newTestClock()
			outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
			url := serve(t, db, directory.Options{Sender: outbox, Clock: clock.Now}, func(mux *http.ServeMux) {
				mux.Handle(messaging.OutboxPath, outbox.Handler(messaging.OutboxAccess{Loopback: true}))
			})
			e := &env{URL: url, Store: db}
			f(t, &userEnv{env: e, outbox: outbox, c: e.client("us-east-1")}, clock)
		})
	}
}

func TestSignInExpiries(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows, AuthSessionValidity: aws.Int32(5)})
		const temporary = "Temporary-passw0rd"
		for _, name := range []string{"ivy", "jon", "joy"} {
			e.adminCreate(t, &cip.AdminCreateUserInput{
				UserPoolId: s.pool, Username: aws.String(name), TemporaryPassword: aws.String(temporary), MessageAction: types.MessageActionTypeSuppress,
			})
		}
		s.signInUser(t, "kim", signInPassword)

		// A Session lasts the client's AuthSessionValidity (5 minutes here),
		// and so does a SECRET_BLOCK.
		out, err := s.passwordAuth("ivy", temporary)
		if err != nil || out.Session == nil {
			t.Fatalf("NEW_PASSWORD_REQUIRED: %v %v", out, err)
		}
		c, params := s.srpChallenge(t, "kim")
		clock.advance(5*time.Minute + time.Second)
		_, err = e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": "ivy", "NEW_PASSWORD": signInPassword},
		}, noRetry)
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")
		_, err = s.answerSRP(t, c, params, signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")

		// A temporary password lasts the pool's TemporaryPasswordValidityDays
		// (7 by default): it still opens NEW_PASSWORD_REQUIRED a millisecond
		// before, and no longer at 7 days.
		const tempExpired = "Temporary password has expired and must be reset by an administrator."
		clock.advance(7*24*time.Hour - time.Millisecond - (5*time.Minute + time.Second))
		out, err = s.passwordAuth("joy", temporary)
		if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("temporary password a millisecond before 7 days: %v %v", out, err)
		}
		clock.advance(time.Millisecond)
		_, err = s.passwordAuth("jon", temporary)
		wantTyped[*types.NotAuthorizedException](t, err, tempExpired)

		// A pool that sets 2 days.
		short := e.selfServicePool(t, &cip.CreateUserPoolInput{Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), TemporaryPasswordValidityDays: 2,
		}}}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		for _, name := range []string{"kit", "lou"} {
			e.adminCreate(t, &cip.AdminCreateUserInput{
				UserPoolId: short.pool, Username: aws.String(name), TemporaryPassword: aws.String(temporary), MessageAction: types.MessageActionTypeSuppress,
			})
		}
		clock.advance(2*24*time.Hour - time.Millisecond)
		out, err = short.passwordAuth("kit", temporary)
		if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("temporary password a millisecond before 2 days: %v %v", out, err)
		}
		clock.advance(time.Millisecond)
		_, err = short.passwordAuth("lou", temporary)
		wantTyped[*types.NotAuthorizedException](t, err, tempExpired)
	})
}

func TestSignInLockout(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "lee", signInPassword)
		wrong := func() error {
			_, err := s.passwordAuth("lee", "Wrong-passw0rd")
			return err
		}
		// The fifth failure in a row locks the user out for a second, the
		// sixth for two; attempts refused meanwhile do not count, and are
		// refused even with the right password or through SRP. The clock
		// stands still between calls, so each lockout ends exactly when
		// the test moves it there.
		for range 5 {
			wantTyped[*types.NotAuthorizedException](t, wrong(), "Incorrect username or password.")
		}
		wantTyped[*types.NotAuthorizedException](t, wrong(), "Password attempts exceeded")
		clock.advance(time.Second - time.Millisecond)
		wantTyped[*types.NotAuthorizedException](t, wrong(), "Password attempts exceeded")
		clock.advance(time.Millisecond)
		wantTyped[*types.NotAuthorizedException](t, wrong(), "Incorrect username or password.")
		clock.advance(time.Second)
		_, err := s.passwordAuth("lee", signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Password attempts exceeded")
		_, err = s.srpSignIn(t, "lee", signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Password attempts exceeded")
		clock.advance(time.Second - time.Millisecond)
		_, err = s.passwordAuth("lee", signInPassword)
		wantTyped[*types.NotAuthorizedException](t, err, "Password attempts exceeded")
		clock.advance(time.Millisecond)
		// A right password signs in and starts the count again.
		out, err := s.passwordAuth("lee", signInPassword)
		mustTokens(t, out.AuthenticationResult, err, true)
		for range 4 {
			wantTyped[*types.NotAuthorizedException](t, wrong(), "Incorrect username or password.")
		}
		out, err = s.passwordAuth("lee", signInPassword)
		mustTokens(t, out.AuthenticationResult, err, true)
	})
}

func TestRefreshTokenRotationGrace(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows:    []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
			RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(10)},
		})
		s.signInUser(t, "max", signInPassword)
		out, err := s.passwordAuth("max", signInPassword)
		first := mustTokens(t, out.AuthenticationResult, err, true)
		rotate := func(token *string) error {
			_, err := e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: s.client.ClientId, RefreshToken: token}, noRetry)
			return err
		}
		if err := rotate(first.RefreshToken); err != nil {
			t.Fatal(err)
		}
		// The clock stands still between calls: the grace period is the
		// 10 seconds the test moves it, to the end and one past.
		clock.advance(10 * time.Second)
		if err := rotate(first.RefreshToken); err != nil {
			t.Fatalf("a retry at the end of the grace period: %v", err)
		}
		clock.advance(time.Millisecond)
		wantTyped[*types.RefreshTokenReuseException](t, rotate(first.RefreshToken), "")
	})
}
