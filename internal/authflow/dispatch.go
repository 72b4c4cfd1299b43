package authflow

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is the dispatcher: the phases every sign-in step shares, run
// in one order for every challenge, and the tables of challenges that fill
// in the rest. doc.go lists the phases and the table.

// call is one call of a sign-in flow as the dispatcher runs it. The
// phases fill it in order; a challenge reads what the phases before it
// found and owns the parts of the flow state it opens.
type call struct {
	flowStart
	// params are the AuthParameters of a start, or the ChallengeResponses
	// of an answer (never nil).
	params map[string]string
	// name is the ChallengeName an answer gives (for SELECT_CHALLENGE with
	// ANSWER, the challenge chosen).
	name idp.ChallengeNameType
	// st is the state an answer opened, nil at a start.
	st *flowState
	// username is the USERNAME the call names, given is it as the pool
	// folds it.
	username, given string
	// user is the user, nil when there is none; found says the identify
	// (start) or authenticate (answer) phase has looked it up.
	user  *directory.SignInUser
	found bool
	// device is the device the call names with DEVICE_KEY, checked to be
	// the user's; deviceVerified says the call proved it
	// (DEVICE_PASSWORD_VERIFIER).
	device         *deviceRecord
	deviceVerified bool
	// within, when not nil, runs in the transaction that issues the
	// tokens (an MFA answer's use of its Session and of its TOTP step);
	// mfa says a second factor was answered, which the sign-in event
	// records.
	within func(tx storage.Tx) error
	mfa    bool
	// passwordless says the step opens a first factor that is a code sent
	// to the user (EMAIL_OTP, SMS_OTP of USER_AUTH).
	passwordless bool
	// rounds is the session history of a custom sign-in (CUSTOM_AUTH) as
	// the step has made it so far: the state's, and the step's own result.
	rounds []customRound
	// assessed is threat protection's assessment of this step's sign-in
	// (afterFirstFactor, risk.go); nil when none was made.
	assessed *riskAssessment
	// reads holds the items the answer read together before it acts
	// (readTogether); nil when it reads each from the store.
	reads *readSet
	// password is the password this step proved right (passwordFactor),
	// for threat protection's compromised-credentials check of sign-ins;
	// "" when the step proved none in the clear (SRP never shows it).
	password string
}

// risk is the assessment the sign-in's event records: this step's, or the
// one an MFA state carries from the step that opened it.
func (sp *call) risk() *riskAssessment {
	if sp.assessed != nil {
		return sp.assessed
	}
	if sp.st != nil && (sp.st.RiskLevel != "" || sp.st.Compromised) {
		return &riskAssessment{level: idp.RiskLevelType(sp.st.RiskLevel), action: idp.AccountTakeoverEventActionType(sp.st.RiskAction), compromised: sp.st.Compromised, eventID: sp.st.RiskEventID}
	}
	return nil
}

// starter is a challenge a flow may open with, from InitiateAuth.
type starter interface {
	// startParams checks the AuthParameters that come before the user is
	// looked up and returns the USERNAME.
	startParams(s *Service, sp *call) (string, error)
	// start runs the challenge's part of the first step: check the
	// password given with it, or open the challenge's state.
	start(ctx context.Context, s *Service, sp *call) (*Step, error)
}

// challenge is a challenge a RespondToAuthChallenge answers: a small type
// that finds the state its answer carries, checks its own responses and
// its answer, and hands what it proves to the shared phases.
type challenge interface {
	// answers is the challenge named in the flow states this challenge
	// answers.
	answers() idp.ChallengeNameType
	// sealed checks the responses needed to find the answer's state and
	// returns the sealed state and the purpose it is sealed for.
	sealed(session string, responses map[string]string) (string, string, error)
	// answerParams checks the responses that come before SECRET_HASH and
	// returns the USERNAME of the answer.
	answerParams(s *Service, sp *call) (string, error)
	// answer checks the answer and ends the step: through
	// Service.authenticate when the answer is a secret, or on its own.
	answer(ctx context.Context, s *Service, sp *call) (*Step, error)
}

