package mfa

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkeys (WebAuthn) run through github.com/go-webauthn/webauthn: this
// file builds its options for a relying party, and checks a response in
// the order that tells apart the failures Cognito names (origin, relying
// party, challenge) before the library verifies the rest (attestation,
// signature, flags); a sign counter that does not advance is refused.

// Reasons a passkey response is refused, for the engines to map onto
// Cognito's exceptions.
var (
	// ErrPasskeyOrigin: the response was made at an origin the relying
	// party does not serve.
	ErrPasskeyOrigin = errors.New("webauthn: origin not allowed")
	// ErrPasskeyRelyingParty: the authenticator signed for another
	// relying party ID.
	ErrPasskeyRelyingParty = errors.New("webauthn: relying party mismatch")
	// ErrPasskeyChallenge: the response answers another challenge.
	ErrPasskeyChallenge = errors.New("webauthn: challenge mismatch")
	// ErrPasskeyMalformed: the response cannot be read.
	ErrPasskeyMalformed = errors.New("webauthn: malformed response")
	// ErrPasskeyUnsupported: a registration the relying party does not
	// take (its attestation or key type, or user verification missing
	// where it is required).
	ErrPasskeyUnsupported = errors.New("webauthn: credential not supported")
	// ErrPasskeyInvalid: an assertion that does not verify (another
	// credential, a bad signature, user verification missing where it is
	// required).
	ErrPasskeyInvalid = errors.New("webauthn: assertion invalid")
	// ErrPasskeyCounter: the authenticator's sign counter did not advance
	// past the one stored, the mark of a cloned authenticator.
	ErrPasskeyCounter = errors.New("webauthn: sign counter did not advance")
)

// PasskeyTimeout is how long a browser gives the user to answer a
// registration or sign-in, as the options say.
const PasskeyTimeout = 3 * time.Minute

// RelyingParty is where passkeys are made and used: its ID (a domain)
// and name, and whether the authenticator must verify the user
// ("required") or only should ("preferred").
type RelyingParty struct {
	ID, Name string
	// UserVerification is "required" or "preferred".
	UserVerification string
}

// PasskeyUser is the user a ceremony is for: its WebAuthn user handle,
// names, and the credentials it has.
type PasskeyUser struct {
	ID                []byte
	Name, DisplayName string
	Credentials       []webauthn.Credential
}

func (u *PasskeyUser) WebAuthnID() []byte                         { return u.ID }
func (u *PasskeyUser) WebAuthnName() string                       { return u.Name }
func (u *PasskeyUser) WebAuthnDisplayName() string                { return u.DisplayName }
func (u *PasskeyUser) WebAuthnCredentials() []webauthn.Credential { return u.Credentials }

// Passkey is a registered credential as the library keeps it.
type Passkey = webauthn.Credential

// OriginAllowed says whether origin may use the relying party rpID: an
// https origin whose host is rpID or a subdomain of it (the WebAuthn rule
// for a relying party ID), or an http origin on localhost, which browsers
// treat as secure, for a relying party on localhost.
func OriginAllowed(rpID, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	rp := strings.ToLower(rpID)
	if host == "" || rp == "" || net.ParseIP(rp) != nil {
		return false
	}
	if host != rp && !strings.HasSuffix(host, "."+rp) {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return host == "localhost" || strings.HasSuffix(host, ".localhost")
	}
	return false
}

func (rp RelyingParty) library(origin string) (*webauthn.WebAuthn, error) {
	cfg := &webauthn.Config{
		RPID: rp.ID, RPDisplayName: rp.Name, RPOrigins: []string{"https://" + rp.ID},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: false, Timeout: PasskeyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: false, Timeout: PasskeyTimeout},
		},
	}
	if origin != "" {
		cfg.RPOrigins = []string{origin}
	}
	w, err := webauthn.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("webauthn relying party %q: %w", rp.ID, err)
	}
	return w, nil
}

func (rp RelyingParty) verification() protocol.UserVerificationRequirement {
	if rp.UserVerification == "required" {
		return protocol.VerificationRequired
	}
	return protocol.VerificationPreferred
}

func descriptors(creds []webauthn.Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		out = append(out, c.Descriptor())
	}
	return out
}

