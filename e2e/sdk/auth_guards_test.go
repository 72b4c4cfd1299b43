package sdk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestRefreshSecretHash refreshes through a confidential client: with
// REFRESH_TOKEN_AUTH the request needs the SECRET_HASH of the user, with
// GetTokensFromRefreshToken the client secret itself. A missing or wrong
// one is refused (NotAuthorizedException) and the right one refreshes.
func TestRefreshSecretHash(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows, GenerateSecret: true})
		s.signInUser(t, "ann", signInPassword)
		s.signInUser(t, "bob", signInPassword)
		out, err := s.passwordAuth("ann", signInPassword)
		tokens := mustTokens(t, out.AuthenticationResult, err, true)
		clientID := aws.ToString(s.client.ClientId)

		// hashWith is the SECRET_HASH of username under key, computed
		// here from Cognito's definition: Base64(HMAC-SHA256(key,
		// username + client ID)).
		hashWith := func(key, username string) string {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(username + clientID))
			return base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
		refresh := func(params map[string]string) error {
			params["REFRESH_TOKEN"] = aws.ToString(tokens.RefreshToken)
			out, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: params,
			}, noRetry)
			if err == nil {
				mustTokens(t, out.AuthenticationResult, nil, false)
			}
			return err
		}
		getTokens := func(secret *string) error {
			out, err := e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
				ClientId: s.client.ClientId, ClientSecret: secret, RefreshToken: tokens.RefreshToken,
			}, noRetry)
			if err == nil {
				mustTokens(t, out.AuthenticationResult, nil, false)
			}
			return err
		}
		const otherSecret = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef"
		secret := aws.ToString(s.client.ClientSecret)
		notReceived := "Client " + clientID + " is configured with secret but SECRET_HASH was not received"
		unverified := "Unable to verify secret hash for client " + clientID
		for _, tc := range []struct {
			name   string
			params map[string]string
			want   string // "" for a refresh that succeeds
		}{
			{"no SECRET_HASH", map[string]string{}, notReceived},
			{"no SECRET_HASH, with USERNAME", map[string]string{"USERNAME": "ann"}, notReceived},
			{"SECRET_HASH of another user", map[string]string{"SECRET_HASH": hashWith(secret, "bob")}, unverified},
			{"SECRET_HASH under another secret", map[string]string{"USERNAME": "ann", "SECRET_HASH": hashWith(otherSecret, "ann")}, unverified},
			{"SECRET_HASH not a hash", map[string]string{"USERNAME": "ann", "SECRET_HASH": "bm90IGEgaGFzaA=="}, unverified},
			{"right SECRET_HASH", map[string]string{"USERNAME": "ann", "SECRET_HASH": hashWith(secret, "ann")}, ""},
		} {
			t.Run("REFRESH_TOKEN_AUTH/"+tc.name, func(t *testing.T) {
				err := refresh(tc.params)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("refresh with the right SECRET_HASH: %v", err)
					}
					return
				}
				wantTyped[*types.NotAuthorizedException](t, err, tc.want)
			})
		}
		for _, tc := range []struct {
			name   string
			secret *string
			want   string
		}{
			{"no ClientSecret", nil, "Client " + clientID + " is configured with secret but secret was not received"},
			{"another ClientSecret", aws.String(otherSecret), "Unable to verify secret for client " + clientID},
			{"right ClientSecret", s.client.ClientSecret, ""},
		} {
			t.Run("GetTokensFromRefreshToken/"+tc.name, func(t *testing.T) {
				err := getTokens(tc.secret)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("GetTokensFromRefreshToken with the right secret: %v", err)
					}
					return
				}
				wantTyped[*types.NotAuthorizedException](t, err, tc.want)
			})
		}
	})
}

// TestDisabledUserSignedOut checks that a disabled user gets nothing,
// through every way in: USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH,
// USER_SRP_AUTH (a challenge started before or after the user was
// disabled), REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken, and GetUser
// with an access token issued before. Each case signs in afresh while the user is enabled, disables
// it, and tries one way alone, so that no other case's refusal (which
// revokes the user's tokens) stands in for the check it exercises.
func TestDisabledUserSignedOut(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		hiding := &selfService{e: e, pool: s.pool, client: appClient(t, e.c, &cip.CreateUserPoolClientInput{
			UserPoolId: s.pool, ClientName: aws.String("hides-users"), ExplicitAuthFlows: signInFlows,
			PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		})}
		s.signInUser(t, "dee", signInPassword)
		user := &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("dee")}
		disable := func() {
			t.Helper()
			if _, err := e.c.AdminDisableUser(ctx, user); err != nil {
				t.Fatal(err)
			}
		}
		// session enables the user, signs it in and returns the tokens.
		session := func() *types.AuthenticationResultType {
			t.Helper()
			if _, err := e.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: s.pool, Username: aws.String("dee")}); err != nil {
				t.Fatal(err)
			}
			out, err := s.passwordAuth("dee", signInPassword)
			if err != nil {
				t.Fatalf("sign-in while enabled: %v", err)
			}
			return mustTokens(t, out.AuthenticationResult, nil, true)
		}
		const disabled = "User is disabled."

		t.Run("USER_PASSWORD_AUTH", func(t *testing.T) {
			session()
			disable()
			_, err := s.passwordAuth("dee", signInPassword)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// A client that reports user existence says so before it
			// looks at the password.
			_, err = s.passwordAuth("dee", "Wrong-passw0rd")
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// One that hides it says so only to the right password.
			_, err = hiding.passwordAuth("dee", signInPassword)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// ADMIN_USER_PASSWORD_AUTH, as an administrator, too.
			_, err = e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
				UserPoolId: s.pool, ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": "dee", "PASSWORD": signInPassword},
			}, noRetry)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
		})
		t.Run("USER_SRP_AUTH", func(t *testing.T) {
			session()
			c, params := s.srpChallenge(t, "dee")
			wc, wparams := s.srpChallenge(t, "dee")
			hc, hparams := hiding.srpChallenge(t, "dee")
			disable()
			_, err := s.e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserSrpAuth,
				AuthParameters: map[string]string{"USERNAME": "dee", "SRP_A": newSRPClient(t).srpA()},
			}, noRetry)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// A challenge handed out while the user was enabled.
			_, err = s.answerSRP(t, c, params, signInPassword)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// As with a password, a client that reports user existence
			// says so before it checks the proof.
			_, err = s.answerSRP(t, wc, wparams, "Wrong-passw0rd")
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			_, err = hiding.answerSRP(t, hc, hparams, signInPassword)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
			// The hiding client hands a disabled user a challenge like
			// anyone else's, and the right proof learns it is disabled.
			hc, hparams = hiding.srpChallenge(t, "dee")
			_, err = hiding.answerSRP(t, hc, hparams, signInPassword)
			wantTyped[*types.NotAuthorizedException](t, err, disabled)
		})
		t.Run("REFRESH_TOKEN_AUTH", func(t *testing.T) {
			tok := session()
			disable()
			_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
				AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tok.RefreshToken)},
			}, noRetry)
			wantTyped[*types.NotAuthorizedException](t, err, "")
		})
		t.Run("GetTokensFromRefreshToken", func(t *testing.T) {
			tok := session()
			disable()
			_, err := e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
				ClientId: s.client.ClientId, RefreshToken: tok.RefreshToken,
			}, noRetry)
			wantTyped[*types.NotAuthorizedException](t, err, "")
		})
		t.Run("GetUser with an earlier access token", func(t *testing.T) {
			tok := session()
			disable()
			_, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken}, noRetry)
			wantTyped[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		})
		// Enabled again, the user signs in.
		session()
	})
}