// factor is a secret a challenge checks the user's answer against: a
// password or an SRP proof. The shared phases around it (existence
// shadow, status, use-once, lockout, pre-authentication) are
// Service.authenticate's.
type factor interface {
	// admit refuses the step before it reads or writes anything when the
	// factor's computation would be refused anyway (the fair queue holds
	// as many of the client's computations as it may: see
	// password.Hasher.Busy); nil lets it go on.
	admit(ctx context.Context, s *Service) error
	// precheck refuses an answer that is malformed before any attempt is
	// counted (the state is used up before the refusal is told); nil lets
	// it go on.
	precheck(s *Service, sp *call) error
	// verify checks the secret against sp.user. It returns false for a
	// wrong secret, which the dispatcher records and answers; an error
	// ends the step as it is.
	verify(ctx context.Context, s *Service, sp *call) (bool, error)
	// shadow checks the secret against nothing, at the cost of a real
	// check, for a user that does not exist (or cannot pass).
	shadow(ctx context.Context, s *Service, sp *call) error
	// checkFirst says the secret is checked before its attempt is
	// counted, and the lockout decided after, in the one transaction
	// that acts on the answer (an SRP proof, whose cost the fair queue
	// bounds); false counts the attempt before the check (a password,
	// whose argon2id hash only the count bounds).
	checkFirst() bool
}

// continuer is a challenge that may also be answered with the Session of
// the step before it, used up by the answer that opened it: the state it
// returns is the one that answer opened (DEVICE_SRP_AUTH after an MFA
// code, which amazon-cognito-identity-js answers with the code's
// Session).
type continuer interface {
	continued(ctx context.Context, s *Service, st *flowState) (*flowState, error)
}

// starters are the sign-in flows of InitiateAuth and AdminInitiateAuth, by
// the challenge each opens with. REFRESH_TOKEN_AUTH starts no challenge
// (refresh.go).
var starters = map[idp.AuthFlowType]starter{
	idp.AuthFlowTypeUserPasswordAuth:      passwordChallenge{},
	idp.AuthFlowTypeAdminUserPasswordAuth: passwordChallenge{},
	idp.AuthFlowTypeAdminNoSrpAuth:        passwordChallenge{},
	idp.AuthFlowTypeUserSrpAuth:           passwordVerifierChallenge{},
	idp.AuthFlowTypeUserAuth:              selectChallenge{},
	idp.AuthFlowTypeCustomAuth:            customChallenge{},
}

// challenges is the table of challenges RespondToAuthChallenge and
// AdminRespondToAuthChallenge answer, by ChallengeName.
var challenges = map[idp.ChallengeNameType]challenge{
	idp.ChallengeNameTypePasswordVerifier:       passwordVerifierChallenge{},
	idp.ChallengeNameTypeNewPasswordRequired:    newPasswordRequiredChallenge{},
	idp.ChallengeNameTypeSelectChallenge:        selectChallenge{},
	idp.ChallengeNameTypePassword:               passwordChallenge{},
	idp.ChallengeNameTypePasswordSrp:            passwordSRPChallenge{},
	idp.ChallengeNameTypeDeviceSrpAuth:          deviceSRPChallenge{},
	idp.ChallengeNameTypeDevicePasswordVerifier: devicePasswordVerifierChallenge{},
	idp.ChallengeNameTypeSmsMfa:                 smsMFAChallenge{},
	idp.ChallengeNameTypeEmailOtp:               emailOTPChallenge{},
	idp.ChallengeNameTypeSmsOtp:                 smsOTPChallenge{},
	idp.ChallengeNameTypeWebAuthn:               webAuthnChallenge{},
	idp.ChallengeNameTypeSoftwareTokenMfa:       softwareTokenMFAChallenge{},
	idp.ChallengeNameTypeSelectMfaType:          selectMFATypeChallenge{},
	idp.ChallengeNameTypeMfaSetup:               mfaSetupChallenge{},
	idp.ChallengeNameTypeCustomChallenge:        customChallenge{},
}

// initiate runs the first step of a flow:
//
//  1. the AuthFlow is one the operation takes, the parameters are in
//     bounds;
//  2. the pool and app client, and the client allows the flow;
//  3. the flow's starter checks its parameters up to USERNAME;
//  4. the user is looked up (nil when there is none);
//  5. SECRET_HASH, made with any of the user's names;
//  6. the starter's challenge runs: it checks the password given with
//     the flow through the shared phases (authenticate), or opens its
//     state.
func (s *Service) initiate(ctx context.Context, c cognito.Caller, poolID, clientID string, flow idp.AuthFlowType, params map[string]string, admin bool) (*Step, error) {
	allowed := publicFlows
	if admin {
		allowed = adminFlows
	}
	if !slices.Contains(allowed, flow) {
		return nil, cognito.InvalidParameterException("Initiate Auth method not supported.")
	}
	if err := checkParams("authParameters", params); err != nil {
		return nil, err
	}
	pool, client, err := s.pools.SignInClient(ctx, c, poolID, clientID)
	if err != nil {
		return nil, err
	}
	if !client.AllowsAuthFlow(flow) {
		return nil, flowNotEnabled(flow)
	}
	if params == nil {
		params = map[string]string{}
	}
	f := flowStart{pool: pool, client: client, flow: flow, admin: admin}
	if flow == idp.AuthFlowTypeRefreshTokenAuth || flow == idp.AuthFlowTypeRefreshToken {
		return s.initiateRefresh(ctx, f, params)
	}
	c0, ok := starters[flow]
	if !ok {
		return nil, cognito.UnsupportedOperationException(fmt.Sprintf("cognate does not implement the %s flow yet.", flow))
	}
	sp := &call{flowStart: f, params: params}
	if sp.username, err = c0.startParams(s, sp); err != nil {
		return nil, err
	}
	sp.given = pool.FoldUsername(sp.username)
	if sp.user, err = s.lookup(ctx, pool, sp.username); err != nil {
		return nil, err
	}
	sp.found = true
	if err := checkSecretHash(client, params["SECRET_HASH"], userNames(sp.username, sp.user)...); err != nil {
		return nil, err
	}
	return c0.start(ctx, s, sp)
}

