package authflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// deviceSRPChallenge is DEVICE_SRP_AUTH: the next step (Service.next) of
// a user who proved the password on a device the pool knows (DEVICE_KEY in
// the PASSWORD_VERIFIER answer, or in USER_PASSWORD_AUTH's parameters).
// Its state, in the Session, is the user and the device; its answer is the
// device's SRP_A, and it opens DEVICE_PASSWORD_VERIFIER.
//
// The device's SRP is the user's (internal/srp) with the device's
// DeviceGroupKey in place of the pool name and the device key in place of
// the user ID, as amazon-cognito-identity-js computes it
// (CognitoUser.getDeviceResponse): the verifier is the one the client
// made at ConfirmDevice, and the claim signs DeviceGroupKey, the device
// key, the SECRET_BLOCK and the TIMESTAMP.
type deviceSRPChallenge struct{}

// open answers with DEVICE_SRP_AUTH. attempt, the attempt of the right
// password, is settled in the transaction that opens the challenge. A
// risk found in the first factor (sp.assessed) that notifies records its
// InProgress event in that transaction and sends NoActionEmail once it
// has committed; the state carries the assessment to the device's proof,
// whose event replaces that one.
func (deviceSRPChallenge) open(ctx context.Context, s *Service, sp *call, attempt *passwordAttempt) (*Step, error) {
	u := sp.user
	within, note := s.notifyingChallenge(ctx, sp, settling(ctx, attempt), directory.RiskEmailNoAction)
	st := &flowState{
		Pool: sp.pool.ID, Client: sp.client.ClientID, Flow: sp.flow, Admin: sp.admin,
		Challenge: idp.ChallengeNameTypeDeviceSrpAuth, Sub: u.Sub, Username: u.Username, Given: sp.given,
		DeviceKey: sp.device.Key,
	}
	carryRisk(st, sp.assessed)
	session, err := s.openFlow(ctx, st, sessionValidity(sp.client.AuthSessionValidity), purposeSession, within)
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	s.afterCommit(ctx, note)
	return &Step{
		Challenge: idp.ChallengeNameTypeDeviceSrpAuth,
		Session:   session,
		Params:    map[string]string{"USERNAME": u.Username, "DEVICE_KEY": sp.device.Key},
	}, nil
}

func (deviceSRPChallenge) answers() idp.ChallengeNameType { return idp.ChallengeNameTypeDeviceSrpAuth }

func (deviceSRPChallenge) sealed(session string, _ map[string]string) (string, string, error) {
	return sessionState(session)
}

func (deviceSRPChallenge) answerParams(_ *Service, sp *call) (string, error) {
	switch {
	case sp.params["USERNAME"] == "":
		return "", missing("USERNAME")
	case sp.params["DEVICE_KEY"] == "":
		return "", missing("DEVICE_KEY")
	case sp.params["SRP_A"] == "":
		return "", missing("SRP_A")
	}
	if _, err := srp.ParseA(sp.params["SRP_A"]); err != nil {
		return "", err
	}
	return sp.params["USERNAME"], nil
}

