package authflow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/seal"
)

// ErrNoSRPVerifier is the cause OpenSRPVerifier records for a user record
// that keeps no verifier (one made before verifiers were kept, or without
// a password).
var ErrNoSRPVerifier = errors.New("srp: the user has no verifier")

// SRPPoolName is the pool name SRP hashes: the part of the pool ID after
// the underscore, as the clients split it ("us-east-1_AbC123" gives
// "AbC123").
func SRPPoolName(poolID string) string {
	_, name, _ := strings.Cut(poolID, "_")
	return name
}

// srpVerifierPurpose binds a sealed verifier to its user, so that a
// verifier copied onto another user's record does not open there.
func srpVerifierPurpose(poolID, sub string) string {
	return "srp-verifier:" + poolID + "/" + sub
}

// SRPVerifierSealer returns the function the user-pool service calls
// wherever a password is set (userpool.Options.SRPVerifier): it makes a
// verifier for the password with a fresh salt and returns it sealed for
// the user, as the record stores it. username is the internal username,
// the USER_ID_FOR_SRP that clients hash. s should be a sealer of its own,
// keyed with seal.DeriveKey(master, "srp-verifier").
func SRPVerifierSealer(s *seal.Sealer) func(poolID, sub, username, password string) (string, error) {
	return func(poolID, sub, username, password string) (string, error) {
		v, err := NewSRPVerifier(SRPPoolName(poolID), username, password)
		if err != nil {
			return "", err
		}
		raw, err := v.MarshalBinary()
		if err != nil {
			return "", fmt.Errorf("encode srp verifier: %w", err)
		}
		return s.SealString(srpVerifierPurpose(poolID, sub), raw), nil
	}
}

// OpenSRPVerifier opens the verifier that SRPVerifierSealer's function
// made for the user. A record without one gives NotAuthorizedException
// with ErrNoSRPVerifier as the cause: the user cannot use USER_SRP_AUTH
// until a password is set again. A verifier that does not open (another
// encryption key than the one it was sealed with, or a damaged record) is
// an InternalErrorException whose cause says so; see docs/srp.md on a
// lost key.
func OpenSRPVerifier(s *seal.Sealer, poolID, sub, sealed string) (SRPVerifier, error) {
	if sealed == "" {
		return SRPVerifier{}, cognito.NotAuthorizedException(msgIncorrectPassword).WithCause(ErrNoSRPVerifier)
	}
	raw, err := s.OpenString(srpVerifierPurpose(poolID, sub), sealed)
	if err != nil {
		return SRPVerifier{}, cognito.InternalErrorException("Internal error").WithCause(
			fmt.Errorf("open srp verifier of %s/%s (is this the encryption key it was sealed with?): %w", poolID, sub, err))
	}
	var v SRPVerifier
	if err := v.UnmarshalBinary(raw); err != nil {
		return SRPVerifier{}, cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("decode srp verifier of %s/%s: %w", poolID, sub, err))
	}
	return v, nil
}

// ResealSRPVerifier returns the function that re-seals a stored verifier
// during a key rotation (userpool.ResealUserSRPVerifier): a verifier that
// opens with one of s's previous keys comes back sealed with its current
// key, and changed set; one sealed with the current key comes back
// unchanged.
func ResealSRPVerifier(s *seal.Sealer) func(poolID, sub, sealed string) (string, bool, error) {
	return func(poolID, sub, sealed string) (string, bool, error) {
		raw, key, err := s.OpenStringKey(srpVerifierPurpose(poolID, sub), sealed)
		if err != nil {
			return "", false, fmt.Errorf("srp verifier of %s/%s opens with no configured key: %w", poolID, sub, err)
		}
		if key == 0 {
			return sealed, false, nil
		}
		return s.SealString(srpVerifierPurpose(poolID, sub), raw), true, nil
	}
}
