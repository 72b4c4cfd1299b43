package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
)

// mfaSetupChallenge is MFA_SETUP: in a pool where MFA is ON, a user with
// no factor it can answer must set one up before it signs in. It walks
// through three calls, each with the Session the one before handed out
// (each Session answers once):
//
//	AssociateSoftwareToken (Session)   a new TOTP secret, kept sealed and pending on the user; SecretCode and a Session
//	VerifySoftwareToken (Session, code) the code checked against it (counted as MFA answers are); the secret becomes
//	                                    the user's software token, turned on; Status SUCCESS and a Session
//	RespondToAuthChallenge MFA_SETUP   tokens
//
// Its state is the user, the factors offered (MFAS_CAN_SETUP) and whether
// the software token has been verified; only a verified state answers
// RespondToAuthChallenge.
type mfaSetupChallenge struct{}

func (mfaSetupChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeMfaSetup }

func (mfaSetupChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (mfaSetupChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return mfaAnswerParams(sp, "")
}

func (mfaSetupChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	if !sp.st.TOTPVerified {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	if err := s.flowSeenUsed(ctx, sp.st); err != nil {
		return nil, err
	}
	if err := s.mfaUser(ctx, sp); err != nil {
		return nil, err
	}
	return s.finishMFA(ctx, sp, nil, nil)
}

// selfServiceScope is the scope an access token needs for the operations
// the signed-in user runs on itself.
const selfServiceScope = "aws.cognito.signin.user.admin"

// SoftwareToken is a call of AssociateSoftwareToken or VerifySoftwareToken:
// with the signed-in user's AccessToken, or with the Session of an
// MFA_SETUP challenge (one of the two, not both).
type SoftwareToken struct {
	AccessToken, Session string
	// ClientID is the app client of a hosted sign-in's Session (the
	// hosted UI's own calls); "" otherwise.
	ClientID string
	// UserCode and FriendlyDeviceName are VerifySoftwareToken's.
	UserCode, FriendlyDeviceName string
}

// SoftwareTokenResult is what AssociateSoftwareToken (SecretCode) and
// VerifySoftwareToken answer; Session continues an MFA_SETUP challenge.
type SoftwareTokenResult struct {
	SecretCode, Session string
}

// softwareTokenCaller is the user a software-token call is for: from its
// access token, or from the MFA_SETUP state its Session opens (sp).
func (s *Service) softwareTokenCaller(ctx context.Context, c cognito.Caller, in SoftwareToken, hosted bool) (*call, error) {
	switch {
	case in.AccessToken != "" && in.Session != "":
		return nil, cognito.InvalidParameterException("Only one of AccessToken or Session may be given.")
	case in.AccessToken == "" && in.Session == "":
		return nil, cognito.InvalidParameterException("Either AccessToken or Session is required.")
	case in.AccessToken != "":
		grant, err := s.AuthenticateAccessToken(ctx, in.AccessToken)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(grant.Scopes, selfServiceScope) {
			return nil, cognito.NotAuthorizedException("Access Token does not have required scopes")
		}
		pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(grant.PoolID)}, grant.PoolID)
		if err != nil {
			return nil, err
		}
		u, err := s.users.UserBySub(ctx, pool, grant.Sub)
		if errors.Is(err, cognito.UserNotFoundException("")) {
			return nil, cognito.NotAuthorizedException("Invalid Access Token")
		}
		if err != nil {
			return nil, err
		}
		if !u.Enabled {
			return nil, cognito.NotAuthorizedException(msgUserDisabled)
		}
		return &call{flowStart: flowStart{pool: pool}, user: u, found: true}, nil
	}
	plain, err := s.state.OpenString(purposeSession, in.Session)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(err)
	}
	var peek flowState
	if err := json.Unmarshal(plain, &peek); err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(err)
	}
	if hosted && peek.Client != in.ClientID {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	pool, client, err := s.pools.SignInClient(ctx, c, "", peek.Client)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(err)
	}
	st, err := s.readFlow(in.Session, purposeSession, pool.ID, client.ClientID)
	if err != nil {
		return nil, err
	}
	if st.Challenge != idp.ChallengeNameTypeMfaSetup || st.Hosted != hosted || st.TOTPVerified {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	sp := &call{flowStart: flowStart{pool: pool, client: client, flow: st.Flow, admin: st.Admin, hosted: hosted}, st: st, given: st.Given, params: map[string]string{}}
	if err := s.flowSeenUsed(ctx, st); err != nil {
		return nil, err
	}
	if err := s.mfaUser(ctx, sp); err != nil {
		return nil, err
	}
	if !slices.Contains(st.MFAOptions, directory.MFASoftwareToken) {
		return nil, cognito.InvalidParameterException("Software token MFA is not enabled for this user pool.")
	}
	return sp, nil
}

// AssociateSoftwareToken hands the user a new TOTP secret (SecretCode) for
// its authenticator app, kept sealed and pending on the user until
// VerifySoftwareToken. With a Session (MFA_SETUP) it uses the Session up
// and answers a new one for VerifySoftwareToken.
func (s *Service) AssociateSoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken) (*SoftwareTokenResult, error) {
	return s.associateSoftwareToken(ctx, c, in, false)
}

