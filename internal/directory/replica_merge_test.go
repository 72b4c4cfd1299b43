package directory

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMergeUserReplicas(t *testing.T) {
	early, late := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	base := func(name string, setAt time.Time, hash string, step int64) userRecord {
		return userRecord{Username: "alice", Sub: "sub-1", Attributes: map[string]string{"name": name}, Enabled: true,
			PasswordHash: hash, PasswordSetAt: &setAt, SRPVerifier: "v-" + hash, TOTPSecret: "sealed", TOTPStep: step}
	}
	tests := []struct {
		name          string
		winner, loser userRecord
		want          *userRecord
	}{
		{
			name:   "the loser's later password is kept, the winner's attributes too",
			winner: base("Winner", early, "old", 0),
			loser:  base("Loser", late, "new", 0),
			want:   new(base("Winner", late, "new", 0)),
		},
		{
			name:   "the winner's later password stays",
			winner: base("Winner", late, "new", 0),
			loser:  base("Loser", early, "old", 0),
		},
		{
			name:   "the later TOTP step of the same secret is kept",
			winner: base("Winner", early, "old", 100),
			loser:  base("Loser", early, "old", 101),
			want:   new(base("Winner", early, "old", 101)),
		},
		{
			name:   "another user under the same ID is left alone",
			winner: base("Winner", early, "old", 0),
			loser:  func() userRecord { u := base("Loser", late, "new", 0); u.Sub = "sub-2"; return u }(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := json.Marshal(tc.winner)
			l, _ := json.Marshal(tc.loser)
			merged, changed, err := MergeUserReplicas(w, l)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (tc.want != nil) {
				t.Fatalf("changed = %v, want %v", changed, tc.want != nil)
			}
			if !changed {
				return
			}
			var got userRecord
			if err := json.Unmarshal(merged, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*tc.want, got, cmp.AllowUnexported(userRecord{})); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
		})
	}
}
