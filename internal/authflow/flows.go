package authflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// flowStart is what every flow step knows about where it runs.
type flowStart struct {
	pool   *userpool.SignInPool
	client *userpool.SignInClient
	flow   idp.AuthFlowType
	admin  bool
	// hosted is true for a sign-in on the hosted UI's pages
	// (StartHostedSignIn): it ends in a hosted-UI session, from which the
	// OAuth endpoints issue codes and tokens, instead of tokens.
	hosted bool
}

// publicFlows and adminFlows are the AuthFlow values InitiateAuth and
// AdminInitiateAuth take; any other is refused as Cognito refuses it.
var (
	publicFlows = []idp.AuthFlowType{
		idp.AuthFlowTypeUserSrpAuth, idp.AuthFlowTypeRefreshTokenAuth, idp.AuthFlowTypeRefreshToken,
		idp.AuthFlowTypeCustomAuth, idp.AuthFlowTypeUserPasswordAuth, idp.AuthFlowTypeUserAuth,
	}
	adminFlows = []idp.AuthFlowType{
		idp.AuthFlowTypeUserSrpAuth, idp.AuthFlowTypeRefreshTokenAuth, idp.AuthFlowTypeRefreshToken,
		idp.AuthFlowTypeCustomAuth, idp.AuthFlowTypeAdminNoSrpAuth, idp.AuthFlowTypeAdminUserPasswordAuth,
		idp.AuthFlowTypeUserAuth,
	}
)

// flowNotEnabled is Cognito's exception for a flow the client's
// ExplicitAuthFlows do not allow; it words it differently per flow.
func flowNotEnabled(flow idp.AuthFlowType) error {
	switch flow {
	case idp.AuthFlowTypeUserPasswordAuth:
		return cognito.InvalidParameterException("USER_PASSWORD_AUTH flow not enabled for this client")
	case idp.AuthFlowTypeUserSrpAuth:
		return cognito.InvalidParameterException("USER_SRP_AUTH is not enabled for the client.")
	}
	return cognito.InvalidParameterException("Auth flow not enabled for this client")
}

// missing is Cognito's exception for a required auth parameter or
// challenge response that is absent.
func missing(name string) error {
	return cognito.InvalidParameterException("Missing required parameter " + name)
}

// lookup finds the user a sign-in names, or nil when there is none.
func (s *Service) lookup(ctx context.Context, pool *userpool.SignInPool, username string) (*directory.SignInUser, error) {
	u, err := s.users.LookupUser(ctx, pool, username)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return nil, nil
	}
	return u, err
}

// userNames are the names a SECRET_HASH may have been made with for u:
// the name the client gave, and the user's internal username and sub (the
// USER_ID_FOR_SRP clients get back, and what refreshes know).
func userNames(given string, u *directory.SignInUser) []string {
	names := []string{given}
	if u != nil {
		names = append(names, u.Username, u.Sub)
	}
	return names
}

// checkSecretHash checks a SECRET_HASH: a confidential client needs one
// made with its secret over one of names and its client ID; a public
// client must not be sent one.
func checkSecretHash(client *userpool.SignInClient, hash string, names ...string) error {
	if !client.HasSecret {
		if hash != "" {
			return cognito.InvalidParameterException(fmt.Sprintf("App client %s is not configured for secret but secret hash was received", client.ClientID))
		}
		return nil
	}
	if hash == "" {
		return cognito.NotAuthorizedException(fmt.Sprintf("Client %s is configured with secret but SECRET_HASH was not received", client.ClientID))
	}
	ok := false
	for _, n := range names {
		if n != "" && client.CheckSecretHash(n, hash) {
			ok = true
		}
	}
	if !ok {
		return cognito.NotAuthorizedException("Unable to verify secret hash for client " + client.ClientID)
	}
	return nil
}
