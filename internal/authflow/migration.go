package authflow

import (
	"context"
	"errors"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
)

// migrates reports whether a sign-in with flow, for a user the pool does
// not know, invokes the pool's UserMigration function: the flows that
// bring the password (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
// ADMIN_NO_SRP_AUTH). USER_SRP_AUTH never sends the password, so it
// cannot migrate a user, as in Cognito: the client signs such a user in
// with USER_PASSWORD_AUTH once.
func migrates(flow idp.AuthFlowType) bool {
	switch flow {
	case idp.AuthFlowTypeUserPasswordAuth, idp.AuthFlowTypeAdminUserPasswordAuth, idp.AuthFlowTypeAdminNoSrpAuth:
		return true
	}
	return false
}

// migrateUser runs UserMigration_Authentication for the user sp names and
// makes it sp's user: the sign-in then goes on through the shared phases
// as for any user, its password checked against the hash just stored. A
// user another request created meanwhile is looked up instead.
func (s *Service) migrateUser(ctx context.Context, sp *call) error {
	u, err := s.users.MigrateUser(ctx, sp.pool, directory.Migration{
		Source: directory.SourceMigrationAuthentication, ClientID: sp.client.ClientID,
		Username: sp.username, Password: sp.params["PASSWORD"], ClientMetadata: clientMetadata(ctx),
	})
	if errors.Is(err, cognito.UsernameExistsException("")) {
		u, err = s.lookup(ctx, sp.pool, sp.username)
	}
	if err != nil {
		return err
	}
	sp.user = u
	return nil
}
