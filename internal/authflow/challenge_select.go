package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// selectChallenge is choice-based sign-in: it starts USER_AUTH and
// answers SELECT_CHALLENGE with ANSWER naming the challenge chosen, which
// then runs as if it had been answered directly (passwordChallenge,
// passwordSRPChallenge). Its flow state is the user (or the stand-in of
// one that does not exist) and the USERNAME given.
type selectChallenge struct{}

// availableChallenges are the first-factor challenges choice-based sign-in
// (USER_AUTH) offers in the pool: PASSWORD and PASSWORD_SRP when the pool's
// SignInPolicy allows passwords. The passwordless factors (EMAIL_OTP,
// SMS_OTP, WEB_AUTHN) come with their own challenges.
func availableChallenges(pool *userpool.SignInPool) []idp.ChallengeNameType {
	var out []idp.ChallengeNameType
	if slices.Contains(pool.FirstAuthFactors, idp.AuthFactorTypePassword) {
		out = append(out, idp.ChallengeNameTypePassword, idp.ChallengeNameTypePasswordSrp)
	}
	return out
}

func challengeUnavailable(name idp.ChallengeNameType) error {
	return cognito.InvalidParameterException("The challenge " + string(name) + " is not available for this user.")
}

// chosen is the challenge that runs an answer to SELECT_CHALLENGE.
func (selectChallenge) chosen(name idp.ChallengeNameType) (challenge, bool) {
	switch name {
	case idp.ChallengeNameTypePassword:
		return passwordChallenge{}, true
	case idp.ChallengeNameTypePasswordSrp:
		return passwordSRPChallenge{}, true
	}
	return nil, false
}

func (selectChallenge) startParams(_ *Service, sp *call) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if len(availableChallenges(sp.pool)) == 0 {
		return "", cognito.UnsupportedOperationException("cognate does not implement the sign-in factors this user pool allows yet.")
	}
	return username, nil
}

// start runs USER_AUTH. With a PREFERRED_CHALLENGE the pool offers and its
// parameters (PASSWORD, or SRP_A for PASSWORD_SRP), the challenge runs at
// once; otherwise the answer is SELECT_CHALLENGE with the challenges
// available and a Session. A user that does not exist gets the same answer
// when the client hides whether users exist.
func (c selectChallenge) start(ctx context.Context, s *Service, sp *call) (*Step, error) {
	if sp.user == nil && !sp.client.PreventUserExistenceErrors {
		return nil, cognito.UserNotFoundException(msgUserNotFound)
	}
	available := availableChallenges(sp.pool)
	switch preferred := idp.ChallengeNameType(sp.params["PREFERRED_CHALLENGE"]); {
	case preferred == idp.ChallengeNameTypePassword && slices.Contains(available, preferred):
		if sp.params["PASSWORD"] == "" {
			return nil, missing("PASSWORD")
		}
		return passwordChallenge{}.start(ctx, s, sp)
	case preferred == idp.ChallengeNameTypePasswordSrp && slices.Contains(available, preferred):
		srpA := sp.params["SRP_A"]
		if srpA == "" {
			return nil, missing("SRP_A")
		}
		if _, err := srp.ParseA(srpA); err != nil {
			return nil, err
		}
		return passwordVerifierChallenge{}.open(ctx, s, sp, sp.username, srpA)
	}
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin,
		Challenge: idp.ChallengeNameTypeSelectChallenge, Given: sp.given,
	}
	if u := sp.user; u != nil {
		st.Sub, st.Username = u.Sub, u.Username
	} else {
		st.Fake, st.Username = true, s.fakeUserID(sp.pool, sp.username)
	}
	session, err := s.openFlow(ctx, st, sessionValidity(sp.client.AuthSessionValidity), purposeSession, nil)
	if err != nil {
		return nil, err
	}
	return &Step{Challenge: idp.ChallengeNameTypeSelectChallenge, Session: session, Available: available, Params: map[string]string{}}, nil
}

func (selectChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeSelectChallenge }

func (selectChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

// answerParams takes ANSWER, the challenge chosen among those available,
// and hands the rest to it.
func (c selectChallenge) answerParams(s *Service, sp *call) (string, error) {
	answer := idp.ChallengeNameType(sp.params["ANSWER"])
	if answer == "" {
		return "", missing("ANSWER")
	}
	ch, ok := c.chosen(answer)
	if !ok || !slices.Contains(availableChallenges(sp.pool), answer) {
		return "", challengeUnavailable(answer)
	}
	sp.name = answer
	return ch.answerParams(s, sp)
}

func (c selectChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	ch, _ := c.chosen(sp.name)
	return ch.answer(ctx, s, sp)
}
