package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// passwordChallenge is the password as a first factor: it starts
// USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH (and ADMIN_NO_SRP_AUTH),
// where the password arrives with the username in one call, and USER_AUTH
// with PREFERRED_CHALLENGE=PASSWORD; and it answers SELECT_CHALLENGE with
// ChallengeName PASSWORD (or ANSWER=PASSWORD). The password is checked
// through the shared phases (Service.authenticate). It owns no flow
// state.
type passwordChallenge struct{}

func (passwordChallenge) startParams(_ *Service, sp *call) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if sp.params["PASSWORD"] == "" {
		return "", missing("PASSWORD")
	}
	return username, nil
}

func (passwordChallenge) start(ctx context.Context, s *Service, sp *call) (*Step, error) {
	if sp.user == nil && migrates(sp.flow) && s.users.HasMigration(sp.pool) {
		if err := s.migrateUser(ctx, sp); err != nil {
			return nil, err
		}
	}
	sub := ""
	if sp.user != nil {
		sub = sp.user.Sub
	}
	var err error
	if sp.device, err = s.signInDevice(ctx, sp.pool, sub, sp.params["DEVICE_KEY"]); err != nil {
		return nil, err
	}
	return s.authenticate(ctx, sp, passwordFactor{password: sp.params["PASSWORD"]})
}

func (passwordChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeSelectChallenge }

func (passwordChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (passwordChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return selectedParams(sp, idp.ChallengeNameTypePassword)
}

// answer takes PASSWORD; the Session is used up before the password is
// checked, in the transaction that counts the attempt.
func (passwordChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	password := sp.params["PASSWORD"]
	if password == "" {
		return nil, missing("PASSWORD")
	}
	return s.authenticate(ctx, sp, passwordFactor{password: password})
}

// passwordFactor checks a password against the user's argon2id hash.
type passwordFactor struct{ password string }

// admit refuses a client with as many hashes waiting as it may before the
// attempt is counted or the flow state used (see password.Hasher.Busy).
func (passwordFactor) admit(ctx context.Context, s *Service) error { return s.passwords.Busy(ctx) }

func (passwordFactor) precheck(*Service, *call) error { return nil }

// checkFirst is false: the attempt is counted before the hash, so that
// parallel wrong passwords compute at most as many hashes as the lockout
// allows.
func (passwordFactor) checkFirst() bool { return false }

// verify checks the password; a user without a password hash is checked
// against the dummy hash, at the same cost, and fails. A right password
// rebuilds the user's SRP verifier when it is missing. A user imported
// with a password hash is checked against that hash (docs/import.md).
func (p passwordFactor) verify(ctx context.Context, s *Service, sp *call) (bool, error) {
	u := sp.user
	if u.PasswordHash == "" && u.ImportedHash {
		// An imported user's first sign-in: its former directory's hash,
		// replaced by the pool's own when the password is right.
		ok, err := s.users.VerifyImportedPassword(ctx, sp.pool, u, p.password)
		if ok {
			sp.password = p.password
		}
		return ok, err
	}
	if u.PasswordHash == "" && u.Status == idp.UserStatusTypeResetRequired {
		// A user imported without a password hash has no password to
		// check: Cognito answers PasswordResetRequiredException whatever
		// was sent, which the status decides once the factor passes. The
		// dummy hash keeps the cost of a real check.
		_, err := s.verifyPassword(ctx, s.passwords.Dummy(), p.password)
		return err == nil, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = s.passwords.Dummy()
	}
	ok, err := s.verifyPassword(ctx, hash, p.password)
	if err != nil {
		return false, err
	}
	if !ok || u.PasswordHash == "" {
		return false, nil
	}
	s.ensureSRPVerifier(ctx, sp.pool, u, p.password)
	sp.password = p.password
	return true, nil
}

func (p passwordFactor) shadow(ctx context.Context, s *Service, _ *call) error {
	_, err := s.verifyPassword(ctx, s.passwords.Dummy(), p.password)
	return err
}

// selectedParams checks an answer to SELECT_CHALLENGE that chose the
// challenge chosen: the pool offers it, and USERNAME is given.
func selectedParams(sp *call, chosen idp.ChallengeNameType) (string, error) {
	if !slices.Contains(availableChallenges(sp.pool), chosen) {
		return "", challengeUnavailable(chosen)
	}
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	return username, nil
}
