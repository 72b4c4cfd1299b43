package directory

import (
	"context"
	"maps"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// This file invokes the directory's Lambda triggers: PreSignUp (SignUp)
// and PostConfirmation (ConfirmSignUp). Their events are aws-lambda-go's
// types, filled in as Cognito fills them (docs/triggers.md).

// triggerARN returns the ARN of the pool's trigger that member picks, ""
// when the pool names none or the server invokes none.
func (s *Service) triggerARN(p *idp.UserPoolType, member func(*idp.LambdaConfigType) *string) string {
	if s.triggers == nil || p.LambdaConfig == nil {
		return ""
	}
	return cognito.Deref(member(p.LambdaConfig))
}

// attributeMap is a list of name/value pairs as a map (ValidationData,
// which the events carry as an object).
func attributeMap(list []idp.AttributeType) map[string]string {
	out := make(map[string]string, len(list))
	for _, a := range list {
		out[cognito.Deref(a.Name)] = cognito.Deref(a.Value)
	}
	return out
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// clientNotApplicable is the callerContext.clientId of the events of
// administrators' operations, which name no app client.
const clientNotApplicable = "CLIENT_ID_NOT_APPLICABLE"

// preSignUp invokes PreSignUp (source PreSignUp_SignUp or
// PreSignUp_AdminCreateUser) for a user about to be created with attrs,
// before anything is written, and returns the function's response:
// whether to confirm the user and verify its email address and phone
// number. A refusal ends the operation with nothing written.
func (s *Service) preSignUp(ctx context.Context, p *idp.UserPoolType, source, clientID, username string, attrs map[string]string,
	validation []idp.AttributeType, metadata map[string]string) (events.CognitoEventUserPoolsPreSignupResponse, error) {
	arn := s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.PreSignUp })
	if arn == "" {
		return events.CognitoEventUserPoolsPreSignupResponse{}, nil
	}
	poolID := cognito.Deref(p.Id)
	ev := events.CognitoEventUserPoolsPreSignup{
		CognitoEventUserPoolsHeader: triggers.Header("1", source, cognito.RegionOfPoolID(poolID), poolID, clientID, username),
		Request: events.CognitoEventUserPoolsPreSignupRequest{
			UserAttributes: maps.Clone(attrs), ValidationData: attributeMap(validation), ClientMetadata: orEmpty(metadata),
		},
	}
	var out events.CognitoEventUserPoolsPreSignup
	if err := s.triggers.Invoke(ctx, triggers.PreSignUp, arn, &ev, &out); err != nil {
		return events.CognitoEventUserPoolsPreSignupResponse{}, err
	}
	return out.Response, nil
}

// postConfirmation invokes PostConfirmation (source
// PostConfirmation_ConfirmSignUp or PostConfirmation_ConfirmForgotPassword)
// once the user u is confirmed and written. Its answer is ignored, as Cognito ignores it;
// its error is the operation's answer, and the user stays confirmed, as
// Cognito leaves it.
func (s *Service) postConfirmation(ctx context.Context, p *idp.UserPoolType, source, clientID string, u *userRecord, metadata map[string]string) error {
	arn := s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.PostConfirmation })
	if arn == "" {
		return nil
	}
	poolID := cognito.Deref(p.Id)
	attrs := maps.Clone(u.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["sub"] = u.Sub
	attrs["cognito:user_status"] = string(u.Status)
	ev := events.CognitoEventUserPoolsPostConfirmation{
		CognitoEventUserPoolsHeader: triggers.Header("1", source, cognito.RegionOfPoolID(poolID), poolID, clientID, u.Username),
		Request:                     events.CognitoEventUserPoolsPostConfirmationRequest{UserAttributes: attrs, ClientMetadata: orEmpty(metadata)},
	}
	var out events.CognitoEventUserPoolsPostConfirmation
	return s.triggers.Invoke(ctx, triggers.PostConfirmation, arn, &ev, &out)
}
