package authflow

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
)

// webAuthnChallenge is WEB_AUTHN: a passkey as the first factor of
// choice-based sign-in. It opens with CREDENTIAL_REQUEST_OPTIONS (the
// PublicKeyCredentialRequestOptions of the user's passkeys, as JSON) and
// is answered with CREDENTIAL, the AuthenticationResponseJSON the
// browser's navigator.credentials.get made. Its state is the user and the
// challenge (in the sealed Session, so it is used once, with the
// Session). A right answer advances the passkey's sign counter in the
// transaction that issues the tokens; a counter that did not advance is
// refused (a cloned authenticator). For a user whose passkey MFA is on
// (passkeyMFA: the pool's FactorConfiguration and the user's
// WebAuthnMfaSettings), the authenticator must verify the user and the
// sign-in counts as MFA. A stand-in state (Fake: a name with no passkey to
// answer with, where the client hides whether users exist) answers with a
// real one's refusals and never passes (answerStandIn).
type webAuthnChallenge struct{}

func (webAuthnChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeWebAuthn }

func (webAuthnChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (webAuthnChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "CREDENTIAL")
}

// openWebAuthn opens WEB_AUTHN for sp's user, with within (the use of a
// SELECT_CHALLENGE Session) in the transaction that opens it.
func (s *Service) openWebAuthn(ctx context.Context, sp *call, within func(tx storage.Tx) error) (*Step, error) {
	rp, err := s.relyingParty(ctx, sp.pool)
	if err != nil {
		return nil, err
	}
	var recs []*passkeyRecord
	if sp.user != nil && passwordlessUsable(sp.pool, sp.user, idp.ChallengeNameTypeWebAuthn) {
		if recs, _, err = s.userPasskeys(ctx, sp.pool.ID, sp.user.Sub); err != nil {
			return nil, err
		}
	}
	if len(recs) == 0 {
		if !sp.client.PreventUserExistenceErrors {
			return nil, challengeUnavailable(idp.ChallengeNameTypeWebAuthn)
		}
		return s.openStandInWebAuthn(ctx, sp, rp, within)
	}
	// A user whose passkey MFA is on signs in with a passkey as MFA: its
	// authenticator must verify the user (passwordlessUsable offers
	// passkeys where MFA is due only to such users).
	asMFA := passkeyMFA(sp.pool, sp.user)
	if asMFA {
		rp.UserVerification = "required"
	}
	options, challenge, err := mfa.BeginLogin(rp, passkeyUser(sp.user, recs))
	if err != nil {
		return nil, internal(err)
	}
	u := sp.user
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin, Hosted: sp.hosted,
		Challenge: idp.ChallengeNameTypeWebAuthn, Sub: u.Sub, Username: u.Username, Given: sp.given,
		FirstFactor: true, WebAuthnChallenge: challenge, WebAuthnRP: rp.ID, WebAuthnMFA: asMFA,
	}
	session, err := s.openFlow(ctx, st, min(sessionValidity(sp.client.AuthSessionValidity), mfa.PasskeyTimeout), purposeSession, within)
	if err != nil {
		return nil, err
	}
	return &Step{Challenge: idp.ChallengeNameTypeWebAuthn, Session: session, Params: map[string]string{
		"CREDENTIAL_REQUEST_OPTIONS": string(options),
	}}, nil
}

// openStandInWebAuthn opens WEB_AUTHN for a name that has no passkey to
// sign in with (a user that does not exist, or cannot sign in with one),
// where the client hides whether users exist: options like a real user's,
// allowing one made-up credential (the same for the name every time), and
// a state no answer passes (answerStandIn).
func (s *Service) openStandInWebAuthn(ctx context.Context, sp *call, rp mfa.RelyingParty, within func(tx storage.Tx) error) (*Step, error) {
	st := s.standIn(sp, idp.ChallengeNameTypeWebAuthn)
	fake := &mfa.PasskeyUser{
		ID: s.fakePasskeyID(sp.pool.ID, "user\x00"+sp.given), Name: sp.given, DisplayName: sp.given,
		Credentials: []mfa.Passkey{{ID: s.fakePasskeyID(sp.pool.ID, sp.given)}},
	}
	options, challenge, err := mfa.BeginLogin(rp, fake)
	if err != nil {
		return nil, internal(err)
	}
	st.WebAuthnChallenge, st.WebAuthnRP = challenge, rp.ID
	session, err := s.openFlow(ctx, st, min(sessionValidity(sp.client.AuthSessionValidity), mfa.PasskeyTimeout), purposeSession, within)
	if err != nil {
		return nil, err
	}
	return &Step{Challenge: idp.ChallengeNameTypeWebAuthn, Session: session, Params: map[string]string{
		"CREDENTIAL_REQUEST_OPTIONS": string(options),
	}}, nil
}

