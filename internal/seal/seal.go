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

// Sealer seals values with one AES-256-GCM key, the current one, and opens
// values sealed with it or with any of the previous keys it was given, so
// that values sealed before a key rotation keep opening until they are
// sealed again. It is safe for concurrent use.
type Sealer struct {
	// aeads holds the current key's AEAD first, then the previous keys'
	// in the order given.
	aeads []cipher.AEAD
}

// New returns a Sealer that seals with key and opens with key or any of
// previous. Every key must be exactly KeySize bytes.
func New(key []byte, previous ...[]byte) (*Sealer, error) {
	s := &Sealer{aeads: make([]cipher.AEAD, 0, 1+len(previous))}
	for i, k := range append([][]byte{key}, previous...) {
		if len(k) != KeySize {
			if i == 0 {
				return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(k))
			}
			return nil, fmt.Errorf("seal: previous key %d must be %d bytes, got %d", i, KeySize, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Seal encrypts plaintext and binds it to purpose, returning nonce ||
// ciphertext || tag. The nonce is 96 random bits, so one key can seal
// about 2^32 values before the chance of a repeated nonce matters (NIST
// SP 800-38D, section 8.3); derive a key per use with DeriveKey.
func (s *Sealer) Seal(purpose string, plaintext []byte) []byte {
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	rand.Read(out) // crypto/rand.Read never fails; it crashes the program instead
	return s.aeads[0].Seal(out, out, plaintext, []byte(purpose))
}

// Open authenticates and decrypts a value that Seal returned for the same
// purpose, with the current key or a previous one. Any failure is ErrOpen.
func (s *Sealer) Open(purpose string, sealed []byte) ([]byte, error) {
	plaintext, _, err := s.OpenKey(purpose, sealed)
	return plaintext, err
}

// OpenKey is Open that also tells which key opened the value: 0 for the
// current key, i for the i-th previous key given to New. A value that
// opens with a key other than 0 should be sealed again with the current
// key before the previous one is dropped. Any failure is ErrOpen, with
// key -1.
func (s *Sealer) OpenKey(purpose string, sealed []byte) (plaintext []byte, key int, err error) {
	if len(sealed) < Overhead {
		return nil, -1, ErrOpen
	}
	for i, aead := range s.aeads {
		plaintext, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], []byte(purpose))
		if err == nil {
			return plaintext, i, nil
		}
	}
	return nil, -1, ErrOpen
}

// Keys reports how many keys s opens with: the current one and the
// previous ones.
func (s *Sealer) Keys() int { return len(s.aeads) }

// SealString is Seal encoded with standard base64, the form that goes on
// the wire (SECRET_BLOCK, Session).
func (s *Sealer) SealString(purpose string, plaintext []byte) string {
	return base64.StdEncoding.EncodeToString(s.Seal(purpose, plaintext))
}

// OpenString opens a value that SealString returned for the same purpose.
// Any failure, including input that is not standard base64, is ErrOpen.
func (s *Sealer) OpenString(purpose, sealed string) ([]byte, error) {
	plaintext, _, err := s.OpenStringKey(purpose, sealed)
	return plaintext, err
}

// OpenStringKey is OpenString that also tells which key opened the value,
// as OpenKey does.
func (s *Sealer) OpenStringKey(purpose, sealed string) ([]byte, int, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, -1, ErrOpen
	}
	return s.OpenKey(purpose, raw)
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
