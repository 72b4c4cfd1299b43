package authflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// flowState is where a flow stands between two calls: what the next
// RespondToAuthChallenge answers and for whom. It travels sealed (AEAD) in
// the Session, or for PASSWORD_VERIFIER in the SECRET_BLOCK, which clients
// echo as PASSWORD_CLAIM_SECRET_BLOCK, so the client can neither read nor
// change it. Opening a state writes nothing: the seal is what proves the
// server made it. A use marker (storage.Marker, ID "<pool>/used/<ID>"),
// created in the transaction that acts on the answer, makes it
// single-use: the store refuses a second marker with the ID, so of two
// answers at once only one commits, and a later one finds the marker.
// Markers live in a table of their own, not among the items: one row and
// its expiry, with no index entries, version or change-log entry.
//
// JSON names are part of the sealed format; a version bump makes earlier
// states unreadable, which only costs the flows open at the upgrade.
type flowState struct {
	V int `json:"v"`
	// ID names the use marker.
	ID string `json:"id"`
	// Pool and Client are where the flow runs; answering with another
	// client is refused.
	Pool   string `json:"pool"`
	Client string `json:"client"`
	// Flow is the AuthFlow that started the flow; Admin is true when
	// AdminInitiateAuth started it.
	Flow  idp.AuthFlowType `json:"flow"`
	Admin bool             `json:"admin,omitempty"`
	// Hosted is true for a flow the hosted UI's pages started: only they
	// answer it, and it ends in a hosted-UI session.
	Hosted bool `json:"hosted,omitempty"`
	// Challenge is the challenge the next call answers.
	Challenge idp.ChallengeNameType `json:"challenge"`
	// Sub and Username identify the user (Username is the internal
	// username). Given is the USERNAME the client started with, as the pool
	// folds it. Fake marks a flow for a user that does not exist, run to
	// its end so that the answers do not tell (PreventUserExistenceErrors):
	// Sub is then empty and Username a stable stand-in.
	Sub      string `json:"sub,omitempty"`
	Username string `json:"username"`
	Given    string `json:"given,omitempty"`
	Fake     bool   `json:"fake,omitempty"`
	// NoVerifier marks a real user without an SRP verifier, whose proof
	// cannot pass (and does not count toward its lockout).
	NoVerifier bool `json:"no_verifier,omitempty"`
	// SRPSecret is the server's SRP private exponent b, SRPPublic its
	// public value B, and SRPA the client's public value A
	// (PASSWORD_VERIFIER). B is kept so that the answer does not compute it
	// again from b; a state sealed before B was kept has none, and B is
	// then computed (such states live at most 15 minutes, so the fallback
	// matters only across an upgrade).
	SRPSecret []byte `json:"srp_b,omitempty"`
	SRPPublic []byte `json:"srp_pub,omitempty"`
	SRPA      string `json:"srp_a,omitempty"`
	// DeviceKey is the device a DEVICE_SRP_AUTH or
	// DEVICE_PASSWORD_VERIFIER state signs in, or the device an MFA state
	// signs in once its code is right.
	DeviceKey string `json:"device_key,omitempty"`
	// DeviceToProve marks an MFA state whose DeviceKey the sign-in named
	// but has not proved (a device the pool knows that does not skip
	// MFA): a right code leads to DEVICE_SRP_AUTH, not to tokens.
	DeviceToProve bool `json:"device_to_prove,omitempty"`
	// MFADone marks a DEVICE_SRP_AUTH or DEVICE_PASSWORD_VERIFIER state
	// of a sign-in that answered its second factor already: the device's
	// proof ends it with tokens.
	MFADone bool `json:"mfa_done,omitempty"`
	// MFAOptions are the factors SELECT_MFA_TYPE offers (MFAS_CAN_CHOOSE)
	// or MFA_SETUP can set up (MFAS_CAN_SETUP).
	MFAOptions []string `json:"mfa_options,omitempty"`
	// CodeHash is the keyed MAC (mfa.CodeHasher) of the code SMS_MFA or
	// EMAIL_OTP sent, bound to the pool, the user and CodeID; CodeMedium
	// is where it went (SMS, EMAIL).
	CodeID     string `json:"code_id,omitempty"`
	CodeHash   string `json:"code_hash,omitempty"`
	CodeMedium string `json:"code_medium,omitempty"`
	// FirstFactor marks a code challenge (EMAIL_OTP, SMS_OTP) opened as
	// the first factor of choice-based sign-in: its answer signs in with
	// one factor.
	FirstFactor bool `json:"first_factor,omitempty"`
	// WebAuthnChallenge is the challenge (base64url) of a WEB_AUTHN state,
	// and WebAuthnRP the relying party ID it was made for.
	WebAuthnChallenge string `json:"webauthn_challenge,omitempty"`
	WebAuthnRP        string `json:"webauthn_rp,omitempty"`
	// WebAuthnMFA marks a WEB_AUTHN state whose passkey signs in as MFA:
	// its authenticator must verify the user.
	WebAuthnMFA bool `json:"webauthn_mfa,omitempty"`
	// RiskLevel and RiskAction are threat protection's assessment of the
	// first factor (risk.go), carried to the second factor's event.
	RiskLevel  string `json:"risk_level,omitempty"`
	RiskAction string `json:"risk_action,omitempty"`
	// RiskEventID is the ID of the InProgress event a notifying risk
	// recorded when it opened this second factor (risk_notify.go), which
	// the answer's event replaces.
	RiskEventID string `json:"risk_event_id,omitempty"`
	// Compromised says the first factor's password was found on the
	// breached-password list (and let through), for the second factor's
	// event.
	Compromised bool `json:"compromised,omitempty"`
	// TOTPVerified marks an MFA_SETUP state whose software token
	// VerifySoftwareToken verified: only it answers MFA_SETUP.
	TOTPVerified bool `json:"totp_verified,omitempty"`
	// Custom is the session history of a CUSTOM_AUTH sign-in;
	// CustomPrivate and CustomMetadata are the privateChallengeParameters
	// and challengeMetadata of the CUSTOM_CHALLENGE the state waits for,
	// which only VerifyAuthChallengeResponse (and the next history entry)
	// receive.
	Custom         []customRound     `json:"custom,omitempty"`
	CustomPrivate  map[string]string `json:"custom_private,omitempty"`
	CustomMetadata string            `json:"custom_metadata,omitempty"`
	// IssuedAt and ExpiresAt bound the state's life: the client's
	// AuthSessionValidity.
	IssuedAt  time.Time `json:"iat"`
	ExpiresAt time.Time `json:"exp"`
}

