package authflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is passwordless sign-in with a code sent to the user
// (USER_AUTH's EMAIL_OTP and SMS_OTP first factors). The code challenges
// are the MFA ones (openCodeChallenge, answerCode): six digits from
// crypto/rand, only their keyed MAC in the sealed Session, three minutes,
// three answers per Session, wrong codes counted toward the lockout of
// codes. A state opened as a first factor (flowState.FirstFactor) ends in
// tokens without a second factor: the pools that offer it do not require
// MFA (availableChallenges).

// smsOTPChallenge is SMS_OTP: a six-digit code sent by SMS as the first
// factor of choice-based sign-in, answered with SMS_OTP_CODE. EMAIL_OTP
// as a first factor is emailOTPChallenge, the same challenge as the
// second factor. Its state is the user and the code's keyed MAC.
type smsOTPChallenge struct{}

func (smsOTPChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeSmsOtp }

func (smsOTPChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (smsOTPChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "SMS_OTP_CODE")
}

func (smsOTPChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	return s.answerSentCode(ctx, sp, sp.params["SMS_OTP_CODE"])
}

// openPasswordless opens the passwordless challenge (EMAIL_OTP, SMS_OTP
// or WEB_AUTHN) as a first factor, with within (the use of a SELECT_CHALLENGE
// Session) in the transaction that opens it, and sends the code.
//
// Where the client hides whether users exist, a user that does not exist,
// or one that cannot answer the challenge (no verified address or number,
// a second factor due, no passkey), gets a stand-in state that answers
// like a real one: no code is sent, the destination shown is a stable
// made-up one (or the name given, when it is an address of the kind), and
// every answer is a wrong code, counted as a real one's (toward the
// lockout of a user that exists).
func (s *Service) openPasswordless(ctx context.Context, sp *call, challenge idp.ChallengeNameType, within func(tx storage.Tx) error) (*Step, error) {
	sp.passwordless = true
	if sp.user != nil {
		// The pre-authentication hook runs before a code is sent or a
		// passkey asked for; its refusal uses the SELECT_CHALLENGE
		// Session up.
		if err := s.hooks.runPreAuthentication(ctx, sp); err != nil {
			return nil, s.useFlowThen(ctx, sp.st, err)
		}
	}
	if challenge == idp.ChallengeNameTypeWebAuthn {
		return s.openWebAuthn(ctx, sp, within)
	}
	if sp.user != nil && passwordlessUsable(sp.pool, sp.user, challenge) {
		return s.openCodeChallenge(ctx, sp, challenge, within, nil)
	}
	if !sp.client.PreventUserExistenceErrors {
		return nil, challengeUnavailable(challenge)
	}
	st := s.standIn(sp, challenge)
	st.CodeID = newStateID()
	session, err := s.openFlow(ctx, st, min(sessionValidity(sp.client.AuthSessionValidity), mfaCodeValidity), purposeSession, within)
	if err != nil {
		return nil, err
	}
	attr := "email"
	if challenge == idp.ChallengeNameTypeSmsOtp {
		attr = "phone_number"
	}
	d := s.users.MadeUpDelivery(sp.pool.ID, sp.username, sp.given, attr)
	return &Step{Challenge: challenge, Session: session, Params: map[string]string{
		"USER_ID_FOR_SRP":               st.Username,
		"CODE_DELIVERY_DELIVERY_MEDIUM": string(cognito.Deref(d.DeliveryMedium)),
		"CODE_DELIVERY_DESTINATION":     cognito.Deref(d.Destination),
	}}, nil
}

// standIn is the state of a passwordless challenge no answer passes, for
// sp's user (when it exists: its name and sub, so that its lockout
// counts) or for the name given (a made-up user ID).
func (s *Service) standIn(sp *call, challenge idp.ChallengeNameType) *flowState {
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin, Hosted: sp.hosted,
		Challenge: challenge, Given: sp.given, Fake: true, FirstFactor: true,
	}
	if u := sp.user; u != nil {
		st.Username, st.Sub = u.Username, u.Sub
	} else {
		st.Username = s.fakeUserID(sp.pool, sp.username)
	}
	return st
}

// fakePasskeyID is the credential ID a stand-in WEB_AUTHN challenge
// allows for the name given: a keyed hash of it, the same every time, of
// 32 bytes (as many authenticators make them; a real user's IDs are as
// long as its authenticators made them).
func (s *Service) fakePasskeyID(pool, given string) []byte {
	m := hmac.New(sha256.New, s.fakeKey)
	m.Write([]byte("passkey\x00" + pool + "\x00" + given))
	return m.Sum(nil)
}
