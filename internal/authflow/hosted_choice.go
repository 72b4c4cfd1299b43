package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the engine's side of choice-based sign-in on the hosted
// UI's pages (managed login): the sign-in page asks for the username,
// StartHostedUserAuth runs USER_AUTH's start (selectChallenge) and the page
// shows the choices of its SELECT_CHALLENGE; AnswerHostedChoice answers
// that with a password, or with a passwordless first factor, whose code or
// passkey AnswerHostedMFA then takes. Every state is marked Hosted, so the
// API's RespondToAuthChallenge refuses it, and the sign-in ends in a
// hosted-UI session. The pages also register passkeys for the user of a
// hosted-UI session (StartHostedPasskeyRegistration,
// CompleteHostedPasskeyRegistration), as StartWebAuthnRegistration and
// CompleteWebAuthnRegistration do for an access token's.

// HostedChoices says whether the hosted sign-in page of clientID offers
// choice-based sign-in: the client allows USER_AUTH and the pool offers a
// first factor other than a password. It returns the factors the pool
// offers (availableChallenges), or none.
func (s *Service) HostedChoices(ctx context.Context, c cognito.Caller, clientID string) ([]idp.ChallengeNameType, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", clientID)
	if err != nil {
		return nil, err
	}
	if !client.AllowsAuthFlow(idp.AuthFlowTypeUserAuth) {
		return nil, nil
	}
	available := availableChallenges(pool)
	for _, ch := range available {
		if slices.Contains(passwordless, ch) {
			return available, nil
		}
	}
	return nil, nil
}

// HostedUserAuth starts choice-based sign-in on the hosted UI's sign-in
// page: the username (or an alias the pool signs in with).
type HostedUserAuth struct {
	ClientID, Username string
}

// StartHostedUserAuth starts USER_AUTH for the hosted UI, through the same
// challenge as InitiateAuth's (the existence errors as the client says):
// its answer is SELECT_CHALLENGE with the challenges the user may choose.
// The client must allow USER_AUTH; no SECRET_HASH is asked, since the
// OAuth endpoints authenticate the client.
func (s *Service) StartHostedUserAuth(ctx context.Context, c cognito.Caller, in HostedUserAuth) (*Step, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if !client.AllowsAuthFlow(idp.AuthFlowTypeUserAuth) {
		return nil, flowNotEnabled(idp.AuthFlowTypeUserAuth)
	}
	params := map[string]string{"USERNAME": in.Username}
	if err := checkParams("authParameters", params); err != nil {
		return nil, err
	}
	sp := &call{flowStart: flowStart{pool: pool, client: client, flow: idp.AuthFlowTypeUserAuth, hosted: true}, params: params}
	ch := selectChallenge{}
	if sp.username, err = ch.startParams(s, sp); err != nil {
		return nil, err
	}
	sp.given = pool.FoldUsername(sp.username)
	if sp.user, err = s.lookup(ctx, pool, sp.username); err != nil {
		return nil, err
	}
	sp.found = true
	return ch.start(ctx, s, sp)
}

// HostedChoice answers the SELECT_CHALLENGE of a hosted choice-based
// sign-in: the challenge chosen, and the password when it is PASSWORD.
type HostedChoice struct {
	ClientID, Session string
	Answer            idp.ChallengeNameType
	Password          string
}

// AnswerHostedChoice answers SELECT_CHALLENGE through the same challenge
// as RespondToAuthChallenge: a password signs in (or leads to the next
// challenge), a passwordless choice opens its challenge (a code sent, or a
// passkey's request options).
func (s *Service) AnswerHostedChoice(ctx context.Context, c cognito.Caller, in HostedChoice) (*Step, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	st, err := s.hostedState(pool, client, in.Session, idp.ChallengeNameTypeSelectChallenge)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"USERNAME": st.Username, "ANSWER": string(in.Answer)}
	if in.Password != "" {
		params["PASSWORD"] = in.Password
	}
	if err := checkParams("challengeResponses", params); err != nil {
		return nil, err
	}
	sp := &call{
		flowStart: flowStart{pool: pool, client: client, flow: st.Flow, hosted: true},
		params:    params, name: idp.ChallengeNameTypeSelectChallenge, st: st, username: st.Username, given: st.Given,
	}
	ch := selectChallenge{}
	if _, err := ch.answerParams(s, sp); err != nil {
		return nil, err
	}
	return ch.answer(ctx, s, sp)
}

// hostedState opens the sealed state session of a hosted sign-in of
// client, waiting for challenge.
func (s *Service) hostedState(pool *userpool.SignInPool, client *userpool.SignInClient, session string, challenge idp.ChallengeNameType) (*flowState, error) {
	if session == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	st, err := s.readFlow(session, purposeSession, pool.ID, client.ClientID)
	if err != nil {
		return nil, err
	}
	if !st.Hosted || st.Challenge != challenge {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	return st, nil
}

// hostedPasskeyUser is the pool and user of the hosted-UI session token in
// poolID; a session that is gone is NotAuthorizedException.
func (s *Service) hostedPasskeyUser(ctx context.Context, poolID, token string) (*userpool.SignInPool, *directory.SignInUser, error) {
	sess, err := s.OpenUISession(ctx, poolID, token)
	if err != nil {
		return nil, nil, err
	}
	if sess == nil {
		return nil, nil, cognito.NotAuthorizedException("Sign in to add a passkey.")
	}
	pool, u, err := s.grantUser(ctx, poolID, sess.Sub)
	if errors.Is(err, ErrInvalidGrant) {
		return nil, nil, cognito.NotAuthorizedException("Sign in to add a passkey.")
	}
	return pool, u, err
}

// StartHostedPasskeyRegistration hands the user of the hosted-UI session
// token the options of a new passkey, as StartWebAuthnRegistration does
// for an access token's user, for the app client clientID of the page.
func (s *Service) StartHostedPasskeyRegistration(ctx context.Context, poolID, token, clientID string) (json.RawMessage, error) {
	pool, u, err := s.hostedPasskeyUser(ctx, poolID, token)
	if err != nil {
		return nil, err
	}
	return s.startPasskeyRegistration(ctx, pool, u, clientID)
}

// CompleteHostedPasskeyRegistration registers the passkey credential (a
// RegistrationResponseJSON) of the user of the hosted-UI session token, as
// CompleteWebAuthnRegistration does.
func (s *Service) CompleteHostedPasskeyRegistration(ctx context.Context, poolID, token, clientID string, credential json.RawMessage) error {
	pool, u, err := s.hostedPasskeyUser(ctx, poolID, token)
	if err != nil {
		return err
	}
	return s.completePasskeyRegistration(ctx, pool, u, clientID, credential)
}
