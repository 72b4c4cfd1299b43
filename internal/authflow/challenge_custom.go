package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// customChallenge is CUSTOM_AUTH and its CUSTOM_CHALLENGE: the pool's
// DefineAuthChallenge function decides each step from the session history
// (the challenges presented so far and their results),
// CreateAuthChallenge makes each challenge and VerifyAuthChallengeResponse
// judges each answer (hooks.go, triggers_custom.go). With
// CHALLENGE_NAME=SRP_A in the AuthParameters, the history starts with
// SRP_A and the function may ask for PASSWORD_VERIFIER first: the
// password's SRP proof through the shared phases (lockout, existence
// shadow, pre-authentication), whose success is the next entry.
//
// Its state is the user, the history, and for an open CUSTOM_CHALLENGE
// the privateChallengeParameters and challengeMetadata Create returned:
// they travel sealed in the Session (AES-GCM; the client can neither read
// nor change them) and reach only VerifyAuthChallengeResponse. Each
// Session answers once; the next step's state is opened, or the tokens
// issued, in the transaction that uses it up.
type customChallenge struct{}

// maxCustomRounds bounds the history of one custom sign-in: a
// DefineAuthChallenge that asks for another challenge once this many were
// presented ends the sign-in as failAuthentication would, so that a
// function that never decides cannot keep a sign-in open without end.
const maxCustomRounds = 8

// maxSessionLength is the longest Session RespondToAuthChallenge takes.
const maxSessionLength = 2048

// Cognito's messages of a custom sign-in.
const (
	msgCustomNotConfigured = "Custom auth lambda trigger is not configured for the user pool."
	// challengeSRPA is the history entry a sign-in started with
	// CHALLENGE_NAME=SRP_A begins with.
	challengeSRPA = "SRP_A"
)

// customRound is one entry of the session history DefineAuthChallenge and
// CreateAuthChallenge receive. JSON names are part of the sealed format.
type customRound struct {
	Name     string `json:"n"`
	Result   bool   `json:"r,omitempty"`
	Metadata string `json:"m,omitempty"`
}

// customDecision is DefineAuthChallenge's answer.
type customDecision struct {
	challenge   string
	issueTokens bool
	fail        bool
}

// customCreated is CreateAuthChallenge's answer.
type customCreated struct {
	public, private map[string]string
	metadata        string
}

func (customChallenge) startParams(_ *Service, sp *call) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if sp.params["CHALLENGE_NAME"] == challengeSRPA {
		if sp.params["SRP_A"] == "" {
			return "", missing("SRP_A")
		}
		if _, err := srp.ParseA(sp.params["SRP_A"]); err != nil {
			return "", err
		}
	}
	return username, nil
}

// start runs DefineAuthChallenge with an empty history, or with SRP_A's
// when the client starts with SRP. A user that does not exist is
// UserNotFoundException, unless the client hides whether users exist:
// then the functions see userNotFound and no answer can sign in. The
// PreAuthentication trigger runs here for a sign-in without SRP (with
// SRP, at the proof).
func (customChallenge) start(ctx context.Context, s *Service, sp *call) (*Step, error) {
	u, hide := sp.user, sp.client.PreventUserExistenceErrors
	switch {
	case u == nil && !hide:
		return nil, cognito.UserNotFoundException(msgUserNotFound)
	case u != nil && !u.Enabled && !hide:
		return nil, cognito.NotAuthorizedException(msgUserDisabled)
	case u != nil && u.Status == idp.UserStatusTypeUnconfirmed && !hide:
		return nil, cognito.UserNotConfirmedException(msgUserNotConfirmed)
	}
	if sp.params["CHALLENGE_NAME"] == challengeSRPA {
		sp.rounds = []customRound{{Name: challengeSRPA, Result: true}}
	} else {
		// A user that does not exist gets here only where the client
		// hides whether users exist: the event says userNotFound.
		if err := s.hooks.runPreAuthentication(ctx, sp); err != nil {
			return nil, err
		}
	}
	return s.customNext(ctx, sp, customEnd{})
}

func (customChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeCustomChallenge }

