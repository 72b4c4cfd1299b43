package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
)

// passwordSRPChallenge is the SRP password as a first factor of
// choice-based sign-in: it answers SELECT_CHALLENGE with ChallengeName
// PASSWORD_SRP (or ANSWER=PASSWORD_SRP) and SRP_A, using the Session up and
// opening PASSWORD_VERIFIER as USER_SRP_AUTH does. It owns no flow state of
// its own.
type passwordSRPChallenge struct{}

func (passwordSRPChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypeSelectChallenge
}

func (passwordSRPChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (passwordSRPChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return selectedParams(sp, idp.ChallengeNameTypePasswordSrp)
}

func (passwordSRPChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	srpA := sp.params["SRP_A"]
	if srpA == "" {
		return nil, missing("SRP_A")
	}
	if _, err := srp.ParseA(srpA); err != nil {
		return nil, err
	}
	if err := s.stateUser(ctx, sp); err != nil {
		return nil, err
	}
	if err := s.useFlowNow(ctx, sp.st); err != nil {
		return nil, err
	}
	return passwordVerifierChallenge{}.open(ctx, s, sp, sp.st.Given, srpA)
}
