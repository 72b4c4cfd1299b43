package authflow

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// newPasswordRequiredChallenge is NEW_PASSWORD_REQUIRED: the next step
// (Service.next) of a user who proved a temporary password
// (FORCE_CHANGE_PASSWORD). Its flow state is the user; its answer is the
// new password and the attributes the pool requires.
type newPasswordRequiredChallenge struct{}

// open answers with NEW_PASSWORD_REQUIRED as Cognito sends it: the user's
// attributes as a JSON object (those the client may read) and the required
// attributes it lacks as a JSON list of "userAttributes.<name>", for the
// client to send back with NEW_PASSWORD.
//
// attempt, the attempt of the right password, is settled in the
// transaction that opens the challenge.
func (newPasswordRequiredChallenge) open(ctx context.Context, s *Service, sp *call, attempt *passwordAttempt) (*Step, error) {
	u := sp.user
	attrs, err := json.Marshal(sp.client.ReadableAttributes(u.Attributes))
	if err != nil {
		return nil, internal(err)
	}
	required := []string{}
	for _, name := range sp.pool.RequiredAttributes(u.Attributes) {
		required = append(required, userAttributesPrefix+name)
	}
	req, err := json.Marshal(required)
	if err != nil {
		return nil, internal(err)
	}
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin, Hosted: sp.hosted,
		Challenge: idp.ChallengeNameTypeNewPasswordRequired, Sub: u.Sub, Username: u.Username, Given: sp.given,
	}
	session, err := s.openFlow(ctx, st, sessionValidity(sp.client.AuthSessionValidity), purposeSession, func(tx storage.Tx) error {
		_, err := attempt.settle(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	return &Step{
		Challenge: idp.ChallengeNameTypeNewPasswordRequired,
		Session:   session,
		Params: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"userAttributes":     string(attrs),
			"requiredAttributes": string(req),
		},
	}, nil
}

func (newPasswordRequiredChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypeNewPasswordRequired
}

func (newPasswordRequiredChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (newPasswordRequiredChallenge) answerParams(_ *Service, sp *call) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if sp.params["NEW_PASSWORD"] == "" {
		return "", missing("NEW_PASSWORD")
	}
	return username, nil
}

// answer takes NEW_PASSWORD and any "userAttributes.<name>" values (the
// required attributes the challenge listed, and others the client may
// write). The password goes through the user pool's one password-setting
// place, in the transaction that uses the Session up; a password or
// attribute the pool refuses leaves the Session usable for another try.
// No secret is checked, so the lockout does not apply: the Session is the
// proof.
func (newPasswordRequiredChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	attrs := map[string]string{}
	for k, v := range sp.params {
		if name, ok := strings.CutPrefix(k, userAttributesPrefix); ok && name != "" {
			attrs[name] = v
		}
	}
	u, err := s.users.SetNewPassword(ctx, sp.pool, sp.client, sp.st.Sub, sp.params["NEW_PASSWORD"], attrs, func(tx storage.Tx) error {
		return s.useFlow(ctx, tx, sp.st)
	})
	if err != nil {
		return nil, err
	}
	sp.user, sp.found = u, true
	return s.afterFirstFactor(ctx, sp, nil)
}