// respond runs a step that answers a challenge:
//
//  1. the parameters are in bounds; the pool and app client;
//  2. the challenge, from the table by ChallengeName;
//  3. the sealed state the answer carries opens for this pool and client,
//     has not expired, and waits for this challenge (it is used up later,
//     in the transaction that acts on it);
//  4. the challenge checks its responses up to USERNAME; SECRET_HASH,
//     made with any of the flow user's names; USERNAME names the flow's
//     user;
//  5. the challenge checks its answer and ends the step.
func (s *Service) respond(ctx context.Context, c cognito.Caller, poolID, clientID string, name idp.ChallengeNameType, session string, responses map[string]string, admin bool) (*Step, error) {
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
	ch, ok := challenges[name]
	if !ok {
		return nil, cognito.InvalidParameterException(msgInvalidChallenge)
	}
	sp := &call{flowStart: flowStart{pool: pool, client: client, admin: admin}, params: responses, name: name}
	sealed, purpose, err := ch.sealed(session, responses)
	if err != nil {
		return nil, err
	}
	if sp.st, err = s.readFlow(sealed, purpose, pool.ID, client.ClientID); err != nil {
		return nil, err
	}
	if sp.st.Hosted {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	if sp.st.Challenge != ch.answers() {
		c, ok := ch.(continuer)
		if !ok {
			return nil, cognito.NotAuthorizedException(msgInvalidSession)
		}
		if sp.st, err = c.continued(ctx, s, sp.st); err != nil {
			return nil, err
		}
	}
	sp.flow, sp.admin, sp.given = sp.st.Flow, sp.st.Admin, sp.st.Given
	if sp.username, err = ch.answerParams(s, sp); err != nil {
		return nil, err
	}
	if err := checkSecretHash(client, responses["SECRET_HASH"], sp.username, sp.st.Username, sp.st.Sub); err != nil {
		return nil, err
	}
	if !sameUser(sp.st, pool, sp.username) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	return ch.answer(ctx, s, sp)
}

// sessionState is the sealed method of the challenges whose state travels
// in the Session.
func sessionState(session string) (string, string, error) {
	if session == "" {
		return "", "", cognito.NotAuthorizedException(msgInvalidSession)
	}
	return session, purposeSession, nil
}

// stateUser looks up the user of an answered state: nil for a flow run for
// a user that does not exist, or one deleted since.
func (s *Service) stateUser(ctx context.Context, sp *call) error {
	if sp.found {
		return nil
	}
	sp.found = true
	if sp.st.Fake {
		return nil
	}
	u, err := s.users.UserBySubIn(ctx, s.reader(sp), sp.pool, sp.st.Sub)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return nil
	}
	if err != nil {
		return err
	}
	sp.user = u
	return nil
}

