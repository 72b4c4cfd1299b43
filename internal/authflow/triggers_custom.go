package authflow

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// This file fills the custom sign-in's hook points (hooks.go,
// challenge_custom.go) with the pool's DefineAuthChallenge,
// CreateAuthChallenge and VerifyAuthChallengeResponse functions, their
// events filled in as Cognito fills them.

// customSubject is what the events of a custom sign-in say of its user:
// the username, the attributes, and whether the user does not exist (then
// the username is the one the client gave and the attributes are empty).
func customSubject(sp *call) (string, map[string]string, bool) {
	if sp.user == nil {
		return sp.username, map[string]string{}, true
	}
	return sp.user.Username, eventAttributes(sp.user), false
}

// history is sp.rounds as the events carry it (never null).
func history(sp *call) []*events.CognitoEventUserPoolsChallengeResult {
	out := make([]*events.CognitoEventUserPoolsChallengeResult, 0, len(sp.rounds))
	for _, r := range sp.rounds {
		out = append(out, &events.CognitoEventUserPoolsChallengeResult{
			ChallengeName: r.Name, ChallengeResult: r.Result, ChallengeMetadata: r.Metadata,
		})
	}
	return out
}

// customARN is the ARN pick reads from the pool's LambdaConfig, or
// InvalidLambdaResponseException when the pool names none.
func (s *Service) customARN(ctx context.Context, sp *call, pick func(*idp.LambdaConfigType) *string) (string, error) {
	cfg, err := s.lambdaConfig(ctx, sp.pool)
	if err != nil {
		return "", err
	}
	a := cognito.Deref(pick(cfg))
	if a == "" {
		return "", cognito.InvalidLambdaResponseException(msgCustomNotConfigured)
	}
	return a, nil
}

// defineAuthChallenge invokes DefineAuthChallenge_Authentication with the
// history and reads its decision.
func (s *Service) defineAuthChallenge(ctx context.Context, sp *call) (customDecision, error) {
	arn, err := s.customARN(ctx, sp, func(c *idp.LambdaConfigType) *string { return c.DefineAuthChallenge })
	if err != nil {
		return customDecision{}, err
	}
	name, attrs, notFound := customSubject(sp)
	ev := events.CognitoEventUserPoolsDefineAuthChallenge{
		CognitoEventUserPoolsHeader: triggers.Header("1", "DefineAuthChallenge_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, name),
		Request: events.CognitoEventUserPoolsDefineAuthChallengeRequest{
			UserAttributes: attrs, Session: history(sp), ClientMetadata: orEmpty(clientMetadata(ctx)), UserNotFound: notFound,
		},
	}
	var out events.CognitoEventUserPoolsDefineAuthChallenge
	if err := s.triggers.Invoke(ctx, triggers.DefineAuthChallenge, arn, &ev, &out); err != nil {
		return customDecision{}, err
	}
	r := out.Response
	return customDecision{challenge: r.ChallengeName, issueTokens: r.IssueTokens, fail: r.FailAuthentication}, nil
}

// createAuthChallenge invokes CreateAuthChallenge_Authentication for the
// challenge DefineAuthChallenge named.
func (s *Service) createAuthChallenge(ctx context.Context, sp *call, challenge string) (customCreated, error) {
	arn, err := s.customARN(ctx, sp, func(c *idp.LambdaConfigType) *string { return c.CreateAuthChallenge })
	if err != nil {
		return customCreated{}, err
	}
	name, attrs, notFound := customSubject(sp)
	ev := events.CognitoEventUserPoolsCreateAuthChallenge{
		CognitoEventUserPoolsHeader: triggers.Header("1", "CreateAuthChallenge_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, name),
		Request: events.CognitoEventUserPoolsCreateAuthChallengeRequest{
			UserAttributes: attrs, ChallengeName: challenge, Session: history(sp),
			ClientMetadata: orEmpty(clientMetadata(ctx)), UserNotFound: notFound,
		},
	}
	var out events.CognitoEventUserPoolsCreateAuthChallenge
	if err := s.triggers.Invoke(ctx, triggers.CreateAuthChallenge, arn, &ev, &out); err != nil {
		return customCreated{}, err
	}
	r := out.Response
	return customCreated{public: r.PublicChallengeParameters, private: r.PrivateChallengeParameters, metadata: r.ChallengeMetadata}, nil
}

// verifyAuthChallenge invokes VerifyAuthChallengeResponse_Authentication
// with the answer and the private parameters of the challenge it answers.
func (s *Service) verifyAuthChallenge(ctx context.Context, sp *call, private map[string]string, answer string) (bool, error) {
	arn, err := s.customARN(ctx, sp, func(c *idp.LambdaConfigType) *string { return c.VerifyAuthChallengeResponse })
	if err != nil {
		return false, err
	}
	name, attrs, notFound := customSubject(sp)
	ev := events.CognitoEventUserPoolsVerifyAuthChallenge{
		CognitoEventUserPoolsHeader: triggers.Header("1", "VerifyAuthChallengeResponse_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, name),
		Request: events.CognitoEventUserPoolsVerifyAuthChallengeRequest{
			UserAttributes: attrs, PrivateChallengeParameters: orEmpty(private), ChallengeAnswer: answer,
			ClientMetadata: orEmpty(clientMetadata(ctx)), UserNotFound: notFound,
		},
	}
	var out events.CognitoEventUserPoolsVerifyAuthChallenge
	if err := s.triggers.Invoke(ctx, triggers.VerifyAuthChallengeResponse, arn, &ev, &out); err != nil {
		return false, err
	}
	return out.Response.AnswerCorrect, nil
}
