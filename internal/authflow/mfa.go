package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the MFA decision point, the step after a right first
// factor (Service.afterFirstFactor, which next and NEW_PASSWORD_REQUIRED
// call), and what the MFA challenges share: the codes they send, the
// bound on wrong answers per Session and the use of the Session in the
// transaction that issues the tokens.

// mfaCodeValidity is how long an SMS or email MFA code is valid: a state
// that waits for one expires then, or earlier with its Session.
const mfaCodeValidity = 3 * time.Minute

// maxMFAAnswers is how many codes one Session of an MFA challenge may
// answer with. Each answer is counted before its code is checked, in a
// transaction serialized on the Session's counter, so however many answers
// arrive at once at most this many codes are ever compared; the answers
// after them are refused as a used Session.
const maxMFAAnswers = 3

// Messages of the MFA challenges' answers.
const (
	msgCodeMismatch = "Invalid code received for user"
	msgMFAMethod    = "Invalid MFA type answered."
)

// mfaStep is the decision of afterFirstFactor: the challenge that comes
// next, or "" for none (tokens), and the factors it offers (SELECT_MFA_TYPE's
// MFAS_CAN_CHOOSE, MFA_SETUP's MFAS_CAN_SETUP).
type mfaStep struct {
	challenge idp.ChallengeNameType
	options   []string
}