// flowStateVersion is flowState.V.
const flowStateVersion = 1

// Purposes the flow state is sealed for: a Session does not open as a
// SECRET_BLOCK, nor the reverse.
const (
	purposeSession     = "authflow-session"
	purposeSecretBlock = "authflow-srp-secret-block"
	// purposeDeviceSecretBlock is DEVICE_PASSWORD_VERIFIER's
	// SECRET_BLOCK.
	purposeDeviceSecretBlock = "authflow-device-srp-secret-block"
)

// Messages of the NotAuthorizedException for a Session (or SECRET_BLOCK)
// that cannot advance a flow.
const (
	msgInvalidSession = "Invalid session for the user."
	msgSessionUsed    = "Invalid session for the user, session can only be used once."
	msgSessionExpired = "Invalid session for the user, session is expired."
)

// sessionMarker is the Data of a state's use marker when the answer
// opened a state that the used Session may still answer: for an MFA state
// whose right code led on to the device's SRP (flowState.DeviceToProve),
// the ID and expiry of the DEVICE_SRP_AUTH state it opened
// (deviceSRPChallenge.continued). Other markers have no Data. (Markers
// kept as items before held the state's expiry here too, which nothing
// reads.)
type sessionMarker struct {
	Next          string    `json:"next,omitempty"`
	NextExpiresAt time.Time `json:"next_expires_at,omitzero"`
}

// usedMarkerGrace is how long a used state's marker outlives the state:
// servers sharing a store may disagree about the time by a little, and a
// server whose clock is behind still takes the state as unexpired for that
// long, so the marker must still be there to refuse it.
const usedMarkerGrace = 5 * time.Minute

// expiringIndex is the index prefix, within a kind, of items that expire:
// each such item carries "expiring/<expiry in ms, 16 hex digits>", so a
// scan of the prefix finds the oldest first and sweepExpired can remove
// what has expired without a table scan.
const expiringIndex = "expiring/"

func expiringKey(t time.Time) string {
	ms := max(t.UnixMilli(), 0)
	return fmt.Sprintf("%s%016x", expiringIndex, uint64(ms))
}

// newStateID returns 128 random bits in hex.
func newStateID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// usedMarkerID is the ID of the marker that records a state as used.
// (States sealed before markers recorded use had a marker of ID
// "<pool>/<ID>" that answering deleted; the sweep removes what is left of
// them.)
func usedMarkerID(pool, id string) string { return pool + "/used/" + id }

// openFlow starts a step and returns st sealed for purpose; st.ID,
// IssuedAt and ExpiresAt are set here. It writes nothing of its own:
// within, when not nil, runs in a transaction (the step's own writes, such
// as taking back a counted password attempt).
func (s *Service) openFlow(ctx context.Context, st *flowState, validity time.Duration, purpose string, within func(tx storage.Tx) error) (string, error) {
	now := s.now()
	st.V, st.ID, st.IssuedAt, st.ExpiresAt = flowStateVersion, newStateID(), now, now.Add(validity)
	if within != nil {
		if err := s.runTx(ctx, within); err != nil {
			return "", err
		}
	}
	// Opening states is what makes markers (once answered), so it is what
	// sweeps the expired ones, and the expired auth_session items.
	s.maybeSweep(ctx, sweepUseMarkers)
	s.maybeSweep(ctx, kindAuthSession)
	return s.sealState(st, purpose)
}

