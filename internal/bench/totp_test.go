package bench

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/mfa"
)

// TestCodeStep checks the TOTP scenario's choice of a code: a user picked
// while it had a step left answers, whenever its answer is made, with a
// step after its last one that the server takes for codeMargin after.
func TestCodeStep(t *testing.T) {
	period := int64(mfa.Period / time.Second)
	base := time.Unix(1_000*period, 0)
	checked := 0
	for picked := base; picked.Before(base.Add(2 * mfa.Period)); picked = picked.Add(250 * time.Millisecond) {
		cur := mfa.Step(picked)
		for last := cur - 4; last <= cur+mfa.Skew; last++ {
			if codeStep(last, picked) > cur+mfa.Skew {
				continue // no step left: the worker waits and picks again
			}
			// The answer is made up to a whole step after the pick.
			for made := picked; made.Before(picked.Add(mfa.Period)); made = made.Add(500 * time.Millisecond) {
				step := codeStep(last, made)
				if step <= last {
					t.Fatalf("last %d, picked %v, made %v: step %d reuses a step", last, picked, made, step)
				}
				for arrives := made; arrives.Before(made.Add(codeMargin)); arrives = arrives.Add(250 * time.Millisecond) {
					now := mfa.Step(arrives)
					if step < now-mfa.Skew || step > now+mfa.Skew {
						t.Fatalf("last %d, picked %v, made %v: step %d not taken at %v (step %d)", last, picked, made, step, arrives, now)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no case checked")
	}
	t.Logf("%d answers checked", checked)
}