// usableFactors are the second factors u can answer in pool p: turned on
// for the user and in the pool, and deliverable (a phone number for SMS,
// an email address for email, a verified software token).
func usableFactors(p userpool.MFA, u *directory.SignInUser) []string {
	var out []string
	for _, f := range u.MFA.Enabled {
		if factorUsable(p, u, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func factorUsable(p userpool.MFA, u *directory.SignInUser, f string) bool {
	switch f {
	case directory.MFASMS:
		return p.SMS && u.Attributes["phone_number"] != ""
	case directory.MFASoftwareToken:
		return p.SoftwareToken && u.MFA.TOTPSecret != ""
	case directory.MFAEmail:
		return p.Email && u.Attributes["email"] != ""
	}
	return false
}

// decideMFA is where a sign-in goes after a right first factor, as Cognito
// decides it:
//
//   - MFA OFF: tokens.
//   - OPTIONAL: tokens for a user with no factor turned on; otherwise the
//     user's preferred factor, its only one, or SELECT_MFA_TYPE among them.
//   - ON: as OPTIONAL, and a user with no factor turned on answers the one
//     it can (a verified software token, then SMS to its phone number,
//     then email to its address, as the pool allows), or else MFA_SETUP to
//     associate a software token.
//
// A remembered device that skips MFA is decided here too, before this
// function, by the caller.
func decideMFA(p userpool.MFA, u *directory.SignInUser) mfaStep {
	if p.Mode == idp.UserPoolMfaTypeOff || (p.Mode != idp.UserPoolMfaTypeOn && p.Mode != idp.UserPoolMfaTypeOptional) {
		return mfaStep{}
	}
	usable := usableFactors(p, u)
	if len(usable) == 0 && p.Mode == idp.UserPoolMfaTypeOn {
		for _, f := range []string{directory.MFASoftwareToken, directory.MFASMS, directory.MFAEmail} {
			if factorUsable(p, u, f) {
				usable = []string{f}
				break
			}
		}
		if len(usable) == 0 {
			var can []string
			if p.SoftwareToken {
				can = append(can, directory.MFASoftwareToken)
			}
			return mfaStep{challenge: idp.ChallengeNameTypeMfaSetup, options: can}
		}
	}
	switch {
	case len(usable) == 0:
		return mfaStep{}
	case slices.Contains(usable, u.MFA.Preferred):
		return mfaStep{challenge: idp.ChallengeNameType(u.MFA.Preferred)}
	case len(usable) == 1:
		return mfaStep{challenge: idp.ChallengeNameType(usable[0])}
	}
	return mfaStep{challenge: idp.ChallengeNameTypeSelectMfaType, options: usable}
}

// afterFirstFactor is the step after a right first factor for a confirmed
// user (a right password or SRP proof, or a new password that replaced a
// temporary one): the MFA challenge decideMFA picks, opened with attempt
// settled in its transaction, or tokens.
//
// A sign-in that names a device the pool knows (sp.device, not yet
// proved) goes through the device's SRP as Cognito orders it: at once
// when the device skips MFA (remembered, in a pool whose
// DeviceConfiguration.ChallengeRequiredOnNewDevice says so) or no second
// factor is due, and otherwise after the second factor, whose right code
// opens DEVICE_SRP_AUTH (finishMFA). amazon-cognito-identity-js
// (CognitoUser.sendMFACode) expects that order.
func (s *Service) afterFirstFactor(ctx context.Context, sp *call, attempt *passwordAttempt) (*Step, error) {
	if sp.deviceVerified && sp.st != nil && sp.st.MFADone {
		// The device's proof of a sign-in that answered its second
		// factor before it (a remembered device too, when the risk asked
		// for one): its event records the second factor.
		sp.mfa = true
		return s.finish(ctx, sp, attempt)
	}
	if sp.rememberedDevice() {
		// A remembered device signs in without MFA where the pool says so
		// (DeviceConfiguration.ChallengeRequiredOnNewDevice).
		return s.finish(ctx, sp, attempt)
	}
	risk, step, err := s.firstFactorRisk(ctx, sp, attempt)
	if step != nil || err != nil {
		return step, err
	}
	sp.assessed = risk
	if risk.blocks() {
		return s.blockForRisk(ctx, sp, attempt, risk)
	}
	toProve := sp.device != nil && !sp.deviceVerified
	if toProve && sp.device.Remembered && sp.pool.DeviceSkipsMFA && !risk.forcesMFA() {
		return deviceSRPChallenge{}.open(ctx, s, sp, attempt)
	}
	d := decideMFA(sp.pool.MFA, sp.user)
	if d.challenge == "" && risk.forcesMFA() {
		// The risk asks for a second factor the pool's configuration
		// would not: the one the user can answer (its own, else a code to
		// its phone or email, as the pool allows them), decided as for a
		// pool that requires MFA; a user with none has nothing
		// configured.
		forced := sp.pool.MFA
		forced.Mode = idp.UserPoolMfaTypeOn
		if d = decideMFA(forced, sp.user); d.challenge == idp.ChallengeNameTypeMfaSetup {
			d = mfaStep{}
		}
		if d.challenge == "" && risk.action == idp.AccountTakeoverEventActionTypeMfaRequired {
			// MFA_REQUIRED without a factor to answer: Cognito blocks.
			risk.action = idp.AccountTakeoverEventActionTypeBlock
			return s.blockForRisk(ctx, sp, attempt, risk)
		}
	}
	if d.challenge == "" {
		if toProve {
			return deviceSRPChallenge{}.open(ctx, s, sp, attempt)
		}
		return s.finish(ctx, sp, attempt)
	}
	within := settling(ctx, attempt)
	email := directory.RiskEmailNoAction
	if risk.forcesMFA() {
		email = directory.RiskEmailMFA
	}
	within, note := s.notifyingChallenge(ctx, sp, within, email)
	if w := sp.within; w != nil {
		// The step's own writes (a custom challenge's use of its Session)
		// go with the opening of the MFA challenge.
		settle := within
		within = func(tx storage.Tx) error {
			if settle != nil {
				if err := settle(tx); err != nil {
					return err
				}
			}
			return w(tx)
		}
	}
	step, err = s.openMFAChallenge(ctx, sp, d, within, attempt)
	if err != nil {
		return nil, err
	}
	s.afterCommit(ctx, note)
	return step, nil
}

// firstFactorRisk is threat protection's compromised-credentials check of
// a password sign-in, then its account-takeover decision (risk.go):
// nothing for a pool whose threat protection is off. A password found
// compromised that the pool refuses ends the sign-in (the step or error
// returned). The proof of a device whose DEVICE_SRP_AUTH followed the
// first factor is no new first factor: the assessment made then, which
// its state carries (and which notified then, if it did), stands.
func (s *Service) firstFactorRisk(ctx context.Context, sp *call, attempt *passwordAttempt) (*riskAssessment, *Step, error) {
	if sp.deviceVerified {
		return sp.risk(), nil, nil
	}
	compromised, err := s.checkCompromisedSignIn(ctx, sp)
	if err != nil {
		return nil, nil, err
	}
	if compromised != nil && compromised.resets {
		step, err := s.blockForRisk(ctx, sp, attempt, compromised)
		return nil, step, err
	}
	risk, err := s.assessRisk(ctx, sp)
	if err != nil {
		return nil, nil, err
	}
	if compromised != nil {
		if risk == nil {
			risk = compromised
		}
		risk.compromised = true
	}
	return risk, nil, nil
}

// settling is the write that settles attempt in the transaction that acts
// on it (nil for none).
func settling(ctx context.Context, attempt *passwordAttempt) func(tx storage.Tx) error {
	if attempt == nil {
		return nil
	}
	return func(tx storage.Tx) error {
		_, err := attempt.settle(ctx, tx)
		return err
	}
}

// openMFAChallenge opens the challenge d names, with within (the step's
// own writes) in the transaction that opens it; attempt, when not nil, is
// the attempt within settles, whose refusal (a lockout found by settling)
// is the answer.
func (s *Service) openMFAChallenge(ctx context.Context, sp *call, d mfaStep, within func(tx storage.Tx) error, attempt *passwordAttempt) (*Step, error) {
	if d.challenge == idp.ChallengeNameTypeSmsMfa || d.challenge == idp.ChallengeNameTypeEmailOtp {
		return s.openCodeChallenge(ctx, sp, d.challenge, within, attempt)
	}
	return s.openMFAState(ctx, sp, d.challenge, d.options, within, attempt, nil)
}

// openMFAState opens the state of an MFA challenge for sp's user and
// answers with it: the Session and the challenge's parameters, with
// USER_ID_FOR_SRP and, for SELECT_MFA_TYPE and MFA_SETUP, the factors
// offered as a JSON list. within, when not nil, runs in the transaction
// that opens it; attempt's refusal is checked after. fill completes the
// state.
func (s *Service) openMFAState(ctx context.Context, sp *call, challenge idp.ChallengeNameType, options []string, within func(tx storage.Tx) error, attempt *passwordAttempt, fill func(st *flowState)) (*Step, error) {
	u := sp.user
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin, Hosted: sp.hosted,
		Challenge: challenge, Sub: u.Sub, Username: u.Username, Given: sp.given, MFAOptions: options,
		FirstFactor: sp.passwordless,
	}
	switch {
	case sp.verifiedDevice() != nil:
		// The device the sign-in proved goes on to the MFA answers, which
		// sign in on it.
		st.DeviceKey = sp.device.Key
	case sp.device != nil:
		// A device named but not proved proves itself after the code.
		st.DeviceKey, st.DeviceToProve = sp.device.Key, true
	case sp.st != nil:
		st.DeviceKey, st.DeviceToProve = sp.st.DeviceKey, sp.st.DeviceToProve
	}
	// The assessment of this step's first factor, or the one the state
	// answered carries (SELECT_MFA_TYPE's to the factor chosen).
	carryRisk(st, sp.risk())
	if fill != nil {
		fill(st)
	}
	validity := sessionValidity(sp.client.AuthSessionValidity)
	if st.CodeHash != "" {
		validity = min(validity, mfaCodeValidity)
	}
	session, err := s.openFlow(ctx, st, validity, purposeSession, within)
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	params := map[string]string{"USER_ID_FOR_SRP": u.Username}
	switch challenge {
	case idp.ChallengeNameTypeSelectMfaType:
		params["MFAS_CAN_CHOOSE"] = jsonList(options)
	case idp.ChallengeNameTypeMfaSetup:
		params["MFAS_CAN_SETUP"] = jsonList(options)
	}
	return &Step{Challenge: challenge, Session: session, Params: params}, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// openCodeChallenge opens SMS_MFA, EMAIL_OTP or SMS_OTP: a new six-digit code,
// whose keyed MAC the sealed state keeps (so the state, valid for at most
// mfaCodeValidity, is all that holds it), goes to the user's phone number
// or email address once the state is opened, and the answer says where
// (CODE_DELIVERY_DELIVERY_MEDIUM, CODE_DELIVERY_DESTINATION masked).
func (s *Service) openCodeChallenge(ctx context.Context, sp *call, challenge idp.ChallengeNameType, within func(tx storage.Tx) error, attempt *passwordAttempt) (*Step, error) {
	attr, channel := "phone_number", messaging.ChannelSMS
	if challenge == idp.ChallengeNameTypeEmailOtp {
		attr, channel = "email", messaging.ChannelEmail
	}
	to := sp.user.Attributes[attr]
	code := mfa.NewCode()
	// The pool's CustomMessage function (CustomMessage_Authentication)
	// answers before the challenge's state is written: its refusal is the
	// answer, and opens no challenge.
	msg, err := s.users.MFACodeMessage(ctx, sp.pool.Config(), sp.client.ClientID, sp.user, sp.pool.MFADraft(channel, to, sp.user.Username, code), clientMetadata(ctx))
	if err != nil {
		return nil, err
	}
	step, err := s.openMFAState(ctx, sp, challenge, nil, within, attempt, func(st *flowState) {
		st.CodeID = newStateID()
		st.CodeHash = s.codes.Hash(code, st.Pool, st.Sub, st.CodeID)
		st.CodeMedium = channel
	})
	if err != nil {
		return nil, err
	}
	if err := s.users.SendMFACode(ctx, msg); err != nil {
		return nil, err
	}
	d := directory.CodeDelivery(attr, to)
	step.Params["CODE_DELIVERY_DELIVERY_MEDIUM"] = string(cognito.Deref(d.DeliveryMedium))
	step.Params["CODE_DELIVERY_DESTINATION"] = cognito.Deref(d.Destination)
	return step, nil
}

// mfaTriesRecord counts the answers a Session of an MFA challenge has
// been answered with (kind auth_session, ID "<pool>/mfa-tries/<state
// ID>"); it expires with the state's marker.
type mfaTriesRecord struct {
	Tries     int       `json:"tries"`
	ExpiresAt time.Time `json:"expires_at"`
}

func mfaTriesID(pool, stateID string) string { return pool + "/mfa-tries/" + stateID }

// countMFAAnswer counts one wrong answer to the MFA state st, in one
// transaction serialized on the state's counter: a state used already, or
// answered maxMFAAnswers times, is refused, and so is any answer while the
// user is locked out (wrong codes count toward the lockout, wrongMFACode).
// A right code is not counted: the transaction that acts on it uses the
// state up, after mfaAnswerRefusal finds it still answerable there
// (answerCode), so a Session still takes at most maxMFAAnswers answers.
func (s *Service) countMFAAnswer(ctx context.Context, st *flowState) error {
	id := mfaTriesID(st.Pool, st.ID)
	return s.runTx(ctx, func(tx storage.Tx) error {
		// The counter first: where the store locks what a transaction
		// reads, this waits for a right answer's transaction holding it,
		// and the marker read next sees that answer's use of the state.
		it, rec, err := s.mfaAnswerRefusal(ctx, tx, st)
		if err != nil {
			return err
		}
		if _, err := tx.GetMarker(ctx, usedMarkerID(st.Pool, st.ID)); err == nil {
			return cognito.NotAuthorizedException(msgSessionUsed)
		} else if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("read used flow state marker: %w", err)
		}
		rec.Tries++
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		now := s.now()
		next := &storage.Item{
			Kind: kindAuthSession, ID: id, Pool: st.Pool, Data: data,
			Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
		}
		if it == nil {
			err = tx.CreateItem(ctx, next)
			if errors.Is(err, storage.ErrAlreadyExists) {
				return errRetry
			}
			return err
		}
		next.CreatedAt, next.Version = it.CreatedAt, it.Version
		return tx.UpdateItem(ctx, next)
	})
}

// mfaAnswerRefusal reads, through r, whether the MFA state st may take one
// more answer: not while the user is locked out (by wrong passwords or
// wrong codes), and not once maxMFAAnswers have been counted against it.
// It returns the state's answer counter (nil when there is none) and its
// record, with ExpiresAt set.
func (s *Service) mfaAnswerRefusal(ctx context.Context, r storage.ItemReader, st *flowState) (*storage.Item, mfaTriesRecord, error) {
	rec := mfaTriesRecord{ExpiresAt: st.ExpiresAt.Add(usedMarkerGrace)}
	it, err := r.GetItem(ctx, kindAuthSession, mfaTriesID(st.Pool, st.ID))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		it = nil
	case err != nil:
		return nil, rec, fmt.Errorf("get MFA answer count: %w", err)
	default:
		if err := json.Unmarshal(it.Data, &rec); err != nil {
			return nil, rec, fmt.Errorf("decode MFA answer count: %w", err)
		}
		if rec.Tries >= maxMFAAnswers {
			return nil, rec, cognito.NotAuthorizedException(msgSessionUsed)
		}
	}
	now := s.now()
	for _, lid := range []string{lockoutID(st.Pool, st.Sub), mfaLockoutID(st.Pool, st.Sub)} {
		lit, err := r.GetItem(ctx, kindAuthSession, lid)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, rec, fmt.Errorf("get lockout: %w", err)
		}
		var lock lockoutRecord
		if err := json.Unmarshal(lit.Data, &lock); err != nil {
			return nil, rec, fmt.Errorf("decode lockout: %w", err)
		}
		if now.Before(lock.LockedUntil) {
			return nil, rec, cognito.NotAuthorizedException(msgPasswordAttempts)
		}
	}
	if s.region != "" {
		// The other regions' lockouts hold here too (lockout_share.go).
		for _, lid := range []string{lockoutID(st.Pool, st.Sub), mfaLockoutID(st.Pool, st.Sub)} {
			_, sh, err := readShare(ctx, r, lid)
			if err != nil {
				return nil, rec, err
			}
			if _, until := sh.others(s.region); now.Before(until) {
				return nil, rec, cognito.NotAuthorizedException(msgPasswordAttempts)
			}
		}
	}
	return it, rec, nil
}

