package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// selectMFATypeChallenge is SELECT_MFA_TYPE: the user has more than one
// factor on and none preferred, and answers ANSWER with the one to use
// among MFAS_CAN_CHOOSE. The answer uses the Session up and opens the
// chosen challenge (sending its code), with a Session of its own. Its
// state is the user and the factors offered.
type selectMFATypeChallenge struct{}

func (selectMFATypeChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypeSelectMfaType
}

func (selectMFATypeChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (selectMFATypeChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "ANSWER")
}

func (selectMFATypeChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	answer := sp.params["ANSWER"]
	if !slices.Contains(sp.st.MFAOptions, answer) {
		return nil, cognito.InvalidParameterException(msgMFAMethod)
	}
	if err := s.flowSeenUsed(ctx, sp.st); err != nil {
		return nil, err
	}
	if err := s.mfaUser(ctx, sp); err != nil {
		return nil, err
	}
	if !factorUsable(sp.pool.MFA, sp.user, answer) {
		return nil, cognito.InvalidParameterException(msgMFAMethod)
	}
	st := sp.st
	return s.openMFAChallenge(ctx, sp, mfaStep{challenge: idp.ChallengeNameType(answer)}, func(tx storage.Tx) error {
		return s.useFlow(ctx, tx, st)
	}, nil)
}
