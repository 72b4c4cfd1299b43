package userpool

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// Lifetimes of the one-time codes sent to users.
const (
	verificationCodeTTL  = 24 * time.Hour
	passwordResetCodeTTL = time.Hour
)

// userCode is a one-time code sent to a user. Only its hash is stored.
type userCode struct {
	// Purpose is a messaging.Purpose* value.
	Purpose string `json:"purpose"`
	// Attribute is the attribute the code went to (email, phone_number).
	Attribute string `json:"attribute"`
	// Hash is the hex SHA-256 of the user's sub, a colon and the code.
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expires_at"`
}

// newCode returns a six-digit one-time code.
func newCode() string { return cognito.RandomString(6, "0123456789") }

func codeHash(sub, code string) string {
	sum := sha256.Sum256([]byte(sub + ":" + code))
	return hex.EncodeToString(sum[:])
}

// addCode records a new code for purpose and attribute on u, replacing an
// earlier one for the same purpose and attribute, and dropping expired ones.
func addCode(u *userRecord, purpose, attr, code string, expires, now time.Time) {
	u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool {
		return (c.Purpose == purpose && c.Attribute == attr) || !c.ExpiresAt.After(now)
	})
	u.Codes = append(u.Codes, userCode{Purpose: purpose, Attribute: attr, Hash: codeHash(u.Sub, code), ExpiresAt: expires})
}

// checkCode reports whether code is the unexpired code u was sent for
// purpose and attribute.
func checkCode(u *userRecord, purpose, attr, code string, now time.Time) bool {
	want := codeHash(u.Sub, code)
	for _, c := range u.Codes {
		if c.Purpose == purpose && c.Attribute == attr && c.ExpiresAt.After(now) &&
			subtle.ConstantTimeCompare([]byte(c.Hash), []byte(want)) == 1 {
			return true
		}
	}
	return false
}