// mfaUser looks up the user of an MFA state and refuses one that is gone
// or disabled.
func (s *Service) mfaUser(ctx context.Context, sp *call) error {
	if err := s.stateUser(ctx, sp); err != nil {
		return err
	}
	if sp.user == nil {
		return cognito.NotAuthorizedException(msgInvalidSession)
	}
	if !sp.user.Enabled {
		return cognito.NotAuthorizedException(msgUserDisabled)
	}
	return nil
}

// wrongMFACode answers a wrong code: it counts toward the user's lockout
// of MFA codes (mfaLockoutID, with the password's rules: after the fifth
// wrong code in a row the user waits, longer with each one), which a right
// password does not take back, and is recorded as a failed sign-in.
func (s *Service) wrongMFACode(ctx context.Context, sp *call) error {
	if err := s.countWrongCode(ctx, sp.pool.ID, sp.user.Sub); err != nil {
		return err
	}
	if first := firstFactorOf(sp.st); first != "" {
		// A code answered as the first factor: no password came before.
		s.recordEvent(ctx, sp.pool, sp.user.Sub, "", idp.EventResponseTypeFail, eventFactors{first: first})
	} else {
		s.recordMFAEvent(ctx, sp.pool, sp.user, idp.EventResponseTypeFail, sp.risk())
	}
	return cognito.CodeMismatchException(msgCodeMismatch)
}

