package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// selectChallenge is choice-based sign-in: it starts USER_AUTH and
// answers SELECT_CHALLENGE with ANSWER naming the challenge chosen. A
// password choice then runs as if it had been answered directly
// (passwordChallenge, passwordSRPChallenge); a passwordless one
// (EMAIL_OTP, SMS_OTP, WEB_AUTHN) uses the Session up and opens its own
// challenge, with a code sent or a passkey asked for (openPasswordless). Its flow state is the user (or the
// stand-in of one that does not exist) and the USERNAME given.
type selectChallenge struct{}

// passwordless are the first factors that need no password: a code sent
// by email or SMS, or a passkey.
var passwordless = []idp.ChallengeNameType{idp.ChallengeNameTypeEmailOtp, idp.ChallengeNameTypeSmsOtp, idp.ChallengeNameTypeWebAuthn}

// availableChallenges are the first-factor challenges choice-based sign-in
// (USER_AUTH) may offer in the pool, in the order of its SignInPolicy:
// PASSWORD and PASSWORD_SRP when it allows passwords, EMAIL_OTP, SMS_OTP
// and WEB_AUTHN when it allows them and MFA is not required (a sign-in
// with a code sent to the user, or a passkey, is one factor, which a pool
// that requires two does not take), except WEB_AUTHN where the pool counts
// a passkey that verifies its user as MFA (FactorConfiguration
// MULTI_FACTOR_WITH_USER_VERIFICATION).
func availableChallenges(pool *userpool.SignInPool) []idp.ChallengeNameType {
	var out []idp.ChallengeNameType
	for _, f := range pool.FirstAuthFactors {
		switch f {
		case idp.AuthFactorTypePassword:
			out = append(out, idp.ChallengeNameTypePassword, idp.ChallengeNameTypePasswordSrp)
		case idp.AuthFactorTypeEmailOtp, idp.AuthFactorTypeSmsOtp, idp.AuthFactorTypeWebAuthn:
			if pool.MFA.Mode != idp.UserPoolMfaTypeOn || passkeyIsMFA(pool, idp.ChallengeNameType(f)) {
				out = append(out, idp.ChallengeNameType(f))
			}
		}
	}
	return out
}

