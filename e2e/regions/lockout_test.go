package regions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/storage"
)

// lockoutAcrossRegions checks that a user's wrong passwords count in every
// region: three in A and two in B lock the user out in B (five in a row,
// as in one region), and a right password in B takes the count back in A
// too, so four more wrong ones in A do not lock the user out.
//
// Each step waits for the share state the next one needs to be applied in
// the region that takes it (shareApplied), not for the streams to be quiet:
// a quiet stream does not prove that an entry still in its region's change
// log, not yet published, has arrived. A failure A counts before B's reset
// arrives is later than the reset, so A's counter is no longer taken back
// and its three failures keep counting (docs/regions.md): the wait is for
// the reset that takes them back, not for any reset of the share.
func lockoutAcrossRegions(t *testing.T, ctx context.Context, natsURL string, a, b *region, poolID, clientID string) {
	t.Helper()
	const user, pass = "guessed", "Right-Horse-7"
	created, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(pass), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	share := poolID + "/lockout/" + attribute(created.User.Attributes, "sub") + "/regions"
	// The user with its password in B: CONFIRMED comes with the password
	// (one state of the user). A sign-in tried before would count a
	// failure in B, and a right one then take it back: waiting this way
	// keeps the counts below to the failures the test makes.
	eventually(t, "the user's password in B", func() error {
		out, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
		if err != nil {
			return err
		}
		if out.UserStatus != types.UserStatusTypeConfirmed {
			return fmt.Errorf("status %s", out.UserStatus)
		}
		return nil
	})
	if _, err := passwordSignIn(ctx, b, clientID, user, pass); err != nil {
		t.Fatalf("the right password in B: %v", err)
	}
	wrong := func(r *region, n int) {
		t.Helper()
		for range n {
			_, err := passwordSignIn(ctx, r, clientID, user, "Wrong-Horse-0")
			var na *types.NotAuthorizedException
			if !errors.As(err, &na) || aws.ToString(na.Message) != "Incorrect username or password." {
				t.Fatalf("a wrong password in %s: %v", r.name, err)
			}
		}
	}
	wrong(a, 3)
	shareApplied(t, ctx, natsURL, a.name, b.name, share, "A's three failures", func(sh lockoutShareState) bool {
		return sh.Regions[a.name].Failures == 3
	})
	wrong(b, 2)
	// The fifth failure in a row, across the regions, locked the user
	// out: B refuses even the right password (one region's count, 2,
	// would not).
	var na *types.NotAuthorizedException
	if _, err := passwordSignIn(ctx, b, clientID, user, pass); !errors.As(err, &na) || aws.ToString(na.Message) != "Password attempts exceeded" {
		t.Fatalf("the right password in B after five failures across regions: %v, want Password attempts exceeded", err)
	}
	// Once the lockout (one second) is over, a right password in B takes
	// the count back everywhere. Attempts refused during the lockout do
	// not count, so the retries do not prolong it.
	eventually(t, "the right password in B after the lockout", func() error {
		_, err := passwordSignIn(ctx, b, clientID, user, pass)
		return err
	})
	shareApplied(t, ctx, natsURL, b.name, a.name, share, "B's reset of A's three failures", func(sh lockoutShareState) bool {
		slot, ok := sh.Regions[a.name]
		return ok && slot.Failures == 3 && sh.ResetAt.After(slot.At)
	})
	// A's own three failures no longer count: four more are not five.
	wrong(a, 4)
	if _, err := passwordSignIn(ctx, a, clientID, user, pass); err != nil {
		t.Fatalf("the right password in A after four failures since B's sign-in: %v", err)
	}
}

// lockoutShareState is the part of a lockout share's data (the replicated
// kind lockout_share) the test reads.
type lockoutShareState struct {
	ResetAt time.Time `json:"reset_at"`
	Regions map[string]struct {
		Failures int       `json:"failures"`
		At       time.Time `json:"at"`
	} `json:"regions"`
}

// shareApplied waits until target has applied an entry of origin's stream
// that writes the lockout share id with a state match accepts: the entry
// is in origin's stream (published), and target's consumer of that stream
// has acknowledged it (applied and committed).
func shareApplied(t *testing.T, ctx context.Context, natsURL, origin, target, id, what string, match func(lockoutShareState) bool) {
	t.Helper()
	nc, err := natsgo.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// next is the first stream sequence not read yet; found the sequence
	// of the entry sought, once read.
	var next, found uint64 = 1, 0
	eventually(t, what+" applied in "+target, func() error {
		s, err := js.Stream(ctx, replication.StreamName(origin))
		if err != nil {
			return err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		next = max(next, info.State.FirstSeq)
		for ; found == 0 && next <= info.State.LastSeq; next++ {
			msg, err := s.GetMsg(ctx, next)
			if err != nil {
				return fmt.Errorf("message %d of %s's stream: %w", next, origin, err)
			}
			var m struct {
				Entity string          `json:"entity"`
				Key    string          `json:"key"`
				State  json.RawMessage `json:"state"`
			}
			if err := json.Unmarshal(msg.Data, &m); err != nil {
				return fmt.Errorf("message %d of %s's stream: %w", next, origin, err)
			}
			if m.Entity != "lockout_share" || m.Key != id || len(m.State) == 0 || string(m.State) == "null" {
				continue
			}
			it, err := storage.DecodeItem(m.State)
			if err != nil {
				return err
			}
			var sh lockoutShareState
			if err := json.Unmarshal(it.Data, &sh); err != nil {
				return fmt.Errorf("lockout share in message %d of %s's stream: %w", next, origin, err)
			}
			if match(sh) {
				found = next
			}
		}
		if found == 0 {
			return fmt.Errorf("not in %s's stream yet (read up to %d)", origin, next-1)
		}
		c, err := s.Consumer(ctx, "apply_"+target)
		if err != nil {
			return err
		}
		ci, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if ci.AckFloor.Stream < found {
			return fmt.Errorf("%s has applied %s's stream up to %d, the entry is %d", target, origin, ci.AckFloor.Stream, found)
		}
		return nil
	})
}