// countWrongCode counts a wrong MFA code of the user sub.
func (s *Service) countWrongCode(ctx context.Context, pool, sub string) error {
	if _, err := s.countFailureOn(ctx, mfaLockoutID(pool, sub), pool, sub, nil); err != nil {
		return err
	}
	s.shareFailure(ctx, mfaLockoutID(pool, sub), pool)
	return nil
}

// finishMFA ends a sign-in whose MFA answer was right: the tokens, with
// st used up, the count of wrong codes taken back (and within, when not
// nil) in the transaction that issues them; or, for a device still to
// prove, DEVICE_SRP_AUTH (proveDeviceAfterMFA). guard, when not nil, runs
// first in that transaction, and its error is the answer, with nothing
// written.
func (s *Service) finishMFA(ctx context.Context, sp *call, guard, within func(tx storage.Tx) error) (*Step, error) {
	st := sp.st
	if st.DeviceKey != "" {
		d, _, err := s.userDevice(ctx, st.Pool, st.Sub, st.DeviceKey)
		if err != nil {
			return nil, err
		}
		if d == nil {
			// Forgotten since it signed in: the sign-in ends.
			return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
		}
		if st.DeviceToProve {
			return s.proveDeviceAfterMFA(ctx, sp, d, guard, within)
		}
		sp.device, sp.deviceVerified = d, true
	}
	// A code answered as a first factor (passwordless) is not a second
	// factor; a passkey that verified its user where the pool counts it
	// as MFA is.
	sp.mfa = !st.FirstFactor || st.WebAuthnMFA
	sp.within = func(tx storage.Tx) error {
		if guard != nil {
			if err := guard(tx); err != nil {
				return err
			}
		}
		if err := s.useFlow(ctx, tx, st); err != nil {
			return err
		}
		if err := deleteIfThere(ctx, tx, mfaLockoutID(st.Pool, st.Sub)); err != nil {
			return err
		}
		if err := s.resetShare(ctx, tx, mfaLockoutID(st.Pool, st.Sub), st.Pool); err != nil {
			return err
		}
		if within != nil {
			return within(tx)
		}
		return nil
	}
	return s.finish(ctx, sp, nil)
}