// answerStandIn answers a stand-in WEB_AUTHN state in the order and with
// the refusals of a real one: the Session's use and bound, the relying
// party, a malformed response; an assertion made with the credential the
// options allowed is checked up to its signature (origin, relying party
// ID, challenge), and then, as any other, refused as a bad passkey.
func (webAuthnChallenge) answerStandIn(ctx context.Context, s *Service, sp *call) (*Step, error) {
	st := sp.st
	if err := s.flowSeenUsed(ctx, st); err != nil {
		return nil, err
	}
	if err := s.countMFAAnswer(ctx, st); err != nil {
		return nil, err
	}
	refuse := func(err error) (*Step, error) {
		s.recordEvent(ctx, sp.pool, st.Sub, "", idp.EventResponseTypeFail, eventFactors{first: idp.ChallengeName(idp.ChallengeNameTypeWebAuthn)})
		return nil, err
	}
	rp, err := s.relyingParty(ctx, sp.pool)
	if err != nil {
		return nil, err
	}
	if rp.ID != st.WebAuthnRP {
		return refuse(cognito.WebAuthnRelyingPartyMismatchException(msgWebAuthnRelyingParty))
	}
	response := []byte(sp.params["CREDENTIAL"])
	credID, err := mfa.AssertedCredential(response)
	if err != nil {
		return refuse(passkeyError(err, false))
	}
	if subtle.ConstantTimeCompare(credID, s.fakePasskeyID(sp.pool.ID, st.Given)) == 1 {
		if err := mfa.CheckAssertion(rp, st.WebAuthnChallenge, response); err != nil {
			return refuse(passkeyError(err, false))
		}
	}
	return refuse(cognito.NotAuthorizedException(msgPasskeyInvalid))
}

// answer checks CREDENTIAL: counted against the Session's bound like a
// code, refused while the user is locked out; the origin, relying party
// and challenge first (Cognito's WebAuthn exceptions), then the
// signature over the challenge with one of the user's own passkeys, its
// user verification where the pool requires it, and its sign counter.
func (c webAuthnChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	st := sp.st
	if st.Fake {
		return c.answerStandIn(ctx, s, sp)
	}
	if err := s.flowSeenUsed(ctx, st); err != nil {
		return nil, err
	}
	if err := s.mfaUser(ctx, sp); err != nil {
		return nil, err
	}
	if err := s.countMFAAnswer(ctx, st); err != nil {
		return nil, err
	}
	refuse := func(err error) (*Step, error) {
		s.recordEvent(ctx, sp.pool, sp.user.Sub, "", idp.EventResponseTypeFail, eventFactors{first: idp.ChallengeName(idp.ChallengeNameTypeWebAuthn)})
		return nil, err
	}
	rp, err := s.relyingParty(ctx, sp.pool)
	if err != nil {
		return nil, err
	}
	if st.WebAuthnMFA {
		rp.UserVerification = "required"
	}
	if rp.ID != st.WebAuthnRP {
		return refuse(cognito.WebAuthnRelyingPartyMismatchException(msgWebAuthnRelyingParty))
	}
	response := []byte(sp.params["CREDENTIAL"])
	credID, err := mfa.AssertedCredential(response)
	if err != nil {
		return refuse(passkeyError(err, false))
	}
	recs, items, err := s.userPasskeys(ctx, sp.pool.ID, sp.user.Sub)
	if err != nil {
		return nil, err
	}
	// The passkey answered with must be the user's own: another user's is
	// no passkey of this sign-in.
	idx := -1
	want := base64.RawURLEncoding.EncodeToString(credID)
	for i, r := range recs {
		if r.ID == want {
			idx = i
		}
	}
	if idx < 0 {
		return refuse(cognito.NotAuthorizedException(msgPasskeyInvalid))
	}
	cred, err := mfa.FinishLogin(rp, passkeyUser(sp.user, recs[idx:idx+1]), st.WebAuthnChallenge, response)
	if err != nil {
		s.log.Info("passkey sign-in refused", "pool", sp.pool.ID, "err", err)
		return refuse(passkeyError(err, false))
	}
	rec, it := *recs[idx], items[idx]
	rec.Credential = *cred
	return s.finishMFA(ctx, sp, nil, func(tx storage.Tx) error {
		next, err := passkeyItem(sp.pool.ID, &rec, it.Version, s.now())
		if err != nil {
			return err
		}
		err = tx.UpdateItem(ctx, next)
		if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
			// Used (or deleted) meanwhile by another sign-in: this
			// assertion's counter is no longer ahead of the stored one.
			return cognito.NotAuthorizedException(msgPasskeyInvalid)
		}
		if err != nil {
			return fmt.Errorf("update passkey sign counter: %w", err)
		}
		return nil
	})
}