// BeginRegistration returns the PublicKeyCredentialCreationOptions (as
// JSON, the object navigator.credentials.create takes as publicKey) for a
// new passkey of u, which excludes the ones u has, and their challenge
// (base64url), which the caller keeps until the answer.
func BeginRegistration(rp RelyingParty, u *PasskeyUser) (json.RawMessage, string, error) {
	w, err := rp.library("")
	if err != nil {
		return nil, "", err
	}
	creation, session, err := w.BeginRegistration(u,
		webauthn.WithExclusions(descriptors(u.Credentials)),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: rp.verification(),
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	b, err := json.Marshal(creation.Response)
	if err != nil {
		return nil, "", err
	}
	return b, session.Challenge, nil
}

// FinishRegistration checks response, a RegistrationResponseJSON, against
// the challenge BeginRegistration made for u, and returns the new passkey.
func FinishRegistration(rp RelyingParty, u *PasskeyUser, challenge string, response []byte) (*Passkey, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPasskeyMalformed, err)
	}
	if err := precheck(rp, parsed.Response.CollectedClientData, parsed.Response.AttestationObject.AuthData.RPIDHash, challenge); err != nil {
		return nil, err
	}
	w, err := rp.library(parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return nil, err
	}
	cred, err := w.CreateCredential(u, webauthn.SessionData{
		Challenge: challenge, RelyingPartyID: rp.ID, UserID: u.ID, UserVerification: rp.verification(),
		CredParams: defaultCredParams(),
	}, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPasskeyUnsupported, libraryDetail(err))
	}
	return cred, nil
}

func defaultCredParams() []protocol.CredentialParameter {
	return []protocol.CredentialParameter{
		{Type: protocol.PublicKeyCredentialType, Algorithm: -7},   // ES256
		{Type: protocol.PublicKeyCredentialType, Algorithm: -257}, // RS256
	}
}

// BeginLogin returns the PublicKeyCredentialRequestOptions (as JSON, the
// object navigator.credentials.get takes as publicKey) that ask for one
// of u's passkeys, and their challenge (base64url).
func BeginLogin(rp RelyingParty, u *PasskeyUser) (json.RawMessage, string, error) {
	w, err := rp.library("")
	if err != nil {
		return nil, "", err
	}
	assertion, session, err := w.BeginLogin(u, webauthn.WithUserVerification(rp.verification()))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	b, err := json.Marshal(assertion.Response)
	if err != nil {
		return nil, "", err
	}
	return b, session.Challenge, nil
}

// AssertedCredential returns the ID of the credential response (an
// AuthenticationResponseJSON) was made with, or ErrPasskeyMalformed.
func AssertedCredential(response []byte) ([]byte, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPasskeyMalformed, err)
	}
	return parsed.RawID, nil
}

// FinishLogin checks response, an AuthenticationResponseJSON, against
// the challenge BeginLogin made for u, and returns the passkey it was
// made with, its sign counter advanced.
func FinishLogin(rp RelyingParty, u *PasskeyUser, challenge string, response []byte) (*Passkey, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPasskeyMalformed, err)
	}
	if err := precheck(rp, parsed.Response.CollectedClientData, parsed.Response.AuthenticatorData.RPIDHash, challenge); err != nil {
		return nil, err
	}
	w, err := rp.library(parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return nil, err
	}
	allowed := make([][]byte, 0, len(u.Credentials))
	for _, c := range u.Credentials {
		allowed = append(allowed, c.ID)
	}
	cred, err := w.ValidateLogin(u, webauthn.SessionData{
		Challenge: challenge, RelyingPartyID: rp.ID, UserID: u.ID, AllowedCredentialIDs: allowed,
		UserVerification: rp.verification(),
	}, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPasskeyInvalid, libraryDetail(err))
	}
	if cred.Authenticator.CloneWarning {
		return nil, ErrPasskeyCounter
	}
	return cred, nil
}

// CheckAssertion runs the checks of FinishLogin that come before the
// signature: response is an AuthenticationResponseJSON, made at an origin
// the relying party serves, for its ID and over challenge. It is what a
// sign-in that cannot pass (no passkey to check the signature with) still
// checks, so that its refusals are a real one's.
func CheckAssertion(rp RelyingParty, challenge string, response []byte) error {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPasskeyMalformed, err)
	}
	return precheck(rp, parsed.Response.CollectedClientData, parsed.Response.AuthenticatorData.RPIDHash, challenge)
}

// precheck tells apart the failures Cognito names before the library
// checks the rest: the origin, the relying party ID the authenticator
// signed for, and the challenge.
func precheck(rp RelyingParty, cd protocol.CollectedClientData, rpIDHash []byte, challenge string) error {
	if !OriginAllowed(rp.ID, cd.Origin) {
		return fmt.Errorf("%w: %q for %q", ErrPasskeyOrigin, cd.Origin, rp.ID)
	}
	want := sha256.Sum256([]byte(rp.ID))
	if !bytes.Equal(rpIDHash, want[:]) {
		return ErrPasskeyRelyingParty
	}
	got, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(cd.Challenge, "="))
	exp, err2 := base64.RawURLEncoding.DecodeString(challenge)
	if err1 != nil || err2 != nil || len(exp) == 0 || !bytes.Equal(got, exp) {
		return ErrPasskeyChallenge
	}
	return nil
}

// libraryDetail is the library's error with its details, for the log.
func libraryDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Details + " " + pe.DevInfo)
	}
	return err.Error()
}
