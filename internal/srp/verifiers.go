package srp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/seal"
)

// KeyLabel is the label of the key that seals verifiers at rest:
// seal.DeriveKey(master, KeyLabel). NewVerifiers derives it.
const KeyLabel = "srp-verifier"

// ErrNoVerifier is the cause Verifiers.Open records for a user record
// that keeps no verifier (one made before verifiers were kept, or without
// a password).
var ErrNoVerifier = errors.New("srp: the user has no verifier")

// PoolName is the pool name SRP hashes: the part of the pool ID after the
// underscore, as the clients split it ("us-east-1_AbC123" gives "AbC123").
func PoolName(poolID string) string {
	_, name, _ := strings.Cut(poolID, "_")
	return name
}

// verifierPurpose binds a sealed verifier to its user, so that a verifier
// copied onto another user's record does not open there.
func verifierPurpose(poolID, sub string) string {
	return "srp-verifier:" + poolID + "/" + sub
}

// Verifiers seals the verifiers user records keep, and opens them: a
// verifier lets whoever holds it test password guesses offline, so it is
// never stored in the clear (docs/srp.md). It is safe for concurrent use.
type Verifiers struct {
	s *seal.Sealer
}

// NewVerifiers returns the Verifiers of the master key (seal.KeySize
// bytes), sealing with a key derived from it with KeyLabel, and opening
// with that or the key derived from any previous master key (during a
// rotation of the encryption key).
func NewVerifiers(key []byte, previous ...[]byte) (*Verifiers, error) {
	if len(key) != seal.KeySize {
		return nil, fmt.Errorf("srp: key is %d bytes, want %d", len(key), seal.KeySize)
	}
	s, err := seal.Keys{Current: key, Previous: previous}.Derive(KeyLabel).Sealer()
	if err != nil {
		return nil, fmt.Errorf("srp: %w", err)
	}
	return &Verifiers{s: s}, nil
}

// Seal returns v sealed for the user sub of the pool, as the user record
// stores it. It is cheap (AES-GCM); making v (NewVerifier) is not.
func (vs *Verifiers) Seal(poolID, sub string, v Verifier) (string, error) {
	raw, err := v.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("encode srp verifier: %w", err)
	}
	return vs.s.SealString(verifierPurpose(poolID, sub), raw), nil
}

// Open opens the verifier that Seal sealed for the user. A record without
// one gives NotAuthorizedException with ErrNoVerifier as the cause: the
// user cannot use USER_SRP_AUTH until a password is set again. A verifier
// that does not open (another encryption key than the one it was sealed
// with, or a damaged record) is an InternalErrorException whose cause says
// so; see docs/srp.md on a lost key.
func (vs *Verifiers) Open(poolID, sub, sealed string) (Verifier, error) {
	if sealed == "" {
		return Verifier{}, cognito.NotAuthorizedException(msgIncorrectPassword).WithCause(ErrNoVerifier)
	}
	raw, err := vs.s.OpenString(verifierPurpose(poolID, sub), sealed)
	if err != nil {
		return Verifier{}, cognito.InternalErrorException("Internal error").WithCause(
			fmt.Errorf("open srp verifier of %s/%s (is this the encryption key it was sealed with?): %w", poolID, sub, err))
	}
	var v Verifier
	if err := v.UnmarshalBinary(raw); err != nil {
		return Verifier{}, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("decode srp verifier of %s/%s: %w", poolID, sub, err))
	}
	return v, nil
}

// Reseal re-seals a stored verifier during a key rotation
// (userpool.ResealUserSRPVerifier): a verifier that opens with one of the
// previous keys comes back sealed with the current key, and changed set;
// one sealed with the current key comes back unchanged.
func (vs *Verifiers) Reseal(poolID, sub, sealed string) (string, bool, error) {
	raw, key, err := vs.s.OpenStringKey(verifierPurpose(poolID, sub), sealed)
	if err != nil {
		return "", false, fmt.Errorf("srp verifier of %s/%s opens with no configured key: %w", poolID, sub, err)
	}
	if key == 0 {
		return sealed, false, nil
	}
	return vs.s.SealString(verifierPurpose(poolID, sub), raw), true, nil
}

// deviceVerifierPurpose binds a sealed device verifier to its device and
// user, so that a verifier copied onto another device's record does not
// open there.
func deviceVerifierPurpose(poolID, sub, deviceKey string) string {
	return "srp-device-verifier:" + poolID + "/" + sub + "/" + deviceKey
}

// SealDevice returns the verifier of a remembered device (ConfirmDevice's
// DeviceSecretVerifierConfig) sealed for the device deviceKey of the user
// sub, as the device record stores it.
func (vs *Verifiers) SealDevice(poolID, sub, deviceKey string, v Verifier) (string, error) {
	raw, err := v.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("encode device verifier: %w", err)
	}
	return vs.s.SealString(deviceVerifierPurpose(poolID, sub, deviceKey), raw), nil
}

// OpenDevice opens the verifier SealDevice sealed for the device.
func (vs *Verifiers) OpenDevice(poolID, sub, deviceKey, sealed string) (Verifier, error) {
	raw, err := vs.s.OpenString(deviceVerifierPurpose(poolID, sub, deviceKey), sealed)
	if err != nil {
		return Verifier{}, cognito.InternalErrorException("Internal error").WithCause(
			fmt.Errorf("open device verifier of %s/%s/%s: %w", poolID, sub, deviceKey, err))
	}
	var v Verifier
	if err := v.UnmarshalBinary(raw); err != nil {
		return Verifier{}, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("decode device verifier of %s/%s/%s: %w", poolID, sub, deviceKey, err))
	}
	return v, nil
}

// ResealDevice re-seals a stored device verifier during a key rotation,
// as Reseal does a user's.
func (vs *Verifiers) ResealDevice(poolID, sub, deviceKey, sealed string) (string, bool, error) {
	purpose := deviceVerifierPurpose(poolID, sub, deviceKey)
	raw, key, err := vs.s.OpenStringKey(purpose, sealed)
	if err != nil {
		return "", false, fmt.Errorf("device verifier of %s/%s/%s opens with no configured key: %w", poolID, sub, deviceKey, err)
	}
	if key == 0 {
		return sealed, false, nil
	}
	return vs.s.SealString(purpose, raw), true, nil
}
