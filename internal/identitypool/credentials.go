package identitypool

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/sts"
)

const (
	// credentialsValidity is how long the credentials of
	// GetCredentialsForIdentity last, as Cognito's (one hour).
	credentialsValidity = time.Hour
	// roleSessionName is the session name Cognito gives the role session.
	roleSessionName = "CognitoIdentityCredentials"
)

// GetCredentialsForIdentity returns temporary AWS credentials for an
// identity (the enhanced flow): the logins are verified and must be the
// identity's, the role is chosen (chooseRole), and the Security Token
// Service assumes it with an OpenID token signed for the identity, whose
// principal tags become session tags.
func (s *Service) GetCredentialsForIdentity(ctx context.Context, region string, in *identity.GetCredentialsForIdentityInput) (*identity.GetCredentialsForIdentityResponse, error) {
	a, err := s.authorizeIdentity(ctx, cognito.Deref(in.IdentityId), in.Logins)
	if err != nil {
		return nil, err
	}
	role, err := chooseRole(a.pool, a.logins, cognito.Deref(in.CustomRoleArn))
	if err != nil {
		return nil, err
	}
	tags, err := s.principalTags(a.pool, a.logins)
	if err != nil {
		return nil, err
	}
	token, err := s.signOpenIDToken(ctx, a.poolID, a.identityID, amrOf(a.logins), tags, openIDTokenValidity)
	if err != nil {
		return nil, err
	}
	if s.creds == nil {
		return nil, cognito.InvalidIdentityPoolConfigurationException(msgNoRole).WithCause(errors.New("no security token service configured"))
	}
	c, err := s.creds.AssumeRoleWithWebIdentity(ctx, sts.WebIdentityRequest{
		RoleARN: role, RoleSessionName: roleSessionName, WebIdentityToken: token,
		Duration: credentialsValidity, SessionTags: tags,
	})
	if err != nil {
		return nil, issuerError(err)
	}
	return &identity.GetCredentialsForIdentityResponse{
		IdentityId: &a.identityID,
		Credentials: &identity.Credentials{
			AccessKeyId: &c.AccessKeyID, SecretKey: &c.SecretAccessKey, SessionToken: &c.SessionToken,
			Expiration: cognito.NewTimestamp(c.Expiration),
		},
	}, nil
}

// issuerError maps an error of the Security Token Service to the
// exception Cognito answers: a refusal to assume the role (the role does
// not trust the identity issuer, or does not exist) is the pool's
// configuration; anything else is the external service's failure.
func issuerError(err error) error {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		switch ce.Code {
		case cognito.CodeInvalidIdentityPoolConfigurationException, cognito.CodeExternalServiceException,
			cognito.CodeTooManyRequestsException, cognito.CodeNotAuthorizedException:
			return err
		}
	}
	code := ""
	var se *sts.Error
	var coded interface{ ErrorCode() string }
	switch {
	case errors.As(err, &se):
		code = se.Code
	case errors.As(err, &coded):
		code = coded.ErrorCode()
	}
	if code != "" {
		switch code {
		case "AccessDenied", "InvalidIdentityToken", "IDPRejectedClaim", "MalformedPolicyDocument", "PackedPolicyTooLarge", "NoSuchEntity":
			return cognito.InvalidIdentityPoolConfigurationException(msgNoRole).WithCause(err)
		case sts.CodeValidationError:
			return cognito.InvalidIdentityPoolConfigurationException(msgNoRole).WithCause(err)
		case "Throttling", "ThrottlingException":
			return cognito.TooManyRequestsException("Rate exceeded").WithCause(err)
		}
	}
	return cognito.ExternalServiceException("An exception occurred while calling the Security Token Service.").WithCause(err)
}