// mfaAnswerParams checks the responses of an MFA challenge that come
// before SECRET_HASH: USERNAME and the code (codeParam).
func mfaAnswerParams(sp *call, codeParam string) (string, error) {
	username := sp.params["USERNAME"]
	if username == "" {
		return "", missing("USERNAME")
	}
	if codeParam != "" && sp.params[codeParam] == "" {
		return "", missing(codeParam)
	}
	return username, nil
}

// answerCode runs the shared part of an answer to a code challenge
// (SMS_MFA, EMAIL_OTP, SMS_OTP, SOFTWARE_TOKEN_MFA): the Session not seen
// used, the user still there and enabled, then check compares the code
// (a MAC or a TOTP check, no store call). A wrong code is counted against
// the Session's bound (countMFAAnswer), counts toward the lockout and is
// answered CodeMismatchException; a right one ends the sign-in in one
// transaction that finds the Session still answerable and the user not
// locked out (takeRightAnswer), uses the Session up and runs within.
// Of answers racing on one Session, the wrong ones are counted one at a
// time and the right one's transaction sees their count, so no Session
// takes more than maxMFAAnswers answers, and none after its use.
func (s *Service) answerCode(ctx context.Context, sp *call, check func() (ok bool, within func(tx storage.Tx) error, err error), reads ...storage.ItemRef) (*Step, error) {
	// The user, the Session's use marker, its answer count, the lockouts
	// and what the check reads (reads) in one store call.
	st := sp.st
	reads = append(reads,
		storage.ItemRef{Kind: kindAuthSession, ID: mfaTriesID(st.Pool, st.ID)},
		storage.ItemRef{Kind: kindAuthSession, ID: lockoutID(st.Pool, st.Sub)},
		storage.ItemRef{Kind: kindAuthSession, ID: mfaLockoutID(st.Pool, st.Sub)})
	if err := s.readTogether(ctx, sp, reads...); err != nil {
		return nil, err
	}
	if err := s.flowSeenUsedIn(ctx, s.reader(sp), st); err != nil {
		return nil, err
	}
	if err := s.mfaUser(ctx, sp); err != nil {
		return nil, err
	}
	ok, within, err := check()
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.countMFAAnswer(ctx, sp.st); err != nil {
			return nil, err
		}
		return nil, s.wrongMFACode(ctx, sp)
	}
	// A right code writes nothing before the transaction that acts on it.
	// The state's answers and the lockouts are read here, so that a
	// Session that may answer no more, or a user locked out, is refused
	// before the hooks run; the transaction reads them again and decides,
	// serialized with the wrong answers counted meanwhile.
	if _, _, err := s.mfaAnswerRefusal(ctx, s.reader(sp), sp.st); err != nil {
		return nil, err
	}
	return s.finishMFA(ctx, sp, func(tx storage.Tx) error {
		return s.takeRightAnswer(ctx, tx, sp.st)
	}, within)
}

