package authflow

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// RespondToAuthChallenge advances a flow with the answer to its challenge.
func (s *Service) RespondToAuthChallenge(ctx context.Context, c userpool.Caller, in *idp.RespondToAuthChallengeRequest) (*idp.RespondToAuthChallengeResponse, error) {
	o, err := s.respond(ctx, c, "", cognito.Deref(in.ClientId), cognito.Deref(in.ChallengeName), cognito.Deref(in.Session), in.ChallengeResponses, false)
	if err != nil {
		return nil, err
	}
	return &idp.RespondToAuthChallengeResponse{
		ChallengeName: o.challengeName(), Session: o.session(), ChallengeParameters: o.Params,
		AuthenticationResult: o.Result,
	}, nil
}

// AdminRespondToAuthChallenge is RespondToAuthChallenge as an
// administrator, for flows AdminInitiateAuth started.
func (s *Service) AdminRespondToAuthChallenge(ctx context.Context, c userpool.Caller, in *idp.AdminRespondToAuthChallengeRequest) (*idp.AdminRespondToAuthChallengeResponse, error) {
	o, err := s.respond(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId), cognito.Deref(in.ChallengeName), cognito.Deref(in.Session), in.ChallengeResponses, true)
	if err != nil {
		return nil, err
	}
	return &idp.AdminRespondToAuthChallengeResponse{
		ChallengeName: o.challengeName(), Session: o.session(), ChallengeParameters: o.Params,
		AuthenticationResult: o.Result,
	}, nil
}

func (s *Service) respond(ctx context.Context, c userpool.Caller, poolID, clientID string, name idp.ChallengeNameType, session string, responses map[string]string, admin bool) (*outcome, error) {
	if err := checkParams("challengeResponses", responses); err != nil {
		return nil, err
	}
	pool, client, err := s.pools.SignInClient(ctx, c, poolID, clientID)
	if err != nil {
		return nil, err
	}
	if responses == nil {
		responses = map[string]string{}
	}
	f := flowStart{pool: pool, client: client, admin: admin}
	switch name {
	case idp.ChallengeNameTypePasswordVerifier:
		return s.respondPasswordVerifier(ctx, f, responses)
	case idp.ChallengeNameTypeNewPasswordRequired:
		return s.respondNewPassword(ctx, f, session, responses)
	case idp.ChallengeNameTypeSelectChallenge, idp.ChallengeNameTypePassword, idp.ChallengeNameTypePasswordSrp:
		return s.respondSelect(ctx, f, name, session, responses)
	}
	return nil, cognito.InvalidParameterException(msgInvalidChallenge)
}