// continued takes, in place of DEVICE_SRP_AUTH's own Session, the Session
// of the MFA challenge whose right code opened it: amazon-cognito-identity-js
// (CognitoUser.sendMFACode, then getDeviceResponse) answers
// DEVICE_SRP_AUTH with the Session it answered the code with. That state
// is used up already; its marker, written by the right code
// (proveDeviceAfterMFA), names the DEVICE_SRP_AUTH state the code opened,
// and that state (its ID, so its single use, shared with the Session the
// code's answer carried) is the one answered. An MFA Session whose code
// was not answered right, or that named no device, answers nothing.
func (deviceSRPChallenge) continued(ctx context.Context, s *Service, st *flowState) (*flowState, error) {
	if !st.DeviceToProve || st.DeviceKey == "" || !mfaChallenge(st.Challenge) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	used, err := s.store.GetMarker(ctx, usedMarkerID(st.Pool, st.ID))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	if err != nil {
		return nil, internal(fmt.Errorf("read used flow state marker: %w", err))
	}
	var m sessionMarker
	if used.Data != nil {
		if err := json.Unmarshal(used.Data, &m); err != nil {
			return nil, internal(fmt.Errorf("decode used flow state marker: %w", err))
		}
	}
	if m.Next == "" {
		return nil, cognito.NotAuthorizedException(msgSessionUsed)
	}
	if !s.now().Before(m.NextExpiresAt) {
		return nil, cognito.NotAuthorizedException(msgSessionExpired)
	}
	return &flowState{
		V: flowStateVersion, ID: m.Next, Pool: st.Pool, Client: st.Client, Flow: st.Flow, Admin: st.Admin,
		Challenge: idp.ChallengeNameTypeDeviceSrpAuth, Sub: st.Sub, Username: st.Username, Given: st.Given,
		DeviceKey: st.DeviceKey, MFADone: true, IssuedAt: st.IssuedAt, ExpiresAt: m.NextExpiresAt,
		RiskLevel: st.RiskLevel, RiskAction: st.RiskAction, RiskEventID: st.RiskEventID, Compromised: st.Compromised,
	}, nil
}

// mfaChallenge reports whether c is a second factor's challenge.
func mfaChallenge(c idp.ChallengeNameType) bool {
	switch c {
	case idp.ChallengeNameTypeSmsMfa, idp.ChallengeNameTypeEmailOtp, idp.ChallengeNameTypeSoftwareTokenMfa,
		idp.ChallengeNameTypeSelectMfaType, idp.ChallengeNameTypeMfaSetup:
		return true
	}
	return false
}

// answer starts the device's SRP exchange: SRP_B and SALT from the
// device's verifier, and the SECRET_BLOCK of DEVICE_PASSWORD_VERIFIER,
// which holds b, B and A sealed (the state of that step travels there, as
// PASSWORD_VERIFIER's does: with B it is longer than a Session may be;
// no Session goes out with it). The DEVICE_SRP_AUTH Session is used up in
// the transaction that opens the next step. A device key that is not the
// flow's is ResourceNotFoundException; so is a device forgotten since,
// which ends the sign-in (deviceForgotten).
func (deviceSRPChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	st := sp.st
	if sp.params["DEVICE_KEY"] != st.DeviceKey {
		return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	d, _, err := s.userDevice(ctx, sp.pool.ID, st.Sub, st.DeviceKey)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, s.deviceForgotten(ctx, sp)
	}
	v, err := s.verifiers.OpenDevice(sp.pool.ID, st.Sub, d.Key, d.Verifier)
	if err != nil {
		return nil, err
	}
	var server *srp.Server
	if serr := s.passwords.Run(ctx, func() { server, err = srp.NewServer(v) }); serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	next := &flowState{
		Pool: st.Pool, Client: st.Client, Flow: st.Flow, Admin: st.Admin,
		Challenge: idp.ChallengeNameTypeDevicePasswordVerifier, Sub: st.Sub, Username: st.Username, Given: st.Given,
		DeviceKey: d.Key, MFADone: st.MFADone, SRPSecret: server.Secret(), SRPPublic: server.Public(), SRPA: sp.params["SRP_A"],
		RiskLevel: st.RiskLevel, RiskAction: st.RiskAction, RiskEventID: st.RiskEventID, Compromised: st.Compromised,
	}
	block, err := s.openFlow(ctx, next, sessionValidity(sp.client.AuthSessionValidity), purposeDeviceSecretBlock, func(tx storage.Tx) error {
		return s.useFlow(ctx, tx, st)
	})
	if err != nil {
		return nil, err
	}
	return &Step{
		Challenge: idp.ChallengeNameTypeDevicePasswordVerifier,
		Params: map[string]string{
			"SRP_B":        server.PublicB(),
			"SALT":         v.SaltHex(),
			"SECRET_BLOCK": block,
			"USERNAME":     st.Username,
			"DEVICE_KEY":   d.Key,
		},
	}, nil
}

