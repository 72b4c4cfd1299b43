package directory

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// passwordSymbols are the characters Cognito counts as symbols. A space
// counts too when it is neither leading nor trailing (the request model
// rejects leading and trailing white space before the engine sees it).
const passwordSymbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// passwordPolicyError is Cognito's exception for a password that breaks the
// pool's policy.
func passwordPolicyError(reason string) error {
	return cognito.InvalidPasswordException("Password did not conform with policy: " + reason)
}

// checkPassword checks password against the pool's password policy, in the
// order Cognito reports: length, then uppercase, lowercase, numbers and
// symbols. Letters are the basic Latin ones, as in Cognito's policy.
func checkPassword(pp *idp.PasswordPolicyType, password string) error {
	if pp == nil {
		pp = &idp.PasswordPolicyType{}
	}
	minLen := int(cognito.Deref(pp.MinimumLength))
	if pp.MinimumLength == nil {
		minLen = userpool.DefaultMinimumLength
	}
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	switch {
	case len([]rune(password)) < minLen:
		return passwordPolicyError("Password not long enough")
	case cognito.Deref(pp.RequireUppercase) && !upper:
		return passwordPolicyError("Password must have uppercase characters")
	case cognito.Deref(pp.RequireLowercase) && !lower:
		return passwordPolicyError("Password must have lowercase characters")
	case cognito.Deref(pp.RequireNumbers) && !digit:
		return passwordPolicyError("Password must have numeric characters")
	case cognito.Deref(pp.RequireSymbols) && !symbol:
		return passwordPolicyError("Password must have symbol characters")
	}
	return nil
}

// Character classes of generated temporary passwords. Symbols avoid the
// space and the quotes, which are awkward to paste from a message.
const (
	tempUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	tempLower   = "abcdefghijkmnopqrstuvwxyz"
	tempDigits  = "23456789"
	tempSymbols = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
	// minTempPasswordLength is the shortest generated password, whatever
	// the policy's minimum: long enough to resist guessing while it is
	// valid.
	minTempPasswordLength = 12
)

// generateTemporaryPassword returns a random password that satisfies pp:
// at least one character of every class (so it passes whichever classes the
// policy requires), as long as the policy's minimum length and at least
// minTempPasswordLength, drawn with crypto/rand.
func generateTemporaryPassword(pp *idp.PasswordPolicyType) (string, error) {
	n := max(int(cognito.Deref(pp.MinimumLength)), minTempPasswordLength)
	classes := []string{tempUpper, tempLower, tempDigits, tempSymbols}
	all := strings.Join(classes, "")
	out := make([]rune, 0, n)
	for _, c := range classes {
		r, err := randomChar(c)
		if err != nil {
			return "", err
		}
		out = append(out, r)
	}
	for len(out) < n {
		r, err := randomChar(all)
		if err != nil {
			return "", err
		}
		out = append(out, r)
	}
	// Shuffle, so the classes are not in a fixed order (Fisher-Yates).
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", cognito.Internal(fmt.Errorf("temporary password: %w", err))
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func randomChar(alphabet string) (rune, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
	if err != nil {
		return 0, cognito.Internal(fmt.Errorf("temporary password: %w", err))
	}
	return rune(alphabet[i.Int64()]), nil
}

// passwordReused reports whether password matches the current password or
// one of the history the pool's PasswordHistorySize remembers. It hashes
// once per remembered password: call it outside a storage transaction.
func (s *Service) passwordReused(ctx context.Context, pp *idp.PasswordPolicyType, u *userRecord, password string) (bool, error) {
	size := int(cognito.Deref(pp.PasswordHistorySize))
	if size <= 0 {
		return false, nil
	}
	hashes := append([]string{u.PasswordHash}, u.PasswordHistory...)
	if len(hashes) > size {
		hashes = hashes[:size]
	}
	for _, h := range hashes {
		if h == "" {
			continue
		}
		if ok, err := s.passwords.Verify(ctx, h, password); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// passwordHistoryError is Cognito's exception for a password the history
// policy forbids.
func passwordHistoryError() error {
	return cognito.PasswordHistoryPolicyViolationException("The password history policy was violated.")
}

// setPassword records a new password hash on u, pushing the previous one
// into the history the pool keeps (PasswordHistorySize counts the current
// password, so the history keeps one fewer).
func setPassword(pp *idp.PasswordPolicyType, u *userRecord, hash string, at time.Time) {
	size := int(cognito.Deref(pp.PasswordHistorySize))
	if u.PasswordHash != "" && size > 1 {
		u.PasswordHistory = append([]string{u.PasswordHash}, u.PasswordHistory...)
	}
	if keep := max(size-1, 0); len(u.PasswordHistory) > keep {
		u.PasswordHistory = u.PasswordHistory[:keep]
	}
	if len(u.PasswordHistory) == 0 {
		u.PasswordHistory = nil
	}
	u.PasswordHash = hash
	u.ImportedHash = ""
	t := at
	u.PasswordSetAt = &t
}