// userChallenges are the challenges USER_AUTH offers sp's user
// (AvailableChallenges).
//
// A client that hides whether users exist (PreventUserExistenceErrors)
// offers every name, user or not, the pool's list (availableChallenges):
// what a user can answer would tell who exists (a passkey only to users
// with one, no code to users with a second factor), and Cognito documents
// that it answers choice-based sign-in for a user that does not exist with
// the challenges the pool allows. A choice the user cannot answer then
// opens as it would for one that can, and no answer passes
// (openPasswordless).
//
// Otherwise they are the challenges of availableChallenges that the user
// can answer: EMAIL_OTP with a verified email address, SMS_OTP with a
// verified phone number, WEB_AUTHN with a registered passkey, and none of
// them for a user that is not confirmed or is disabled (whose password
// answer tells it so) or whose password leads to a second factor
// (passwordlessUsable).
func (s *Service) userChallenges(ctx context.Context, sp *call) ([]idp.ChallengeNameType, error) {
	pool, u := sp.pool, sp.user
	if sp.client.PreventUserExistenceErrors || u == nil {
		return availableChallenges(pool), nil
	}
	var out []idp.ChallengeNameType
	for _, c := range availableChallenges(pool) {
		switch {
		case !slices.Contains(passwordless, c):
		case !passwordlessUsable(pool, u, c):
			continue
		case c == idp.ChallengeNameTypeWebAuthn:
			n, err := s.countPasskeys(ctx, pool.ID, u.Sub)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// passwordlessUsable says u can sign in with the passwordless challenge c
// in pool. Where a password would lead to a second factor (mfaDue), no
// passwordless challenge goes around it, except a passkey of a user whose
// passkey MFA is on in a pool that counts passkeys as MFA (passkeyMFA).
func passwordlessUsable(pool *userpool.SignInPool, u *directory.SignInUser, c idp.ChallengeNameType) bool {
	if !u.Enabled || u.Status != idp.UserStatusTypeConfirmed {
		return false
	}
	if mfaDue(pool, u) && (c != idp.ChallengeNameTypeWebAuthn || !passkeyMFA(pool, u)) {
		return false
	}
	switch c {
	case idp.ChallengeNameTypeEmailOtp:
		return u.Attributes["email"] != "" && u.Attributes["email_verified"] == "true"
	case idp.ChallengeNameTypeSmsOtp:
		return u.Attributes["phone_number"] != "" && u.Attributes["phone_number_verified"] == "true"
	case idp.ChallengeNameTypeWebAuthn:
		// Whether the user has a passkey is read where it matters.
		return true
	}
	return false
}

// mfaDue says a password sign-in of u would be asked for a second factor:
// the pool requires MFA, or it is optional and u has a factor on.
func mfaDue(pool *userpool.SignInPool, u *directory.SignInUser) bool {
	return decideMFA(pool.MFA, u).challenge != ""
}

// passkeyIsMFA says c is WEB_AUTHN in a pool that counts a passkey that
// verifies its user as MFA (FactorConfiguration
// MULTI_FACTOR_WITH_USER_VERIFICATION), for the users who turn passkey MFA
// on.
func passkeyIsMFA(pool *userpool.SignInPool, c idp.ChallengeNameType) bool {
	return c == idp.ChallengeNameTypeWebAuthn && pool.WebAuthn.MultiFactor
}

// passkeyMFA says u's passkeys count as MFA: the pool counts passkeys as
// MFA and u turned passkey MFA on (WebAuthnMfaSettings). Its passkey
// sign-ins then verify the user, always, and pass where MFA is due.
func passkeyMFA(pool *userpool.SignInPool, u *directory.SignInUser) bool {
	return pool.WebAuthn.MultiFactor && u.MFA.Passkey
}

func challengeUnavailable(name idp.ChallengeNameType) error {
	return cognito.InvalidParameterException("The challenge " + string(name) + " is not available for this user.")
}

// chosen is the challenge that runs an answer to SELECT_CHALLENGE with a
// password.
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
	available, err := s.userChallenges(ctx, sp)
	if err != nil {
		return nil, err
	}
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
	case slices.Contains(passwordless, preferred) && slices.Contains(available, preferred):
		return s.openPasswordless(ctx, sp, preferred, nil)
	}
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin, Hosted: sp.hosted,
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

// answerParams takes ANSWER, the challenge chosen among those the pool
// offers, and hands the rest to it (a passwordless choice takes only
// USERNAME).
func (c selectChallenge) answerParams(s *Service, sp *call) (string, error) {
	answer := idp.ChallengeNameType(sp.params["ANSWER"])
	if answer == "" {
		return "", missing("ANSWER")
	}
	if !slices.Contains(availableChallenges(sp.pool), answer) {
		return "", challengeUnavailable(answer)
	}
	sp.name = answer
	if slices.Contains(passwordless, answer) {
		return mfaAnswerParams(sp, "")
	}
	ch, ok := c.chosen(answer)
	if !ok {
		return "", challengeUnavailable(answer)
	}
	return ch.answerParams(s, sp)
}

func (c selectChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	if slices.Contains(passwordless, sp.name) {
		return s.answerPasswordlessChoice(ctx, sp)
	}
	ch, _ := c.chosen(sp.name)
	return ch.answer(ctx, s, sp)
}

// answerPasswordlessChoice answers SELECT_CHALLENGE with a passwordless
// challenge: the user must be able to answer it, and the Session is used
// up in the transaction that opens it (a code is then sent). Where the
// client hides whether users exist, a choice the user cannot answer (or a
// user that does not exist) opens as one it can, with no code sent, and
// no answer passes (openPasswordless).
func (s *Service) answerPasswordlessChoice(ctx context.Context, sp *call) (*Step, error) {
	if err := s.flowSeenUsed(ctx, sp.st); err != nil {
		return nil, err
	}
	if err := s.stateUser(ctx, sp); err != nil {
		return nil, err
	}
	if !sp.client.PreventUserExistenceErrors && (sp.user == nil || !passwordlessUsable(sp.pool, sp.user, sp.name)) {
		return nil, challengeUnavailable(sp.name)
	}
	st := sp.st
	return s.openPasswordless(ctx, sp, sp.name, func(tx storage.Tx) error { return s.useFlow(ctx, tx, st) })
}