// sessionState opens the Session of a challenge that has one and checks
// that it is waiting for want.
func (s *Service) sessionState(f *flowStart, session string, want idp.ChallengeNameType) (*flowState, error) {
	if session == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	st, err := s.readFlow(session, purposeSession, f.pool.ID, f.client.ClientID)
	if err != nil {
		return nil, err
	}
	if st.Challenge != want {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	f.flow, f.admin = st.Flow, st.Admin
	return st, nil
}

// respondNewPassword answers NEW_PASSWORD_REQUIRED: NEW_PASSWORD and any
// "userAttributes.<name>" values (the required attributes the challenge
// listed, and others the client may write). The password goes through the
// user pool's one password-setting place, in the transaction that uses the
// Session up; a password or attribute the pool refuses leaves the Session
// usable for another try.
func (s *Service) respondNewPassword(ctx context.Context, f flowStart, session string, responses map[string]string) (*outcome, error) {
	st, err := s.sessionState(&f, session, idp.ChallengeNameTypeNewPasswordRequired)
	if err != nil {
		return nil, err
	}
	username, password := responses["USERNAME"], responses["NEW_PASSWORD"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	if password == "" {
		return nil, missing("NEW_PASSWORD")
	}
	if err := checkSecretHash(f.client, responses["SECRET_HASH"], username, st.Username, st.Sub); err != nil {
		return nil, err
	}
	if !sameUser(st, f.pool, username) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	attrs := map[string]string{}
	for k, v := range responses {
		if name, ok := strings.CutPrefix(k, userAttributesPrefix); ok && name != "" {
			attrs[name] = v
		}
	}
	u, err := s.pools.SetNewPassword(ctx, f.pool, f.client, st.Sub, password, attrs, func(tx storage.Tx) error {
		return useFlow(ctx, tx, st)
	})
	if err != nil {
		return nil, err
	}
	res, err := s.signIn(ctx, f.pool, f.client, u, nil)
	if err != nil {
		return nil, err
	}
	return &outcome{Result: res, Params: map[string]string{}}, nil
}

// availableChallenges are the first-factor challenges choice-based sign-in
// (USER_AUTH) offers in the pool: PASSWORD and PASSWORD_SRP when the pool's
// SignInPolicy allows passwords. The passwordless factors (EMAIL_OTP,
// SMS_OTP, WEB_AUTHN) come with their own flows.
func availableChallenges(pool *userpool.SignInPool) []idp.ChallengeNameType {
	var out []idp.ChallengeNameType
	if slices.Contains(pool.FirstAuthFactors, idp.AuthFactorTypePassword) {
		out = append(out, idp.ChallengeNameTypePassword, idp.ChallengeNameTypePasswordSrp)
	}
	return out
}

// initiateUserAuth starts choice-based sign-in (USER_AUTH). With a
// PREFERRED_CHALLENGE the pool offers and its parameters (PASSWORD, or
// SRP_A for PASSWORD_SRP), the challenge runs at once; otherwise the answer
// is SELECT_CHALLENGE with the challenges available and a Session. A user
// that does not exist gets the same answer when the client hides whether
// users exist.
func (s *Service) initiateUserAuth(ctx context.Context, f flowStart, params map[string]string) (*outcome, error) {
	username := params["USERNAME"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	available := availableChallenges(f.pool)
	if len(available) == 0 {
		return nil, cognito.UnsupportedOperationException("cognate does not implement the sign-in factors this user pool allows yet.")
	}
	u, err := s.lookup(ctx, f.pool, username)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(f.client, params["SECRET_HASH"], userNames(username, u)...); err != nil {
		return nil, err
	}
	if u == nil && !f.client.PreventUserExistenceErrors {
		return nil, cognito.UserNotFoundException(msgUserNotFound)
	}
	switch preferred := idp.ChallengeNameType(params["PREFERRED_CHALLENGE"]); {
	case preferred == idp.ChallengeNameTypePassword && slices.Contains(available, preferred):
		password := params["PASSWORD"]
		if password == "" {
			return nil, missing("PASSWORD")
		}
		attempt, err := s.checkPassword(ctx, f, u, password, nil)
		if err != nil {
			return nil, err
		}
		return s.afterPassword(ctx, f, u, f.pool.FoldUsername(username), attempt)
	case preferred == idp.ChallengeNameTypePasswordSrp && slices.Contains(available, preferred):
		srpA := params["SRP_A"]
		if srpA == "" {
			return nil, missing("SRP_A")
		}
		if _, err := ParseSRPA(srpA); err != nil {
			return nil, err
		}
		return s.srpChallenge(ctx, f, u, username, srpA)
	}
	st := &flowState{
		Pool: f.pool.ID, Client: f.client.ClientID, Flow: f.flow, Admin: f.admin,
		Challenge: idp.ChallengeNameTypeSelectChallenge, Given: f.pool.FoldUsername(username),
	}
	if u != nil {
		st.Sub, st.Username = u.Sub, u.Username
	} else {
		st.Fake, st.Username = true, s.fakeUserID(f.pool, username)
	}
	session, err := s.openFlow(ctx, st, sessionValidity(f.client.AuthSessionValidity), purposeSession, nil)
	if err != nil {
		return nil, err
	}
	return &outcome{Challenge: idp.ChallengeNameTypeSelectChallenge, Session: session, Available: available, Params: map[string]string{}}, nil
}

// respondSelect answers SELECT_CHALLENGE: with ANSWER naming PASSWORD (and
// PASSWORD) or PASSWORD_SRP (and SRP_A), or with ChallengeName PASSWORD or
// PASSWORD_SRP directly. The Session is used up before the password is
// checked, in the transaction that counts the attempt.
func (s *Service) respondSelect(ctx context.Context, f flowStart, name idp.ChallengeNameType, session string, responses map[string]string) (*outcome, error) {
	st, err := s.sessionState(&f, session, idp.ChallengeNameTypeSelectChallenge)
	if err != nil {
		return nil, err
	}
	answer := name
	if name == idp.ChallengeNameTypeSelectChallenge {
		answer = idp.ChallengeNameType(responses["ANSWER"])
		if answer == "" {
			return nil, missing("ANSWER")
		}
	}
	if !slices.Contains(availableChallenges(f.pool), answer) {
		return nil, cognito.InvalidParameterException("The challenge " + string(answer) + " is not available for this user.")
	}
	username := responses["USERNAME"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	if err := checkSecretHash(f.client, responses["SECRET_HASH"], username, st.Username, st.Sub); err != nil {
		return nil, err
	}
	if !sameUser(st, f.pool, username) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	var password, srpA string
	if answer == idp.ChallengeNameTypePassword {
		if password = responses["PASSWORD"]; password == "" {
			return nil, missing("PASSWORD")
		}
	} else {
		if srpA = responses["SRP_A"]; srpA == "" {
			return nil, missing("SRP_A")
		}
		if _, err := ParseSRPA(srpA); err != nil {
			return nil, err
		}
	}
	var u *userpool.SignInUser
	if !st.Fake {
		u, err = s.pools.UserBySub(ctx, f.pool, st.Sub)
		if errors.Is(err, cognito.UserNotFoundException("")) {
			u, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if answer == idp.ChallengeNameTypePasswordSrp {
		if err := s.useFlowNow(ctx, st); err != nil {
			return nil, err
		}
		return s.srpChallenge(ctx, f, u, st.Given, srpA)
	}
	attempt, err := s.checkPassword(ctx, f, u, password, st)
	if err != nil {
		return nil, err
	}
	return s.afterPassword(ctx, f, u, st.Given, attempt)
}