func (customChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (customChallenge) answerParams(_ *Service, sp *call) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if sp.params["ANSWER"] == "" {
		return "", missing("ANSWER")
	}
	return username, nil
}

// answer hands ANSWER and the challenge's private parameters to
// VerifyAuthChallengeResponse, adds the result to the history and asks
// DefineAuthChallenge what follows. A function that fails ends the step
// with nothing written (the Session stays usable until it expires); every
// other outcome uses the Session up. A wrong answer is recorded as a
// failed sign-in.
func (customChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	st := sp.st
	if err := s.flowSeenUsed(ctx, st); err != nil {
		return nil, err
	}
	if !st.Fake {
		if err := s.mfaUser(ctx, sp); err != nil {
			return nil, err
		}
	}
	ok, err := s.hooks.runVerifyAuthChallenge(ctx, sp, st.CustomPrivate, sp.params["ANSWER"])
	if err != nil {
		return nil, err
	}
	sp.rounds = append(slices.Clone(st.Custom), customRound{Name: string(idp.ChallengeNameTypeCustomChallenge), Result: ok, Metadata: st.CustomMetadata})
	step, err := s.customNext(ctx, sp, customEnd{st: st})
	if !ok && sp.user != nil && err == nil {
		s.recordEvent(ctx, sp.pool, sp.user.Sub, "", idp.EventResponseTypeFail, eventFactors{})
	}
	return step, err
}

// customEnd is what a step of a custom sign-in uses up when it acts: the
// Session of the CUSTOM_CHALLENGE it answers, or the right password
// attempt of PASSWORD_VERIFIER (which uses its SECRET_BLOCK up and takes
// the lockout count back); neither at the start.
type customEnd struct {
	st      *flowState
	attempt *passwordAttempt
}

// within is the write that uses the step's state up, in the transaction
// that acts on it.
func (e customEnd) within(ctx context.Context, s *Service) func(tx storage.Tx) error {
	if e.attempt != nil {
		return settling(ctx, e.attempt)
	}
	if e.st != nil {
		return func(tx storage.Tx) error { return s.useFlow(ctx, tx, e.st) }
	}
	return nil
}

// now uses the step's state up in a transaction of its own and returns
// answer (or why the state could not be used).
func (e customEnd) now(ctx context.Context, s *Service, answer error) error {
	if e.attempt != nil {
		if err := s.settleNow(ctx, e.attempt); err != nil {
			return err
		}
		return answer
	}
	return s.useFlowThen(ctx, e.st, answer)
}

// customNext asks DefineAuthChallenge, with sp.rounds as the history, what
// follows, and goes there:
//
//   - failAuthentication, or another challenge once maxCustomRounds were
//     presented: "Incorrect username or password.";
//   - issueTokens: what follows a right first factor for the user's status
//     (MFA, then tokens; afterFirstFactor), never for a user that does
//     not exist;
//   - CUSTOM_CHALLENGE: CreateAuthChallenge makes it, and its state opens;
//   - PASSWORD_VERIFIER, right after SRP_A: the SRP exchange of
//     USER_SRP_AUTH opens, its state carrying the history.
//
// Any other answer is InvalidLambdaResponseException. A function that fails
// ends the step with its exception and nothing written.
func (s *Service) customNext(ctx context.Context, sp *call, end customEnd) (*Step, error) {
	d, err := s.hooks.runDefineAuthChallenge(ctx, sp)
	if err != nil {
		return nil, err
	}
	fake := sp.user == nil
	switch {
	case d.fail:
		return nil, end.now(ctx, s, incorrect())
	case d.issueTokens:
		if fake {
			return nil, end.now(ctx, s, incorrect())
		}
		return s.customIssue(ctx, sp, end)
	case d.challenge == string(idp.ChallengeNameTypeCustomChallenge):
		if len(sp.rounds) >= maxCustomRounds {
			return nil, end.now(ctx, s, incorrect())
		}
		created, err := s.hooks.runCreateAuthChallenge(ctx, sp, d.challenge)
		if err != nil {
			return nil, err
		}
		return s.openCustomChallenge(ctx, sp, created, end)
	case d.challenge == string(idp.ChallengeNameTypePasswordVerifier) && end.st == nil && end.attempt == nil &&
		len(sp.rounds) == 1 && sp.rounds[0].Name == challengeSRPA:
		return passwordVerifierChallenge{}.open(ctx, s, sp, sp.username, sp.params["SRP_A"])
	}
	return nil, invalidLambdaResponse()
}

