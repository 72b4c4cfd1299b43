package api

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// authHandlers serves sign-in, token refresh and sign-out: each operation
// maps its wire input onto one of the sign-in engine's domain entry points
// and the result back; the engine's errors pass through as they are.
func authHandlers(a *authflow.Service) map[string]handler {
	return map[string]handler{
		"InitiateAuth": handle(func(ctx context.Context, c cognito.Caller, in *idp.InitiateAuthRequest) (*idp.InitiateAuthResponse, error) {
			st, err := a.StartSignIn(ctx, c, authflow.SignIn{
				ClientID: cognito.Deref(in.ClientId), Flow: cognito.Deref(in.AuthFlow), Params: in.AuthParameters,
				ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			return &idp.InitiateAuthResponse{
				ChallengeName: challengeName(st), Session: session(st), ChallengeParameters: st.Params,
				AuthenticationResult: authenticationResult(st.Tokens), AvailableChallenges: st.Available,
			}, nil
		}),
		"AdminInitiateAuth": handle(func(ctx context.Context, c cognito.Caller, in *idp.AdminInitiateAuthRequest) (*idp.AdminInitiateAuthResponse, error) {
			st, err := a.StartSignIn(ctx, c, authflow.SignIn{
				PoolID: cognito.Deref(in.UserPoolId), ClientID: cognito.Deref(in.ClientId),
				Flow: cognito.Deref(in.AuthFlow), Params: in.AuthParameters, Admin: true,
				ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			return &idp.AdminInitiateAuthResponse{
				ChallengeName: challengeName(st), Session: session(st), ChallengeParameters: st.Params,
				AuthenticationResult: authenticationResult(st.Tokens), AvailableChallenges: st.Available,
			}, nil
		}),
		"RespondToAuthChallenge": handle(func(ctx context.Context, c cognito.Caller, in *idp.RespondToAuthChallengeRequest) (*idp.RespondToAuthChallengeResponse, error) {
			st, err := a.AnswerChallenge(ctx, c, authflow.Answer{
				ClientID: cognito.Deref(in.ClientId), Challenge: cognito.Deref(in.ChallengeName),
				Session: cognito.Deref(in.Session), Responses: in.ChallengeResponses,
				ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			return &idp.RespondToAuthChallengeResponse{
				ChallengeName: challengeName(st), Session: session(st), ChallengeParameters: st.Params,
				AuthenticationResult: authenticationResult(st.Tokens),
			}, nil
		}),
		"AdminRespondToAuthChallenge": handle(func(ctx context.Context, c cognito.Caller, in *idp.AdminRespondToAuthChallengeRequest) (*idp.AdminRespondToAuthChallengeResponse, error) {
			st, err := a.AnswerChallenge(ctx, c, authflow.Answer{
				PoolID: cognito.Deref(in.UserPoolId), ClientID: cognito.Deref(in.ClientId), Challenge: cognito.Deref(in.ChallengeName),
				Session: cognito.Deref(in.Session), Responses: in.ChallengeResponses, Admin: true,
				ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			return &idp.AdminRespondToAuthChallengeResponse{
				ChallengeName: challengeName(st), Session: session(st), ChallengeParameters: st.Params,
				AuthenticationResult: authenticationResult(st.Tokens),
			}, nil
		}),
		"AssociateSoftwareToken": handle(func(ctx context.Context, c cognito.Caller, in *idp.AssociateSoftwareTokenRequest) (*idp.AssociateSoftwareTokenResponse, error) {
			r, err := a.AssociateSoftwareToken(ctx, c, authflow.SoftwareToken{AccessToken: cognito.Deref(in.AccessToken), Session: cognito.Deref(in.Session)})
			if err != nil {
				return nil, err
			}
			out := &idp.AssociateSoftwareTokenResponse{SecretCode: cognito.Ptr(r.SecretCode)}
			if r.Session != "" {
				out.Session = cognito.Ptr(r.Session)
			}
			return out, nil
		}),
		"VerifySoftwareToken": handle(func(ctx context.Context, c cognito.Caller, in *idp.VerifySoftwareTokenRequest) (*idp.VerifySoftwareTokenResponse, error) {
			r, err := a.VerifySoftwareToken(ctx, c, authflow.SoftwareToken{
				AccessToken: cognito.Deref(in.AccessToken), Session: cognito.Deref(in.Session),
				UserCode: cognito.Deref(in.UserCode), FriendlyDeviceName: cognito.Deref(in.FriendlyDeviceName),
			})
			if err != nil {
				return nil, err
			}
			out := &idp.VerifySoftwareTokenResponse{Status: cognito.Ptr(idp.VerifySoftwareTokenResponseTypeSuccess)}
			if r.Session != "" {
				out.Session = cognito.Ptr(r.Session)
			}
			return out, nil
		}),
		"GetTokensFromRefreshToken": handle(func(ctx context.Context, c cognito.Caller, in *idp.GetTokensFromRefreshTokenRequest) (*idp.GetTokensFromRefreshTokenResponse, error) {
			t, err := a.RefreshTokens(ctx, c, authflow.Refresh{
				ClientID: cognito.Deref(in.ClientId), ClientSecret: cognito.Deref(in.ClientSecret), RefreshToken: cognito.Deref(in.RefreshToken),
				DeviceKey: cognito.Deref(in.DeviceKey),
			})
			if err != nil {
				return nil, err
			}
			return &idp.GetTokensFromRefreshTokenResponse{AuthenticationResult: authenticationResult(t)}, nil
		}),
		"RevokeToken": handle(func(ctx context.Context, c cognito.Caller, in *idp.RevokeTokenRequest) (*idp.RevokeTokenResponse, error) {
			err := a.RevokeToken(ctx, c, authflow.Revocation{
				ClientID: cognito.Deref(in.ClientId), ClientSecret: cognito.Deref(in.ClientSecret), Token: cognito.Deref(in.Token),
			})
			if err != nil {
				return nil, err
			}
			return &idp.RevokeTokenResponse{}, nil
		}),
		"GlobalSignOut": handle(func(ctx context.Context, c cognito.Caller, _ *idp.GlobalSignOutRequest) (*idp.GlobalSignOutResponse, error) {
			if err := a.GlobalSignOut(ctx, c); err != nil {
				return nil, err
			}
			return &idp.GlobalSignOutResponse{}, nil
		}),
		"AdminUserGlobalSignOut": handle(func(ctx context.Context, c cognito.Caller, in *idp.AdminUserGlobalSignOutRequest) (*idp.AdminUserGlobalSignOutResponse, error) {
			if err := a.AdminUserGlobalSignOut(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.Username)); err != nil {
				return nil, err
			}
			return &idp.AdminUserGlobalSignOutResponse{}, nil
		}),
		"GetUserAuthFactors":           handle(a.GetUserAuthFactors),
		"AdminGetUserAuthFactors":      handle(a.AdminGetUserAuthFactors),
		"StartWebAuthnRegistration":    handle(a.StartWebAuthnRegistration),
		"CompleteWebAuthnRegistration": handle(a.CompleteWebAuthnRegistration),
		"ListWebAuthnCredentials":      handle(a.ListWebAuthnCredentials),
		"DeleteWebAuthnCredential":     handle(a.DeleteWebAuthnCredential),
		"ConfirmDevice":                handle(a.ConfirmDevice),
		"GetDevice":                    handle(a.GetDevice),
		"AdminGetDevice":               handle(a.AdminGetDevice),
		"ListDevices":                  handle(a.ListDevices),
		"AdminListDevices":             handle(a.AdminListDevices),
		"UpdateDeviceStatus":           handle(a.UpdateDeviceStatus),
		"AdminUpdateDeviceStatus":      handle(a.AdminUpdateDeviceStatus),
		"ForgetDevice":                 handle(a.ForgetDevice),
		"AdminForgetDevice":            handle(a.AdminForgetDevice),
	}
}

// challengeName is a step's ChallengeName: absent once it ends in tokens.
func challengeName(st *authflow.Step) *idp.ChallengeNameType {
	if st.Challenge == "" {
		return nil
	}
	return cognito.Ptr(st.Challenge)
}

// session is a step's Session: absent when the step hands none out.
func session(st *authflow.Step) *string {
	if st.Session == "" {
		return nil
	}
	return cognito.Ptr(st.Session)
}

// authenticationResult is the AuthenticationResult of minted tokens: nil
// for none, and no RefreshToken member when none was issued.
func authenticationResult(t *authflow.Tokens) *idp.AuthenticationResultType {
	if t == nil {
		return nil
	}
	out := &idp.AuthenticationResultType{
		AccessToken: cognito.Ptr(t.AccessToken),
		ExpiresIn:   cognito.Ptr(int32(t.ExpiresIn / time.Second)),
		TokenType:   cognito.Ptr("Bearer"),
		IdToken:     cognito.Ptr(t.IDToken),
	}
	if t.RefreshToken != "" {
		out.RefreshToken = cognito.Ptr(t.RefreshToken)
	}
	if d := t.NewDevice; d != nil {
		out.NewDeviceMetadata = &idp.NewDeviceMetadataType{DeviceKey: cognito.Ptr(d.Key), DeviceGroupKey: cognito.Ptr(d.GroupKey)}
	}
	return out
}