// AssociateHostedSoftwareToken is AssociateSoftwareToken for the MFA_SETUP
// challenge of a hosted sign-in (in.Session, in.ClientID): only the hosted
// UI's pages answer it.
func (s *Service) AssociateHostedSoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken) (*SoftwareTokenResult, error) {
	if in.AccessToken != "" || in.ClientID == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	return s.associateSoftwareToken(ctx, c, in, true)
}

func (s *Service) associateSoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken, hosted bool) (*SoftwareTokenResult, error) {
	sp, err := s.softwareTokenCaller(ctx, c, in, hosted)
	if err != nil {
		return nil, err
	}
	secret := mfa.NewSecret()
	sealed := s.totp.Seal(sp.pool.ID, sp.user.Sub, secret)
	if sp.st == nil {
		if err := s.users.SetPendingTOTP(ctx, sp.pool, sp.user.Sub, sealed, nil); err != nil {
			return nil, err
		}
		return &SoftwareTokenResult{SecretCode: secret}, nil
	}
	old := sp.st
	next := &flowState{
		Pool: old.Pool, Client: old.Client, Flow: old.Flow, Admin: old.Admin, Hosted: old.Hosted, DeviceKey: old.DeviceKey, DeviceToProve: old.DeviceToProve,
		Challenge: idp.ChallengeNameTypeMfaSetup, Sub: old.Sub, Username: old.Username, Given: old.Given, MFAOptions: old.MFAOptions,
	}
	session, err := s.openFlow(ctx, next, old.ExpiresAt.Sub(s.now()), purposeSession, nil)
	if err != nil {
		return nil, err
	}
	if err := s.users.SetPendingTOTP(ctx, sp.pool, sp.user.Sub, sealed, func(tx storage.Tx) error {
		return s.useFlow(ctx, tx, old)
	}); err != nil {
		return nil, err
	}
	return &SoftwareTokenResult{SecretCode: secret, Session: session}, nil
}

// VerifySoftwareToken checks UserCode against the user's pending TOTP
// secret and, when it is right, makes that secret the user's software
// token (named FriendlyDeviceName). With an access token the token is
// verified, and SetUserMFAPreference turns it on; with a Session
// (MFA_SETUP) it is also turned on, the Session is used up, and the answer
// carries the Session that answers MFA_SETUP. A wrong code is
// EnableSoftwareTokenMFAException and counts as a wrong MFA code toward
// the lockout; a Session takes at most maxMFAAnswers codes.
func (s *Service) VerifySoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken) (*SoftwareTokenResult, error) {
	return s.verifySoftwareToken(ctx, c, in, false)
}

// VerifyHostedSoftwareToken is VerifySoftwareToken for the MFA_SETUP
// challenge of a hosted sign-in, which it then answers: right, the
// sign-in ends in a Step with UISession.
func (s *Service) VerifyHostedSoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken) (*Step, error) {
	if in.AccessToken != "" || in.ClientID == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	r, err := s.verifySoftwareToken(ctx, c, in, true)
	if err != nil {
		return nil, err
	}
	return s.AnswerHostedMFA(ctx, c, HostedMFA{ClientID: in.ClientID, Session: r.Session, Challenge: idp.ChallengeNameTypeMfaSetup})
}

func (s *Service) verifySoftwareToken(ctx context.Context, c cognito.Caller, in SoftwareToken, hosted bool) (*SoftwareTokenResult, error) {
	code := strings.TrimSpace(in.UserCode)
	sp, err := s.softwareTokenCaller(ctx, c, in, hosted)
	if err != nil {
		return nil, err
	}
	if sp.st != nil {
		if err := s.countMFAAnswer(ctx, sp.st); err != nil {
			return nil, err
		}
	}
	pool, sub := sp.pool, sp.user.Sub
	check := func(sealed string) (int64, bool, error) {
		secret, err := s.totp.Open(pool.ID, sub, sealed)
		if err != nil {
			return 0, false, internal(err)
		}
		step, ok := mfa.Check(secret, code, s.now(), 0)
		return step, ok, nil
	}
	var within func(tx storage.Tx) error
	if sp.st != nil {
		st := sp.st
		within = func(tx storage.Tx) error { return s.useFlow(ctx, tx, st) }
	}
	if _, err := s.users.VerifyPendingTOTP(ctx, pool, sub, in.FriendlyDeviceName, sp.st != nil, check, within); err != nil {
		if errors.Is(err, cognito.EnableSoftwareTokenMFAException("")) {
			if lerr := s.countWrongCode(ctx, pool.ID, sub); lerr != nil {
				return nil, lerr
			}
		}
		return nil, err
	}
	if sp.st == nil {
		return &SoftwareTokenResult{}, nil
	}
	old := sp.st
	next := &flowState{
		Pool: old.Pool, Client: old.Client, Flow: old.Flow, Admin: old.Admin, Hosted: old.Hosted, DeviceKey: old.DeviceKey, DeviceToProve: old.DeviceToProve,
		Challenge: idp.ChallengeNameTypeMfaSetup, Sub: old.Sub, Username: old.Username, Given: old.Given,
		MFAOptions: old.MFAOptions, TOTPVerified: true,
	}
	session, err := s.openFlow(ctx, next, sessionValidity(sp.client.AuthSessionValidity), purposeSession, nil)
	if err != nil {
		return nil, err
	}
	return &SoftwareTokenResult{Session: session}, nil
}
