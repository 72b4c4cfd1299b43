package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
)

// KeyLabelCodes is the seal.DeriveKey label of the key of the MACs that
// stand for MFA codes (SMS_MFA, EMAIL_OTP) while their challenge is open.
const KeyLabelCodes = "mfa-codes"

// NewCode returns a new six-digit code from crypto/rand.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("mfa: crypto/rand: %v", err)) // never happens on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// CodeHasher makes what is kept of a one-time code: an HMAC-SHA256 under a
// key that is not in the store, bound to the parts given with it (the
// pool, the user and the challenge the code answers).
type CodeHasher struct {
	key []byte
}

// NewCodeHasher returns the hasher of key (a key derived with
// KeyLabelCodes).
func NewCodeHasher(key []byte) CodeHasher { return CodeHasher{key: key} }

// Hash returns the hex MAC of code and its context parts.
func (h CodeHasher) Hash(code string, parts ...string) string {
	m := hmac.New(sha256.New, h.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// Match reports, in constant time, whether hash is Hash(code, parts...).
func (h CodeHasher) Match(hash, code string, parts ...string) bool {
	want := h.Hash(code, parts...)
	return hmac.Equal([]byte(hash), []byte(want))
}