// authenticate runs the shared phases of a step whose answer is a secret
// (a password or an SRP proof), in this order, whatever the challenge:
//
//  0. admission: the factor may refuse the step before anything is read
//     or written, when its computation would be refused anyway;
//  1. existence shadow: for a user that does not exist (or a state that
//     cannot pass), the state is used up in a transaction like the
//     lockout's, the factor is checked against nothing at a real check's
//     cost, and the answer is the wrong-password one (or
//     UserNotFoundException when the client does not hide whether users
//     exist);
//  2. status before the secret: a disabled or unconfirmed user is told so
//     (unless the client hides whether users exist), and the factor may
//     refuse a malformed answer; the state is used up first;
//  3. use-once and lockout, for a factor counted before its check (a
//     password): one transaction uses the state up and counts the
//     attempt, or refuses it while the user is locked out;
//  4. pre-authentication (hooks.go);
//  5. the factor's own check; a wrong secret is recorded as a failed
//     sign-in and answered "Incorrect username or password.";
//  6. what follows a right secret: next.
//
// A factor checked first (an SRP proof) skips phase 3: its proof is
// checked with nothing written, and use-once and lockout are decided
// after, serialized on the user's counter (settle): a wrong proof, or a
// refusal of the hook or the check, uses the state up and counts the
// attempt in one transaction (beginPasswordAttempt), and a right one does
// both in the transaction that acts on it (next), so a right proof signs
// in with one transaction. Either way a user locked out is answered with
// the lockout whatever the proof, so parallel guesses learn the result of
// at most as many attempts as the lockout allows.
func (s *Service) authenticate(ctx context.Context, sp *call, fac factor) (*Step, error) {
	if err := fac.admit(ctx, s); err != nil {
		return nil, err
	}
	if sp.st != nil && (sp.st.Fake || sp.st.NoVerifier) {
		return nil, s.shadow(ctx, sp, fac)
	}
	if sp.st != nil {
		if fac.checkFirst() && !sp.found {
			// The user and the state's use marker (flowSeenUsedIn below)
			// in one store call.
			if err := s.readTogether(ctx, sp); err != nil {
				return nil, err
			}
		}
		if err := s.stateUser(ctx, sp); err != nil {
			return nil, err
		}
	}
	u := sp.user
	if u == nil {
		return nil, s.shadow(ctx, sp, fac)
	}
	hide := sp.client.PreventUserExistenceErrors
	var early error
	switch {
	case !u.Enabled && !hide:
		early = cognito.NotAuthorizedException(msgUserDisabled)
	case u.Status == idp.UserStatusTypeUnconfirmed && !hide:
		early = cognito.UserNotConfirmedException(msgUserNotConfirmed)
	default:
		early = fac.precheck(s, sp)
	}
	if early != nil {
		return nil, s.useFlowThen(ctx, sp.st, early)
	}
	var attempt *passwordAttempt
	if fac.checkFirst() {
		// A state seen used is refused before the hook and the check run;
		// the transaction that uses it up decides the races this read
		// misses.
		if err := s.flowSeenUsedIn(ctx, s.reader(sp), sp.st); err != nil {
			return nil, err
		}
	} else {
		var err error
		if attempt, err = s.beginPasswordAttempt(ctx, sp.pool.ID, u.Sub, sp.st); err != nil {
			return nil, err
		}
	}
	// failed counts an attempt checked first that did not pass, and
	// answers with answer, or the lockout's refusal.
	failed := func(answer error) error {
		if attempt != nil {
			return answer
		}
		if ctx.Err() != nil {
			// The client left: nothing can be written, and it learns
			// nothing.
			return answer
		}
		if _, err := s.beginPasswordAttempt(ctx, sp.pool.ID, u.Sub, sp.st); err != nil {
			return err
		}
		return answer
	}
	if err := s.hooks.runPreAuthentication(ctx, sp); err != nil {
		// Refused by the hook: the attempt counts, like a wrong
		// secret's, and the state is used up.
		return nil, failed(err)
	}
	ok, err := fac.verify(ctx, s, sp)
	if err != nil {
		// The scheduler refused or the client left: the attempt counts,
		// as a wrong secret's would.
		return nil, failed(err)
	}
	if !ok {
		if err := failed(nil); err != nil {
			return nil, err
		}
		s.shareFailure(ctx, lockoutID(sp.pool.ID, u.Sub), sp.pool.ID)
		s.recordFailedProof(ctx, sp)
		return nil, incorrect()
	}
	if attempt == nil {
		attempt = s.checkedAttempt(sp.pool.ID, u.Sub, sp.st)
	}
	if !u.Enabled {
		if err := s.settleNow(ctx, attempt); err != nil {
			return nil, err
		}
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	}
	return s.next(ctx, sp, attempt)
}

// shadow is authenticate's first phase for a user that does not exist, or
// a state no secret can pass: where the client hides whether users exist
// (and for every state made to shadow one), a transaction like the
// lockout's that uses the state up; elsewhere the state is used up alone;
// then the factor at a real check's cost.
func (s *Service) shadow(ctx context.Context, sp *call, fac factor) error {
	st := sp.st
	switch {
	case sp.client.PreventUserExistenceErrors || (st != nil && (st.Fake || st.NoVerifier)):
		if err := s.shadowPasswordAttempt(ctx, sp.pool.ID, st); err != nil {
			return err
		}
	case st != nil:
		if err := s.useFlowNow(ctx, st); err != nil {
			return err
		}
	}
	if err := fac.shadow(ctx, s, sp); err != nil {
		return err
	}
	if st != nil && st.NoVerifier {
		return incorrect()
	}
	if sp.client.PreventUserExistenceErrors && sp.user == nil && sp.name != idp.ChallengeNameTypeDevicePasswordVerifier {
		// Cognito invokes PreAuthentication for a user that does not
		// exist only where the client hides whether users exist, with
		// userNotFound; its refusal is the answer, else the wrong
		// password's. A device's proof never invokes it.
		if err := s.hooks.runPreAuthentication(ctx, sp); err != nil {
			return err
		}
	}
	return unknownUser(sp.client)
}