// devicePasswordVerifierChallenge is DEVICE_PASSWORD_VERIFIER: the
// device's SRP proof. It is checked through the shared phases
// (Service.authenticate) like the password's proof: checked before
// anything is written, a wrong one counted toward the user's lockout (a
// forged verifier is a guess like a wrong password), a right one settled
// in the transaction that issues the tokens, which also records the
// device's sign-in.
type devicePasswordVerifierChallenge struct{}

func (devicePasswordVerifierChallenge) answers() idp.ChallengeNameType {
	return idp.ChallengeNameTypeDevicePasswordVerifier
}

func (devicePasswordVerifierChallenge) sealed(session string, responses map[string]string) (string, string, error) {
	switch {
	case responses["USERNAME"] == "":
		return "", "", missing("USERNAME")
	case responses["PASSWORD_CLAIM_SECRET_BLOCK"] == "":
		return "", "", missing("PASSWORD_CLAIM_SECRET_BLOCK")
	case responses["PASSWORD_CLAIM_SIGNATURE"] == "":
		return "", "", missing("PASSWORD_CLAIM_SIGNATURE")
	case responses["TIMESTAMP"] == "":
		return "", "", missing("TIMESTAMP")
	case responses["DEVICE_KEY"] == "":
		return "", "", missing("DEVICE_KEY")
	}
	return responses["PASSWORD_CLAIM_SECRET_BLOCK"], purposeDeviceSecretBlock, nil
}

func (devicePasswordVerifierChallenge) answerParams(_ *Service, sp *call) (string, error) {
	return sp.params["USERNAME"], nil
}

// answer checks the device key against the state (the SECRET_BLOCK),
// then the device's proof through the shared phases. A device forgotten
// since DEVICE_SRP_AUTH, found so here or by the transaction that would
// issue the tokens, ends the sign-in (deviceForgotten).
func (devicePasswordVerifierChallenge) answer(ctx context.Context, s *Service, sp *call) (*Step, error) {
	st := sp.st
	block, err := base64.StdEncoding.DecodeString(sp.params["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil {
		return nil, s.useFlowThen(ctx, st, cognito.NotAuthorizedException(msgInvalidSession))
	}
	if sp.params["DEVICE_KEY"] != st.DeviceKey {
		return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	f := deviceSRPFactor{block: block, timestamp: sp.params["TIMESTAMP"], signature: sp.params["PASSWORD_CLAIM_SIGNATURE"]}
	// The user, the device and the state's use marker in one store call.
	if err := s.readTogether(ctx, sp, storage.ItemRef{Kind: kindDevice, ID: deviceID(sp.pool.ID, st.DeviceKey)}); err != nil {
		return nil, err
	}
	if err := s.stateUser(ctx, sp); err != nil {
		return nil, err
	}
	if sp.user == nil {
		// The user was deleted since the device step began (and its
		// devices with it): the shared phases answer as for any user
		// that does not exist.
		return s.authenticate(ctx, sp, f)
	}
	d, _, err := s.userDeviceIn(ctx, s.reader(sp), sp.pool.ID, st.Sub, st.DeviceKey)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, s.deviceForgotten(ctx, sp)
	}
	sp.device, sp.deviceVerified, f.device = d, true, d
	step, err := s.authenticate(ctx, sp, f)
	if deviceGone(err) {
		// Forgotten between the proof's check and the transaction that
		// would have issued the tokens, which rolled back.
		return nil, s.deviceForgotten(ctx, sp)
	}
	return step, err
}

// deviceForgotten ends the sign-in sp, whose device was forgotten
// (ForgetDevice, AdminForgetDevice, or the user's deletion) since
// DEVICE_SRP_AUTH opened, with Cognito's answer for a device that does not
// exist (ResourceNotFoundException, "Device does not exist."). One
// transaction uses the state up and records the sign-in's event as failed:
// in place of the InProgress event a notifying risk recorded when the
// device's challenge opened, or as a new event, so AdminListUserAuthEvents
// shows the attempt ended.
func (s *Service) deviceForgotten(ctx context.Context, sp *call) error {
	if err := s.stateUser(ctx, sp); err != nil {
		return err
	}
	var rec *recordedEvent
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if err := s.useFlow(ctx, tx, sp.st); err != nil {
			return err
		}
		if sp.user == nil || !sp.pool.RecordsAuthEvents {
			return nil
		}
		var err error
		rec, err = s.failedEventIn(ctx, tx, sp)
		return err
	})
	if err != nil {
		return err
	}
	s.afterCommit(ctx, rec)
	return cognito.ResourceNotFoundException(msgDeviceNotFound)
}