func invalidLambdaResponse() error {
	return cognito.InvalidLambdaResponseException("Unrecognizable lambda output")
}

// customIssue ends a custom sign-in that DefineAuthChallenge says is
// done, as a right first factor ends: a confirmed user (or one with a
// temporary password, which custom authentication does not make change
// it) goes on to MFA and the tokens, with the step's state used up in the
// transaction that opens the next challenge or creates the token family;
// other statuses get their exception.
func (s *Service) customIssue(ctx context.Context, sp *call, end customEnd) (*Step, error) {
	u := sp.user
	switch {
	case !u.Enabled:
		return nil, end.now(ctx, s, cognito.NotAuthorizedException(msgUserDisabled))
	case u.Status == idp.UserStatusTypeConfirmed || u.Status == idp.UserStatusTypeForceChangePassword:
		if sp.device == nil {
			// The DEVICE_KEY of this call (InitiateAuth's AuthParameters,
			// or the answer's ChallengeResponses, where
			// amazon-cognito-identity-js puts it): a remembered device
			// then proves itself (DEVICE_SRP_AUTH) in place of MFA, as
			// after SRP. A key that is not the user's is
			// ResourceNotFoundException, and the Session stays usable.
			d, err := s.signInDevice(ctx, sp.pool, u.Sub, sp.params["DEVICE_KEY"])
			if err != nil {
				return nil, err
			}
			sp.device = d
		}
		if end.st != nil {
			sp.within = end.within(ctx, s)
		}
		return s.afterFirstFactor(ctx, sp, end.attempt)
	case u.Status == idp.UserStatusTypeUnconfirmed:
		return nil, end.now(ctx, s, cognito.UserNotConfirmedException(msgUserNotConfirmed))
	case u.Status == idp.UserStatusTypeResetRequired:
		return nil, end.now(ctx, s, cognito.PasswordResetRequiredException(msgResetRequired))
	}
	return nil, end.now(ctx, s, incorrect())
}

// openCustomChallenge opens CUSTOM_CHALLENGE: the history, the private
// parameters and metadata sealed in the Session, the public parameters
// (and USERNAME, the internal username) as the ChallengeParameters.
func (s *Service) openCustomChallenge(ctx context.Context, sp *call, c customCreated, end customEnd) (*Step, error) {
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin,
		Challenge: idp.ChallengeNameTypeCustomChallenge, Given: sp.given,
		Custom: sp.rounds, CustomPrivate: c.private, CustomMetadata: c.metadata,
	}
	if u := sp.user; u != nil {
		st.Sub, st.Username = u.Sub, u.Username
	} else {
		st.Fake, st.Username = true, s.fakeUserID(sp.pool, sp.username)
	}
	// A Session is at most maxSessionLength characters long (the API's
	// bound on the Session a client sends back): private parameters,
	// metadata and a history too large for one are refused before
	// anything is written.
	trial := *st
	trial.V, trial.ID, trial.IssuedAt, trial.ExpiresAt = flowStateVersion, newStateID(), s.now(), s.now()
	if sealed, err := s.sealState(&trial, purposeSession); err != nil {
		return nil, err
	} else if len(sealed) > maxSessionLength {
		return nil, cognito.InvalidLambdaResponseException("The CreateAuthChallenge response is too large to carry in a Session.")
	}
	session, err := s.openFlow(ctx, st, sessionValidity(sp.client.AuthSessionValidity), purposeSession, end.within(ctx, s))
	if err != nil {
		return nil, err
	}
	if err := end.attempt.refusal(); err != nil {
		return nil, err
	}
	params := make(map[string]string, len(c.public)+1)
	for k, v := range c.public {
		params[k] = v
	}
	if _, ok := params["USERNAME"]; !ok {
		params["USERNAME"] = st.Username
	}
	return &Step{Challenge: idp.ChallengeNameTypeCustomChallenge, Session: session, Params: params}, nil
}
