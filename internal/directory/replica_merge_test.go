package directory

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

func TestMergeUserReplicas(t *testing.T) {
	early, late := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	const pool = "us-east-1_abcdefghi"
	base := func(name string, setAt time.Time, hash string, step int64) userRecord {
		return userRecord{Username: "alice", Sub: "sub-1", Attributes: map[string]string{"name": name}, Enabled: true,
			PasswordHash: hash, PasswordSetAt: &setAt, SRPVerifier: "v-" + hash, TOTPSecret: "sealed", TOTPStep: step}
	}
	disabled := func(u userRecord, at time.Time) userRecord {
		u.Enabled, u.EnabledSetAt = false, &at
		return u
	}
	item := func(u userRecord) *storage.Item {
		data, _ := json.Marshal(u)
		status := "Enabled"
		if !u.Enabled {
			status = "Disabled"
		}
		return &storage.Item{Kind: UserItemKind, ID: pool + "/sub-1", Pool: pool, Data: data,
			Keys: []string{pool + "/username/alice"}, Index: []string{pool + "/name/x", pool + "/status/" + status, pool + "/username/alice"}}
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
			name:   "a disable the winner never saw is kept",
			winner: base("Winner", early, "old", 0),
			loser:  disabled(base("Loser", early, "old", 0), late),
			want:   new(disabled(base("Winner", early, "old", 0), late)),
		},
		{
			name:   "a later enable wins over an earlier disable",
			winner: func() userRecord { u := base("Winner", early, "old", 0); u.EnabledSetAt = &late; return u }(),
			loser:  disabled(base("Loser", early, "old", 0), early),
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
			merged, changed, err := MergeUserReplicas(item(tc.winner), item(tc.loser))
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
			if err := json.Unmarshal(merged.Data, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*tc.want, got, cmp.AllowUnexported(userRecord{})); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(item(*tc.want).Index, merged.Index); diff != "" {
				t.Errorf("index (-want +got):\n%s", diff)
			}
		})
	}
}
