package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
)

// softwareTokenMFAChallenge is SOFTWARE_TOKEN_MFA: a TOTP code of the
// user's verified software token, answered with SOFTWARE_TOKEN_MFA_CODE.
// A code is accepted once: the step it matched must come after the last
// one accepted, and is recorded in the transaction that issues the tokens
// (directory.Service.UseTOTPStep), so of two answers with one code one
// wins. Its state is the user.
type softwareTokenMFAChallenge struct{}

func (softwareTokenMFAChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypeSoftwareTokenMfa
}

func (softwareTokenMFAChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (softwareTokenMFAChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "SOFTWARE_TOKEN_MFA_CODE")
}

func (softwareTokenMFAChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	code := sp.params["SOFTWARE_TOKEN_MFA_CODE"]
	return s.answerCode(ctx, sp, func() (bool, func(tx storage.Tx) error, error) {
		u := sp.user
		if u.MFA.TOTPSecret == "" {
			return false, nil, nil
		}
		secret, err := s.totp.Open(sp.pool.ID, u.Sub, u.MFA.TOTPSecret)
		if err != nil {
			return false, nil, internal(err)
		}
		last, err := s.users.LastTOTPStepIn(ctx, s.reader(sp), sp.pool, u)
		if err != nil {
			return false, nil, internal(err)
		}
		step, ok := mfa.Check(secret, code, s.now(), last)
		if !ok {
			return false, nil, nil
		}
		return true, func(tx storage.Tx) error {
			return s.users.UseTOTPStep(ctx, tx, sp.pool, u.Sub, step)
		}, nil
	}, directory.TOTPStepRef(sp.st.Sub))
}