// next chooses the step after a right secret from the user's status:
// tokens for a confirmed user, the NEW_PASSWORD_REQUIRED challenge for one
// that must replace a temporary password, and the exception Cognito gives
// for every other status; a right password given with the DEVICE_KEY of
// one of the user's devices leads to DEVICE_SRP_AUTH first. For a
// confirmed user, afterFirstFactor (mfa.go) then decides whether a second
// factor comes (not after a remembered device: call.rememberedDevice).
// A CUSTOM_AUTH sign-in that proved its password with SRP goes back to
// its DefineAuthChallenge (customNext). attempt is the
// secret's attempt: it is settled (passwordAttempt.settle) in the
// transaction that creates the tokens or opens the challenge, and on its
// own before any other answer.
func (s *Service) next(ctx context.Context, sp *call, attempt *passwordAttempt) (*Step, error) {
	u := sp.user
	switch u.Status {
	case idp.UserStatusTypeConfirmed:
		if sp.flow == idp.AuthFlowTypeCustomAuth && sp.st != nil && sp.st.Challenge == idp.ChallengeNameTypePasswordVerifier {
			// A custom sign-in that proved the password first: its
			// DefineAuthChallenge decides what follows.
			sp.rounds = append(slices.Clone(sp.st.Custom), customRound{Name: string(idp.ChallengeNameTypePasswordVerifier), Result: true})
			return s.customNext(ctx, sp, customEnd{attempt: attempt})
		}
		// A device the pool knows signs in too before the tokens: before
		// or after the second factor (afterFirstFactor).
		return s.afterFirstFactor(ctx, sp, attempt)
	case idp.UserStatusTypeForceChangePassword:
		if t := u.TemporaryPasswordExpiresAt; t == nil || s.now().Before(*t) {
			return newPasswordRequiredChallenge{}.open(ctx, s, sp, attempt)
		}
	}
	if err := s.settleNow(ctx, attempt); err != nil {
		return nil, err
	}
	switch u.Status {
	case idp.UserStatusTypeUnconfirmed:
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	case idp.UserStatusTypeResetRequired:
		return nil, cognito.PasswordResetRequiredException(msgResetRequired)
	case idp.UserStatusTypeForceChangePassword:
		return nil, cognito.NotAuthorizedException(msgTemporaryExpired)
	}
	return nil, incorrect()
}

// finish ends a sign-in that has passed every challenge: the
// post-authentication hook, then the token family, the tokens (through
// the pre-token-generation hook, in mint) and the sign-in event (signIn).
// attempt, when not nil, is settled in the transaction that creates the
// family.
func (s *Service) finish(ctx context.Context, sp *call, attempt *passwordAttempt) (*Step, error) {
	if err := s.hooks.runPostAuthentication(ctx, sp); err != nil {
		return nil, err
	}
	if sp.hosted {
		return s.openUISession(ctx, sp, attempt)
	}
	source := sourceTokenAuthentication
	switch sp.name {
	case idp.ChallengeNameTypeNewPasswordRequired:
		source = sourceTokenNewPassword
	case idp.ChallengeNameTypeDevicePasswordVerifier:
		// The tokens of a remembered device's own SRP sign-in.
		source = sourceTokenDevice
	}
	res, err := s.signIn(ctx, s.reader(sp), sp.pool, sp.client, sp.user, attempt, source, sp.verifiedDevice(), sp.within, eventFactors{first: firstFactorOf(sp.st), mfa: sp.mfa, risk: sp.risk()})
	if err != nil {
		return nil, err
	}
	return &Step{Tokens: res, Params: map[string]string{}}, nil
}

// useFlowThen uses st up in a transaction of its own and returns answer,
// or the reason st cannot be used (used already, or a failed
// transaction). A nil st has nothing to use up.
func (s *Service) useFlowThen(ctx context.Context, st *flowState, answer error) error {
	if st == nil {
		return answer
	}
	if err := s.useFlowNow(ctx, st); err != nil {
		return err
	}
	return answer
}
