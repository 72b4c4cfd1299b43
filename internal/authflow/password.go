package authflow

import (
	"context"
	"encoding/json"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
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

// checkPassword checks a password sign-in of u (nil when the user does not
// exist). Order matters for what a caller can learn:
//
//   - A user that does not exist costs a hash like any other (and, when the
//     client hides whether users exist, a transaction like the lockout
//     counter's), then gets unknownUser.
//   - A disabled user is told so before the password is checked, unless the
//     client hides whether users exist: then a wrong password gets the
//     wrong-password answer, and only the right one learns of the disabled
//     account (as Cognito documents).
//   - So is an unconfirmed user (UserNotConfirmedException even with a wrong
//     password, as Cognito answers: aws/aws-sdk-js#4608), with the same
//     exception when the client hides whether users exist.
//   - A user locked out by failed attempts is refused before any hash is
//     computed; otherwise the attempt is counted first (lockout.go).
//
// st, when not nil, is the flow state the password answers (a Session); it
// is used up in the transaction that counts the attempt, or on its own
// where no attempt is counted.
//
// A wrong password is recorded as a failed sign-in event. A right one
// returns the counted attempt, which afterPassword takes back.
func (s *Service) checkPassword(ctx context.Context, f flowStart, u *userpool.SignInUser, password string, st *flowState) (*passwordAttempt, error) {
	// A client with as many hashes waiting as it may is refused before
	// the attempt is counted or the flow state used (see argonLimit).
	if err := userpool.ExpensiveBusy(ctx); err != nil {
		return nil, err
	}
	if u == nil {
		if f.client.PreventUserExistenceErrors {
			if err := s.shadowPasswordAttempt(ctx, f.pool.ID, st); err != nil {
				return nil, err
			}
		} else if st != nil {
			if err := s.useFlowNow(ctx, st); err != nil {
				return nil, err
			}
		}
		if _, err := s.verifyPassword(ctx, userpool.DummyPasswordHash(), password); err != nil {
			return nil, err
		}
		return nil, unknownUser(f.client)
	}
	if !u.Enabled && !f.client.PreventUserExistenceErrors {
		if st != nil {
			if err := s.useFlowNow(ctx, st); err != nil {
				return nil, err
			}
		}
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	}
	if u.Status == idp.UserStatusTypeUnconfirmed && !f.client.PreventUserExistenceErrors {
		if st != nil {
			if err := s.useFlowNow(ctx, st); err != nil {
				return nil, err
			}
		}
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	}
	attempt, err := s.beginPasswordAttempt(ctx, f.pool.ID, u.Sub, st)
	if err != nil {
		return nil, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = userpool.DummyPasswordHash()
	}
	ok, err := s.verifyPassword(ctx, hash, password)
	if err != nil {
		// The scheduler refused or the client left: the attempt stays
		// counted, as a wrong password's would.
		return nil, err
	}
	if !ok || u.PasswordHash == "" {
		s.recordEvent(ctx, f.pool, u.Sub, "", idp.EventResponseTypeFail)
		return nil, incorrect()
	}
	s.ensureSRPVerifier(ctx, f.pool, u, password)
	if !u.Enabled {
		if err := s.clearNow(ctx, attempt); err != nil {
			return nil, err
		}
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	}
	return attempt, nil
}

// afterPassword continues a sign-in whose password (or SRP proof) was
// right, by the user's status: tokens for a confirmed user, the
// NEW_PASSWORD_REQUIRED challenge for one that must replace a temporary
// password, and the exception Cognito gives for every other status.
// given is the USERNAME the flow started with, as the pool folds it.
// attempt is the attempt the password was counted as: it is taken back in
// the transaction that creates the tokens or opens the challenge, and on
// its own before any other answer.
func (s *Service) afterPassword(ctx context.Context, f flowStart, u *userpool.SignInUser, given string, attempt *passwordAttempt) (*outcome, error) {
	switch u.Status {
	case idp.UserStatusTypeConfirmed:
		res, err := s.signIn(ctx, f.pool, f.client, u, attempt)
		if err != nil {
			return nil, err
		}
		return &outcome{Result: res, Params: map[string]string{}}, nil
	case idp.UserStatusTypeForceChangePassword:
		if t := u.TemporaryPasswordExpiresAt; t == nil || s.now().Before(*t) {
			return s.newPasswordChallenge(ctx, f, u, given, attempt)
		}
	}
	if err := s.clearNow(ctx, attempt); err != nil {
		return nil, err
	}
	switch u.Status {
	case idp.UserStatusTypeUnconfirmed:
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	case idp.UserStatusTypeResetRequired:
		return nil, cognito.PasswordResetRequiredException(msgResetRequired)
	case idp.UserStatusTypeForceChangePassword:
		return nil, cognito.NotAuthorizedException(msgTemporaryExpired)
	}
	return nil, incorrect()
}

// newPasswordChallenge answers with NEW_PASSWORD_REQUIRED as Cognito sends
// it: the user's attributes as a JSON object (those the client may read)
// and the required attributes it lacks as a JSON list of
// "userAttributes.<name>", for the client to send back with NEW_PASSWORD.
//
// attempt, the counted attempt of the right password, is taken back in the
// transaction that opens the challenge.
func (s *Service) newPasswordChallenge(ctx context.Context, f flowStart, u *userpool.SignInUser, given string, attempt *passwordAttempt) (*outcome, error) {
	attrs, err := json.Marshal(f.client.ReadableAttributes(u))
	if err != nil {
		return nil, internal(err)
	}
	required := []string{}
	for _, name := range f.pool.RequiredAttributes(u) {
		required = append(required, userAttributesPrefix+name)
	}
	req, err := json.Marshal(required)
	if err != nil {
		return nil, internal(err)
	}
	st := &flowState{
		Pool: f.pool.ID, Client: f.client.ClientID, Flow: f.flow, Admin: f.admin,
		Challenge: idp.ChallengeNameTypeNewPasswordRequired, Sub: u.Sub, Username: u.Username, Given: given,
	}
	session, err := s.openFlow(ctx, st, sessionValidity(f.client.AuthSessionValidity), purposeSession, func(tx storage.Tx) error {
		return attempt.clear(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return &outcome{
		Challenge: idp.ChallengeNameTypeNewPasswordRequired,
		Session:   session,
		Params: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"userAttributes":     string(attrs),
			"requiredAttributes": string(req),
		},
	}, nil
}

// ensureSRPVerifier rebuilds the SRP verifier of a user who just proved
// their password, when the stored one is missing or no longer opens (see
// docs/srp.md: after the encryption key is lost, SRP sign-in returns user by
// user this way). A failure is logged: the password sign-in itself stands.
func (s *Service) ensureSRPVerifier(ctx context.Context, pool *userpool.SignInPool, u *userpool.SignInUser, password string) {
	if u.SRPVerifier != "" {
		if _, err := OpenSRPVerifier(s.verifiers, pool.ID, u.Sub, u.SRPVerifier); err == nil {
			return
		}
	}
	if err := s.pools.RebuildSRPVerifier(ctx, pool, u, password); err != nil {
		s.log.Warn("rebuild SRP verifier", "pool", pool.ID, "sub", u.Sub, "error", err)
	}
}
