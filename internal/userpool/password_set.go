package userpool

import (
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// applyNewPassword is the one place that gives a user a new password, for
// every operation that sets one (AdminCreateUser, AdminSetUserPassword,
// SignUp, ConfirmForgotPassword, and the flows that change a password). It
// records hash, the argon2id hash of password made before the transaction,
// with the pool's password history and the time it was set. Everything else
// a password leaves on the record (such as the SRP verifier, which needs the
// password itself, the pool and u.Username) belongs here too, so that no
// operation can set a password without it.
//
// It runs inside a transaction's mutation and must stay fast: slow work
// (hashing) happens before the transaction.
func (s *Service) applyNewPassword(u *userRecord, p *idp.UserPoolType, password, hash string, now time.Time) error {
	setPassword(policyOf(p), u, hash, now)
	u.SRPVerifier = ""
	if s.srp != nil {
		v, err := s.srp(cognito.Deref(p.Id), u.Sub, u.Username, password)
		if err != nil {
			return internal(fmt.Errorf("srp verifier: %w", err))
		}
		u.SRPVerifier = v
	}
	return nil
}
