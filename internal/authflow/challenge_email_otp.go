package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// emailOTPChallenge is EMAIL_OTP, as a second factor or as the first of
// choice-based sign-in (openPasswordless): a six-digit code sent
// by email to the user's address when the challenge opened
// (openCodeChallenge), answered with EMAIL_OTP_CODE. Its state is the user
// and the code's keyed MAC.
type emailOTPChallenge struct{}

func (emailOTPChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeEmailOtp }

func (emailOTPChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (emailOTPChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "EMAIL_OTP_CODE")
}

func (emailOTPChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	return s.answerSentCode(ctx, sp, sp.params["EMAIL_OTP_CODE"])
}