// deviceGone reports whether err is the answer for a device that does not
// exist (deviceSignedIn's, when the device was forgotten after its proof
// was checked).
func deviceGone(err error) bool {
	var ce *cognito.Error
	return errors.As(err, &ce) && ce.Code == cognito.CodeResourceNotFoundException && ce.Message == msgDeviceNotFound
}

// deviceSRPFactor checks a device's SRP proof against the exchange the
// state holds and the device's verifier.
type deviceSRPFactor struct {
	device               *deviceRecord
	block                []byte
	timestamp, signature string
}

func (deviceSRPFactor) admit(context.Context, *Service) error { return nil }

func (deviceSRPFactor) checkFirst() bool { return true }

func (f deviceSRPFactor) precheck(_ *Service, _ *call) error {
	_, err := srp.ParseTimestamp(f.timestamp)
	return err
}

func (f deviceSRPFactor) verify(ctx context.Context, s *Service, sp *call) (bool, error) {
	v, err := s.verifiers.OpenDevice(sp.pool.ID, sp.user.Sub, f.device.Key, f.device.Verifier)
	if err != nil {
		return false, err
	}
	var ok bool
	if serr := s.passwords.Run(ctx, func() {
		var server *srp.Server
		if server, err = s.srpServer(v, sp.st); err == nil {
			ok, err = server.VerifyClaim(f.device.GroupKey, f.device.Key, sp.st.SRPA, f.block, f.timestamp, f.signature)
		}
	}); serr != nil {
		return false, serr
	}
	return ok, err
}

// shadow checks the proof against a fake verifier, at a real check's
// cost, for a user deleted since the device step began.
func (f deviceSRPFactor) shadow(ctx context.Context, s *Service, sp *call) error {
	v := srp.FakeVerifier(s.fakeKey, sp.pool.ID, sp.st.Given)
	var err error
	if serr := s.passwords.Run(ctx, func() {
		var server *srp.Server
		if server, err = s.srpServer(v, sp.st); err == nil {
			_, err = server.VerifyClaim("", sp.st.DeviceKey, sp.st.SRPA, f.block, f.timestamp, f.signature)
		}
	}); serr != nil {
		return serr
	}
	return err
}

// verifiedDevice is the device the call authenticated
// (DEVICE_PASSWORD_VERIFIER), nil otherwise.
func (sp *call) verifiedDevice() *deviceRecord {
	if sp.deviceVerified {
		return sp.device
	}
	return nil
}

// rememberedDevice reports whether the call authenticated a remembered
// device in a pool where a remembered device signs in without MFA
// (DeviceConfiguration.ChallengeRequiredOnNewDevice): the MFA decision
// skips the second factor then.
func (sp *call) rememberedDevice() bool {
	return sp.deviceVerified && sp.device != nil && sp.device.Remembered && sp.pool.DeviceSkipsMFA
}

// deviceSignedIn records, inside the transaction that issues the tokens,
// that the device key of the user sub signed in at now from ip: it reads
// the device (a device forgotten since the proof was checked ends the
// sign-in) and writes only its last sign-in (kindDeviceSignIn), not the
// device.
func (s *Service) deviceSignedIn(ctx context.Context, tx storage.Tx, pool, sub, key string, now time.Time, ip string) error {
	it, err := tx.GetItem(ctx, kindDevice, deviceID(pool, key))
	if errors.Is(err, storage.ErrNotFound) {
		return cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	if err != nil {
		return fmt.Errorf("get device: %w", err)
	}
	d, err := decodeDevice(it)
	if err != nil {
		return err
	}
	if d.Sub != sub {
		return cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	return recordDeviceSignIn(ctx, tx, pool, it.ID, now, ip)
}
