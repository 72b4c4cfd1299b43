package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// RespondToAuthChallenge advances a flow with the answer to its challenge.
func (s *Service) RespondToAuthChallenge(ctx context.Context, c userpool.Caller, in *idp.RespondToAuthChallengeRequest) (*idp.RespondToAuthChallengeResponse, error) {
	o, err := s.respond(ctx, c, "", cognito.Deref(in.ClientId), cognito.Deref(in.ChallengeName), cognito.Deref(in.Session), in.ChallengeResponses, false)
	if err != nil {
		return nil, err
	}
	return &idp.RespondToAuthChallengeResponse{
		ChallengeName: o.challengeName(), Session: o.session(), ChallengeParameters: o.Params,
		AuthenticationResult: o.Result,
	}, nil
}

// AdminRespondToAuthChallenge is RespondToAuthChallenge as an
// administrator, for flows AdminInitiateAuth started.
func (s *Service) AdminRespondToAuthChallenge(ctx context.Context, c userpool.Caller, in *idp.AdminRespondToAuthChallengeRequest) (*idp.AdminRespondToAuthChallengeResponse, error) {
	o, err := s.respond(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId), cognito.Deref(in.ChallengeName), cognito.Deref(in.Session), in.ChallengeResponses, true)
	if err != nil {
		return nil, err
	}
	return &idp.AdminRespondToAuthChallengeResponse{
		ChallengeName: o.challengeName(), Session: o.session(), ChallengeParameters: o.Params,
		AuthenticationResult: o.Result,
	}, nil
}
