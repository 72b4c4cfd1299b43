package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length in bytes of every key this package takes: AES-256.
const KeySize = 32

// nonceSize and tagSize are GCM's standard nonce and tag lengths.
const (
	nonceSize = 12
	tagSize   = 16
)

// Overhead is how many bytes Seal adds to a plaintext: the nonce and the
// authentication tag.
const Overhead = nonceSize + tagSize

// ErrOpen is returned by Open and OpenString for every sealed value that
// does not authenticate: tampered, truncated, sealed for another purpose or
// with another key, or not base64. The reasons are deliberately not told
// apart.
var ErrOpen = errors.New("seal: message authentication failed")

// Sealer seals and opens values with one AES-256-GCM key. It is safe for
// concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for key, which must be exactly KeySize bytes.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext and binds it to purpose, returning nonce ||
// ciphertext || tag. The nonce is 96 random bits, so one key can seal
// about 2^32 values before the chance of a repeated nonce matters (NIST
// SP 800-38D, section 8.3); derive a key per use with DeriveKey.
func (s *Sealer) Seal(purpose string, plaintext []byte) []byte {
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	rand.Read(out) // crypto/rand.Read never fails; it crashes the program instead
	return s.aead.Seal(out, out, plaintext, []byte(purpose))
}

// Open authenticates and decrypts a value that Seal returned for the same
// purpose. Any failure is ErrOpen.
func (s *Sealer) Open(purpose string, sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpen
	}
	plaintext, err := s.aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// SealString is Seal encoded with standard base64, the form that goes on
// the wire (SECRET_BLOCK, Session).
func (s *Sealer) SealString(purpose string, plaintext []byte) string {
	return base64.StdEncoding.EncodeToString(s.Seal(purpose, plaintext))
}

// OpenString opens a value that SealString returned for the same purpose.
// Any failure, including input that is not standard base64, is ErrOpen.
func (s *Sealer) OpenString(purpose, sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return s.Open(purpose, raw)
}

// DeriveKey returns a KeySize-byte subkey of master for label with
// HKDF-SHA256 (RFC 5869: no salt, label as the info), so one configured
// master key yields independent keys per use: a value sealed with one
// label's key does not open with another's. The same master and label
// always give the same key.
//
// DeriveKey returns nil only if HKDF refuses master, which happens in FIPS
// 140-only mode for a master key shorter than 112 bits; New rejects a nil
// key, so the failure surfaces where the key is used.
func DeriveKey(master []byte, label string) []byte {
	key, err := hkdf.Key(sha256.New, master, nil, label, KeySize)
	if err != nil {
		return nil
	}
	return key
}
