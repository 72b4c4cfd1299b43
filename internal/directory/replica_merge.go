package directory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/storage"
)

// MergeUserReplicas merges the security state of two states of one user
// item that replication compares (internal/replication's MergeFunc):
// winner is the state the order of changes keeps, loser the other. The
// winner takes from the loser what the loser changed later:
//
//   - the password (hash, SRP verifier, history, temporary expiry) when the
//     loser's was set later, so that a password changed in one region is
//     not undone by an attribute update made concurrently in another;
//   - enabled or disabled, when the loser's was set later
//     (AdminDisableUser, AdminEnableUser, a disabled primary identity), so
//     that a disable is not undone by a concurrent update that never saw it;
//   - the later TOTP time step used of the same secret, so that a code used
//     in one region is not accepted again in another.
//
// It returns a copy of winner with the merged data (and the index entry
// of the status ListUsers filters by), and whether it changed anything.
func MergeUserReplicas(winner, loser *storage.Item) (*storage.Item, bool, error) {
	var w, l userRecord
	if err := json.Unmarshal(winner.Data, &w); err != nil {
		return nil, false, fmt.Errorf("decode user %q: %w", winner.ID, err)
	}
	if err := json.Unmarshal(loser.Data, &l); err != nil {
		return nil, false, fmt.Errorf("decode user %q: %w", loser.ID, err)
	}
	if w.Sub != l.Sub {
		return nil, false, nil
	}
	changed := false
	if l.PasswordSetAt != nil && (w.PasswordSetAt == nil || l.PasswordSetAt.After(*w.PasswordSetAt)) {
		w.PasswordHash, w.PasswordSetAt, w.PasswordHistory = l.PasswordHash, l.PasswordSetAt, l.PasswordHistory
		w.SRPVerifier, w.TemporaryPasswordExpiresAt = l.SRPVerifier, l.TemporaryPasswordExpiresAt
		w.ImportedHash = l.ImportedHash // an imported hash goes when a password is set
		changed = true
	}
	if l.EnabledSetAt != nil && (w.EnabledSetAt == nil || l.EnabledSetAt.After(*w.EnabledSetAt)) {
		w.Enabled, w.EnabledSetAt = l.Enabled, l.EnabledSetAt
		changed = true
	}
	if l.TOTPSecret != "" && l.TOTPSecret == w.TOTPSecret && l.TOTPStep > w.TOTPStep {
		w.TOTPStep = l.TOTPStep
		changed = true
	}
	if !changed {
		return nil, false, nil
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, false, err
	}
	out := *winner
	out.Data = data
	// The status entry follows Enabled (searchableValue); no other entry
	// depends on what the merge takes.
	status := winner.Pool + "/status/"
	out.Index = slices.DeleteFunc(slices.Clone(winner.Index), func(e string) bool { return strings.HasPrefix(e, status) })
	if w.Enabled {
		out.Index = append(out.Index, status+"Enabled")
	} else {
		out.Index = append(out.Index, status+"Disabled")
	}
	slices.Sort(out.Index)
	return &out, true, nil
}
