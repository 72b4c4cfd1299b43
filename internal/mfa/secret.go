package mfa

import (
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/seal"
)

// KeyLabelTOTP is the label of the key that seals TOTP secrets at rest:
// seal.DeriveKey(master, KeyLabelTOTP).
const KeyLabelTOTP = "totp-secret"

func secretPurpose(poolID, sub string) string { return "totp/" + poolID + "/" + sub }

// Secrets seals the TOTP secrets user records keep, and opens them: a
// secret sealed for one user does not open for another.
type Secrets struct {
	s *seal.Sealer
}

// NewSecrets returns the Secrets of the master key (seal.KeySize bytes),
// sealing with a key derived from it with KeyLabelTOTP, and opening with
// that or the key derived from any previous master key.
func NewSecrets(key []byte, previous ...[]byte) (*Secrets, error) {
	if len(key) != seal.KeySize {
		return nil, fmt.Errorf("mfa: key is %d bytes, want %d", len(key), seal.KeySize)
	}
	s, err := seal.Keys{Current: key, Previous: previous}.Derive(KeyLabelTOTP).Sealer()
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	return &Secrets{s: s}, nil
}

// Seal seals the TOTP secret of the user sub of poolID.
func (ss *Secrets) Seal(poolID, sub, secret string) string {
	return ss.s.SealString(secretPurpose(poolID, sub), []byte(secret))
}

// ErrSecret is the cause Open records for a sealed secret that opens with
// no configured key, or for another user.
var ErrSecret = errors.New("mfa: TOTP secret does not open")

// Open opens the TOTP secret of the user sub of poolID.
func (ss *Secrets) Open(poolID, sub, sealed string) (string, error) {
	b, err := ss.s.OpenString(secretPurpose(poolID, sub), sealed)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSecret, err)
	}
	return string(b), nil
}

// Reseal returns sealed sealed again with the current key when it opened
// with a previous one (changed true), or as it was.
func (ss *Secrets) Reseal(poolID, sub, sealed string) (string, bool, error) {
	purpose := secretPurpose(poolID, sub)
	b, key, err := ss.s.OpenStringKey(purpose, sealed)
	if err != nil {
		return "", false, fmt.Errorf("%w: %v", ErrSecret, err)
	}
	if key == 0 {
		return sealed, false, nil
	}
	return ss.s.SealString(purpose, b), true, nil
}
