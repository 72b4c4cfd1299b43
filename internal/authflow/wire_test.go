package authflow

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// The engine's tests speak the JSON API's wire shapes, so that what they
// assert reads as what a client sees. These methods map them onto the
// domain entry points the way the API edge does (internal/api,
// operations_auth.go); the edge's own mapping is tested through the
// end-to-end tests.

func (s *Service) InitiateAuth(ctx context.Context, c cognito.Caller, in *idp.InitiateAuthRequest) (*idp.InitiateAuthResponse, error) {
	st, err := s.StartSignIn(ctx, c, SignIn{ClientID: cognito.Deref(in.ClientId), Flow: cognito.Deref(in.AuthFlow), Params: in.AuthParameters})
	if err != nil {
		return nil, err
	}
	return &idp.InitiateAuthResponse{
		ChallengeName: wireChallenge(st), Session: wireSession(st), ChallengeParameters: st.Params,
		AuthenticationResult: wireResult(st.Tokens), AvailableChallenges: st.Available,
	}, nil
}

func (s *Service) RespondToAuthChallenge(ctx context.Context, c cognito.Caller, in *idp.RespondToAuthChallengeRequest) (*idp.RespondToAuthChallengeResponse, error) {
	st, err := s.AnswerChallenge(ctx, c, Answer{
		ClientID: cognito.Deref(in.ClientId), Challenge: cognito.Deref(in.ChallengeName),
		Session: cognito.Deref(in.Session), Responses: in.ChallengeResponses,
	})
	if err != nil {
		return nil, err
	}
	return &idp.RespondToAuthChallengeResponse{
		ChallengeName: wireChallenge(st), Session: wireSession(st), ChallengeParameters: st.Params,
		AuthenticationResult: wireResult(st.Tokens),
	}, nil
}

func (s *Service) GetTokensFromRefreshToken(ctx context.Context, c cognito.Caller, in *idp.GetTokensFromRefreshTokenRequest) (*idp.GetTokensFromRefreshTokenResponse, error) {
	t, err := s.RefreshTokens(ctx, c, Refresh{
		ClientID: cognito.Deref(in.ClientId), ClientSecret: cognito.Deref(in.ClientSecret), RefreshToken: cognito.Deref(in.RefreshToken),
	})
	if err != nil {
		return nil, err
	}
	return &idp.GetTokensFromRefreshTokenResponse{AuthenticationResult: wireResult(t)}, nil
}

func wireChallenge(st *Step) *idp.ChallengeNameType {
	if st.Challenge == "" {
		return nil
	}
	return cognito.Ptr(st.Challenge)
}

func wireSession(st *Step) *string {
	if st.Session == "" {
		return nil
	}
	return cognito.Ptr(st.Session)
}

func wireResult(t *Tokens) *idp.AuthenticationResultType {
	if t == nil {
		return nil
	}
	out := &idp.AuthenticationResultType{
		AccessToken: cognito.Ptr(t.AccessToken), ExpiresIn: cognito.Ptr(int32(t.ExpiresIn / time.Second)),
		TokenType: cognito.Ptr("Bearer"), IdToken: cognito.Ptr(t.IDToken),
	}
	if t.RefreshToken != "" {
		out.RefreshToken = cognito.Ptr(t.RefreshToken)
	}
	if d := t.NewDevice; d != nil {
		out.NewDeviceMetadata = &idp.NewDeviceMetadataType{DeviceKey: cognito.Ptr(d.Key), DeviceGroupKey: cognito.Ptr(d.GroupKey)}
	}
	return out
}
