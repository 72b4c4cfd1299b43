package authflow

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

func shareItem(t *testing.T, sh lockoutShare, updated time.Time) *storage.Item {
	t.Helper()
	data, err := json.Marshal(sh)
	if err != nil {
		t.Fatal(err)
	}
	return &storage.Item{Kind: LockoutShareItemKind, ID: shareID(lockoutID("us-east-1_p", "sub")), Pool: "us-east-1_p",
		Data: data, CreatedAt: updated, UpdatedAt: updated, Version: 3}
}

// TestMergeLockoutShareReplicas checks that two states of a share merge
// slot by slot (the later write of each region's slot, the later reset),
// the same whichever state wins, and that a merge that adds nothing
// reports no change.
func TestMergeLockoutShareReplicas(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	us := shareItem(t, lockoutShare{Regions: map[string]lockoutSlot{
		"us-east-1": {Failures: 3, At: t0.Add(3 * time.Second)},
		"eu-west-1": {Failures: 1, At: t0.Add(time.Second)},
	}}, t0.Add(3*time.Second))
	eu := shareItem(t, lockoutShare{Regions: map[string]lockoutSlot{
		"us-east-1": {Failures: 1, At: t0.Add(time.Second)},
		"eu-west-1": {Failures: 2, LockedUntil: t0.Add(5 * time.Second), At: t0.Add(4 * time.Second)},
	}}, t0.Add(4*time.Second))
	want := lockoutShare{Regions: map[string]lockoutSlot{
		"us-east-1": {Failures: 3, At: t0.Add(3 * time.Second)},
		"eu-west-1": {Failures: 2, LockedUntil: t0.Add(5 * time.Second), At: t0.Add(4 * time.Second)},
	}}
	var states []string
	for _, pair := range [][2]*storage.Item{{us, eu}, {eu, us}} {
		merged, changed, err := MergeLockoutShareReplicas(pair[0], pair[1])
		if err != nil || !changed {
			t.Fatalf("merge: %v, changed %v", err, changed)
		}
		var got lockoutShare
		if err := json.Unmarshal(merged.Data, &got); err != nil {
			t.Fatal(err)
		}
		if n, _ := got.others("ap-southeast-2"); n != 5 {
			t.Errorf("merged counts %d failures, want 5: %+v", n, got)
		}
		if merged.Version != pair[0].Version || merged.ID != pair[0].ID || !merged.UpdatedAt.Equal(t0.Add(4*time.Second)) {
			t.Errorf("merged item %+v", merged)
		}
		states = append(states, string(merged.Data))
		wantData, _ := json.Marshal(want)
		if string(merged.Data) != string(wantData) {
			t.Errorf("merged %s, want %s", merged.Data, wantData)
		}
	}
	if states[0] != states[1] {
		t.Errorf("the merge depends on the winner: %s, %s", states[0], states[1])
	}

	// Nothing newer in the loser: no change.
	if _, changed, err := MergeLockoutShareReplicas(eu, shareItem(t, lockoutShare{Regions: map[string]lockoutSlot{
		"eu-west-1": {Failures: 1, At: t0.Add(time.Second)}}}, t0)); err != nil || changed {
		t.Errorf("an older loser changed the winner: %v %v", changed, err)
	}

	// A reset made later takes back every slot written before it.
	reset := shareItem(t, lockoutShare{ResetAt: t0.Add(10 * time.Second), Regions: map[string]lockoutSlot{
		"eu-west-1": {At: t0.Add(10 * time.Second)}}}, t0.Add(10*time.Second))
	merged, changed, err := MergeLockoutShareReplicas(us, reset)
	if err != nil || !changed {
		t.Fatalf("merge the reset: %v %v", changed, err)
	}
	var got lockoutShare
	if err := json.Unmarshal(merged.Data, &got); err != nil {
		t.Fatal(err)
	}
	if n, until := got.others("ap-southeast-2"); n != 0 || !until.IsZero() || got.counts() {
		t.Errorf("after the reset: %d failures until %v: %+v", n, until, got)
	}
	// A failure written after the reset counts again.
	got.Regions["us-east-1"] = lockoutSlot{Failures: 1, At: t0.Add(11 * time.Second)}
	if n, _ := got.others("eu-west-1"); n != 1 {
		t.Errorf("a failure after the reset counts %d", n)
	}
}
