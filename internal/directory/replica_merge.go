package directory

import (
	"encoding/json"
	"fmt"
)

// MergeUserReplicas merges the security state of two states of one user
// that replication compares (internal/replication's MergeFunc): winner is
// the state the order of changes keeps, loser the other. The winner takes
// the loser's password (hash, SRP verifier, history, temporary expiry) when
// the loser's was set later, so that a password changed in one region is
// not undone by an attribute update made concurrently in another, and the
// later of the two TOTP steps used of the same secret, so that a code used
// in one region is not accepted again in another. It reports whether it
// changed the winner.
func MergeUserReplicas(winner, loser []byte) ([]byte, bool, error) {
	var w, l userRecord
	if err := json.Unmarshal(winner, &w); err != nil {
		return nil, false, fmt.Errorf("decode user: %w", err)
	}
	if err := json.Unmarshal(loser, &l); err != nil {
		return nil, false, fmt.Errorf("decode user: %w", err)
	}
	if w.Sub != l.Sub {
		return nil, false, nil
	}
	changed := false
	if l.PasswordSetAt != nil && (w.PasswordSetAt == nil || l.PasswordSetAt.After(*w.PasswordSetAt)) {
		w.PasswordHash, w.PasswordSetAt, w.PasswordHistory = l.PasswordHash, l.PasswordSetAt, l.PasswordHistory
		w.SRPVerifier, w.TemporaryPasswordExpiresAt = l.SRPVerifier, l.TemporaryPasswordExpiresAt
		changed = true
	}
	if l.TOTPSecret != "" && l.TOTPSecret == w.TOTPSecret && l.TOTPStep > w.TOTPStep {
		w.TOTPStep = l.TOTPStep
		changed = true
	}
	if !changed {
		return nil, false, nil
	}
	out, err := json.Marshal(w)
	return out, err == nil, err
}
