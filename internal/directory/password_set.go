package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
)

// newPassword is what setting a password needs computed before the
// transaction that sets it: the argon2id hash, and the SRP verifier of the
// password for the user's internal username (when the service keeps
// verifiers). Both are slow and run through the fair queue of expensive
// computations (password.Hasher.Run).
type newPassword struct {
	password, hash string
	// username is the internal username verifier was made for; verifier
	// is nil when the service keeps none.
	username string
	verifier *srp.Verifier
}

// hashNewPassword computes what applyNewPassword records for password,
// given to the user whose internal username is username, in the pool
// poolID: call it before the transaction.
func (s *Service) hashNewPassword(ctx context.Context, poolID, username, password string) (newPassword, error) {
	hash, err := s.passwords.Hash(ctx, password)
	if err != nil {
		return newPassword{}, err
	}
	np := newPassword{password: password, hash: hash, username: username}
	if s.srp == nil {
		return np, nil
	}
	v, err := s.makeSRPVerifier(ctx, poolID, username, password)
	if err != nil {
		return newPassword{}, err
	}
	np.verifier = &v
	return np, nil
}

// makeSRPVerifier makes the SRP verifier of password for the internal
// username of a user in the pool poolID, through the fair queue.
func (s *Service) makeSRPVerifier(ctx context.Context, poolID, username, password string) (srp.Verifier, error) {
	var (
		v   srp.Verifier
		err error
	)
	if qerr := s.passwords.Run(ctx, func() { v, err = srp.NewVerifier(srp.PoolName(poolID), username, password) }); qerr != nil {
		return srp.Verifier{}, qerr
	}
	if err != nil {
		return srp.Verifier{}, cognito.Internal(fmt.Errorf("srp verifier: %w", err))
	}
	return v, nil
}

// applyNewPassword is the one place that gives a user a new password, for
// every operation that sets one (AdminCreateUser, AdminSetUserPassword,
// SignUp, ConfirmForgotPassword, and the flows that change a password). It
// records np (hashNewPassword, made before the transaction) with the
// pool's password history and the time it was set. Everything else a
// password leaves on the record (such as the SRP verifier, sealed here for
// the user) belongs here too, so that no operation can set a password
// without it.
//
// It runs inside a transaction's mutation and must stay fast: slow work
// (hashing, the verifier's exponentiation) happens before the transaction.
func (s *Service) applyNewPassword(u *userRecord, p *idp.UserPoolType, np newPassword, now time.Time) error {
	setPassword(policyOf(p), u, np.hash, now)
	u.SRPVerifier = ""
	if s.srp == nil {
		return nil
	}
	poolID := cognito.Deref(p.Id)
	v := np.verifier
	if v == nil || np.username != u.Username {
		// Made for another name than the record has (it was replaced
		// since): make it again, here, rather than store one no client
		// can match.
		made, err := srp.NewVerifier(srp.PoolName(poolID), u.Username, np.password)
		if err != nil {
			return cognito.Internal(fmt.Errorf("srp verifier: %w", err))
		}
		v = &made
	}
	sealed, err := s.srp.Seal(poolID, u.Sub, *v)
	if err != nil {
		return cognito.Internal(err)
	}
	u.SRPVerifier = sealed
	return nil
}