func (s *Service) sealState(st *flowState, purpose string) (string, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return "", internal(fmt.Errorf("encode flow state: %w", err))
	}
	return s.state.SealString(purpose, plain), nil
}

// readFlow opens a sealed state for the client's pool and client and checks
// that it has not expired. It does not use the state up: useFlow does, in
// the transaction that acts on it. It reads nothing from the store.
func (s *Service) readFlow(sealed, purpose, pool, client string) (*flowState, error) {
	plain, err := s.state.OpenString(purpose, sealed)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(err)
	}
	var st flowState
	if err := json.Unmarshal(plain, &st); err != nil || st.V != flowStateVersion {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(fmt.Errorf("decode flow state: %v", err))
	}
	if st.Pool != pool || st.Client != client {
		return nil, cognito.NotAuthorizedException(msgInvalidSession).WithCause(errors.New("flow state of another client"))
	}
	if !s.now().Before(st.ExpiresAt) {
		return nil, cognito.NotAuthorizedException(msgSessionExpired)
	}
	return &st, nil
}

// SessionPool returns the user pool a sign-in's Session names, "" when the
// string is no Session this service sealed (or no longer reads). It checks
// neither the client nor the expiry: the API edge uses it to find the pool
// of an operation a Session alone authorizes (AssociateSoftwareToken and
// VerifySoftwareToken during MFA_SETUP), and the operation itself then
// reads the Session as usual.
func (s *Service) SessionPool(session string) string {
	plain, err := s.state.OpenString(purposeSession, session)
	if err != nil {
		return ""
	}
	var st struct {
		V    int    `json:"v"`
		Pool string `json:"pool"`
	}
	if json.Unmarshal(plain, &st) != nil || st.V != flowStateVersion {
		return ""
	}
	return st.Pool
}

// useFlow uses st up inside tx: it creates st's used marker, or reports
// that the state was used already (the marker exists, or another
// transaction creating it has committed first). The marker expires
// usedMarkerGrace after the state, and the sweep then removes it.
func (s *Service) useFlow(ctx context.Context, tx storage.Tx, st *flowState) error {
	return s.useFlowFor(ctx, tx, st, nil)
}

// useFlowFor is useFlow for a state whose answer opened next (nil for
// none), which the marker names.
func (s *Service) useFlowFor(ctx context.Context, tx storage.Tx, st, next *flowState) error {
	var data []byte
	if next != nil {
		var err error
		data, err = json.Marshal(sessionMarker{Next: next.ID, NextExpiresAt: next.ExpiresAt})
		if err != nil {
			return err
		}
	}
	err := tx.CreateMarker(ctx, &storage.Marker{
		ID: usedMarkerID(st.Pool, st.ID), Data: data, ExpiresAt: st.ExpiresAt.Add(usedMarkerGrace),
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return cognito.NotAuthorizedException(msgSessionUsed)
	}
	if err != nil {
		return fmt.Errorf("store used flow state marker: %w", err)
	}
	return nil
}

// flowSeenUsed reads, outside any transaction, whether st was used up
// already, and refuses it if so. It is a shortcut for replays, not the
// guard: only useFlow, in the transaction that acts on st, decides.
func (s *Service) flowSeenUsed(ctx context.Context, st *flowState) error {
	return s.flowSeenUsedIn(ctx, s.store, st)
}

// flowSeenUsedIn is flowSeenUsed reading through r.
func (s *Service) flowSeenUsedIn(ctx context.Context, r storage.MarkerReader, st *flowState) error {
	if st == nil {
		return nil
	}
	_, err := r.GetMarker(ctx, usedMarkerID(st.Pool, st.ID))
	switch {
	case err == nil:
		return cognito.NotAuthorizedException(msgSessionUsed)
	case errors.Is(err, storage.ErrNotFound):
		return nil
	default:
		return internal(fmt.Errorf("read used flow state marker: %w", err))
	}
}

// useFlowNow uses st up in a transaction of its own.
func (s *Service) useFlowNow(ctx context.Context, st *flowState) error {
	return s.runTx(ctx, func(tx storage.Tx) error { return s.useFlow(ctx, tx, st) })
}

// sessionValidity clamps a client's AuthSessionValidity to what Cognito
// allows (3 to 15 minutes).
func sessionValidity(d time.Duration) time.Duration {
	return min(max(d, 3*time.Minute), 15*time.Minute)
}
