package directory

import (
	"encoding/json"
	"testing"

	"github.com/cognate-dev/cognate/internal/storage"
)

// TestMergeTOTPStepReplicas keeps the later TOTP step of two replicas of
// a user's totp_step item, whichever the order of changes keeps.
func TestMergeTOTPStepReplicas(t *testing.T) {
	item := func(step int64) *storage.Item {
		data, _ := json.Marshal(totpStepRecord{Step: step})
		return &storage.Item{Kind: TOTPStepItemKind, ID: "sub-1", Pool: "us-east-1_abcdefghi", Data: data, Version: 3}
	}
	tests := []struct {
		name          string
		winner, loser int64
		want          int64 // 0: the winner unchanged
	}{
		{name: "the loser's later step is kept", winner: 100, loser: 101, want: 101},
		{name: "the winner's later step stays", winner: 101, loser: 100},
		{name: "the same step changes nothing", winner: 100, loser: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := MergeTOTPStepReplicas(item(tc.winner), item(tc.loser))
			if err != nil {
				t.Fatal(err)
			}
			if changed != (tc.want != 0) {
				t.Fatalf("changed = %v, want %v", changed, tc.want != 0)
			}
			if !changed {
				return
			}
			var rec totpStepRecord
			if err := json.Unmarshal(got.Data, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Step != tc.want || got.Version != 3 || got.ID != "sub-1" {
				t.Errorf("merged = step %d, version %d, ID %q; want step %d of the winner's item", rec.Step, got.Version, got.ID, tc.want)
			}
		})
	}
	if _, _, err := MergeTOTPStepReplicas(item(1), &storage.Item{Data: []byte("{")}); err == nil {
		t.Error("a malformed loser merged without an error")
	}
}
