package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Messages of the exceptions a password sign-in ends with.
const (
	msgUserNotFound      = "User does not exist."
	msgUserDisabled      = "User is disabled."
	msgUserNotConfirmed  = "User is not confirmed."
	msgResetRequired     = "Password reset required for the user"
	msgTemporaryExpired  = "Temporary password has expired and must be reset by an administrator."
	msgInvalidChallenge  = "Invalid challenge name."
	msgIncorrectPassword = "Incorrect username or password."
	userAttributesPrefix = "userAttributes."
)

// incorrect is the answer to a wrong password, and, when the client hides
// whether users exist, to a user that does not exist.
func incorrect() error { return cognito.NotAuthorizedException(msgIncorrectPassword) }

// unknownUser is the answer to a sign-in for a user that does not exist:
// UserNotFoundException, or with PreventUserExistenceErrors exactly the
// wrong-password answer.
func unknownUser(client *userpool.SignInClient) error {
	if client.PreventUserExistenceErrors {
		return incorrect()
	}
	return cognito.UserNotFoundException(msgUserNotFound)
}

// ensureSRPVerifier rebuilds the SRP verifier of a user who just proved
// their password, when the stored one is missing or no longer opens (see
// docs/srp.md: after the encryption key is lost, SRP sign-in returns user by
// user this way). A failure is logged: the password sign-in itself stands.
func (s *Service) ensureSRPVerifier(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser, password string) {
	if u.SRPVerifier != "" {
		if _, err := s.verifiers.Open(pool.ID, u.Sub, u.SRPVerifier); err == nil {
			return
		}
	}
	if err := s.users.RebuildSRPVerifier(ctx, pool, u, password); err != nil {
		s.log.Warn("rebuild SRP verifier", "pool", pool.ID, "sub", u.Sub, "error", err)
	}
}
