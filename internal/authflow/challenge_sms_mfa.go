package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// smsMFAChallenge is SMS_MFA: a six-digit code sent by SMS to the user's
// phone number when the challenge opened (openCodeChallenge), answered
// with SMS_MFA_CODE. Its state is the user and the code's keyed MAC.
type smsMFAChallenge struct{}

func (smsMFAChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeSmsMfa }

func (smsMFAChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (smsMFAChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "SMS_MFA_CODE")
}

func (smsMFAChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	return s.answerSentCode(ctx, sp, sp.params["SMS_MFA_CODE"])
}

// answerSentCode answers SMS_MFA, EMAIL_OTP or SMS_OTP with code: right when it is
// the code the state's MAC stands for (compared in constant time).
func (s *Service) answerSentCode(ctx context.Context, sp *call, code string) (*Step, error) {
	st := sp.st
	if st.Fake {
		// A stand-in passwordless flow (openPasswordless): counted like a
		// real one's answers, and always a wrong code, which counts toward
		// the lockout of codes of a user that exists, as a real one's.
		if err := s.flowSeenUsed(ctx, st); err != nil {
			return nil, err
		}
		if err := s.countMFAAnswer(ctx, st); err != nil {
			return nil, err
		}
		if st.Sub != "" {
			if err := s.countWrongCode(ctx, st.Pool, st.Sub); err != nil {
				return nil, err
			}
			s.recordEvent(ctx, sp.pool, st.Sub, "", idp.EventResponseTypeFail, eventFactors{first: firstFactorOf(st)})
		}
		return nil, cognito.CodeMismatchException(msgCodeMismatch)
	}
	return s.answerCode(ctx, sp, func() (bool, func(tx storage.Tx) error, error) {
		return st.CodeHash != "" && s.codes.Match(st.CodeHash, code, st.Pool, st.Sub, st.CodeID), nil, nil
	})
}