// takeRightAnswer is the first thing the transaction that signs a right
// code in does: it refuses a Session answered maxMFAAnswers times and a
// user locked out, as they stand once the Session's wrong answers counted
// so far have committed. A store that runs one writer at a time
// serializes this transaction with theirs; on one that does not, the read
// of the Session's counter locks it, and when there is no counter yet this
// creates it, so that a wrong answer racing this one waits for it to
// commit and then finds the Session used (or this one finds the count and
// runs again): either way no Session takes more than maxMFAAnswers
// answers.
func (s *Service) takeRightAnswer(ctx context.Context, tx storage.Tx, st *flowState) error {
	it, rec, err := s.mfaAnswerRefusal(ctx, tx, st)
	if err != nil || it != nil {
		return err
	}
	rec.Tries = 1
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	now := s.now()
	err = tx.CreateItem(ctx, &storage.Item{
		Kind: kindAuthSession, ID: mfaTriesID(st.Pool, st.ID), Pool: st.Pool, Data: data,
		Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return errRetry
	}
	return err
}

// proveDeviceAfterMFA answers a right code of a sign-in on device d, named
// but not proved, with DEVICE_SRP_AUTH: a state marked MFADone, opened in
// the transaction that uses the MFA state up (its marker names the new
// state), takes back the count of wrong codes and runs within (the
// code's own writes, such as the TOTP step used), after guard.
func (s *Service) proveDeviceAfterMFA(ctx context.Context, sp *call, d *deviceRecord, guard, within func(tx storage.Tx) error) (*Step, error) {
	st := sp.st
	next := &flowState{
		Pool: st.Pool, Client: st.Client, Flow: st.Flow, Admin: st.Admin,
		Challenge: idp.ChallengeNameTypeDeviceSrpAuth, Sub: st.Sub, Username: st.Username, Given: st.Given,
		DeviceKey: d.Key, MFADone: true,
	}
	carryRisk(next, sp.risk())
	session, err := s.openFlow(ctx, next, sessionValidity(sp.client.AuthSessionValidity), purposeSession, func(tx storage.Tx) error {
		if guard != nil {
			if err := guard(tx); err != nil {
				return err
			}
		}
		if err := s.useFlowFor(ctx, tx, st, next); err != nil {
			return err
		}
		if err := deleteIfThere(ctx, tx, mfaLockoutID(st.Pool, st.Sub)); err != nil {
			return err
		}
		if err := s.resetShare(ctx, tx, mfaLockoutID(st.Pool, st.Sub), st.Pool); err != nil {
			return err
		}
		if within != nil {
			return within(tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Step{
		Challenge: idp.ChallengeNameTypeDeviceSrpAuth,
		Session:   session,
		Params:    map[string]string{"USERNAME": st.Username, "DEVICE_KEY": d.Key},
	}, nil
}
