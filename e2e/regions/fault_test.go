package regions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// TestPartition cuts every region off NATS (the server stops), keeps
// writing in all three, conflicting writes to the same users included,
// kills one region with SIGKILL while its writes are unpublished, restarts
// it, brings NATS back, and checks against a model of the acknowledged
// writes that every one is present or was overridden by a documented rule,
// that no deleted user, disabled user or old password comes back, and that
// the three stores end identical.
func TestPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	ctx := context.Background()
	natsDir := t.TempDir()
	nats, err := replication.StartEmbedded("127.0.0.1:0", natsDir)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(nats.URL())
	if err != nil {
		t.Fatal(err)
	}
	natsListen := u.Host
	defer func() { nats.Close() }()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rs []*region
	for _, name := range regions {
		r := startRegion(t, bin, nats.URL(), name, t.TempDir(), "sqlite")
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]

	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("partitioned")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	const shared, oldPassword, newPassword = 5, "Shared-Pass-0", "Changed-in-B-1"
	for i := range shared {
		name := fmt.Sprintf("s%d", i)
		if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: poolID, Username: aws.String(name),
			Password: aws.String(oldPassword), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rs {
		eventually(t, "the shared users in "+r.name, func() error {
			_, err := passwordSignIn(ctx, r, clientID, fmt.Sprintf("s%d", shared-1), oldPassword)
			return err
		})
	}

	// The partition: NATS stops; every region goes on serving writes.
	nats.Close()
	acked, conflicts := 0, 0
	own := map[string][]string{}
	// The security changes first: a password change in B, a disable in
	// C, a deletion in A.
	if _, err := b.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: poolID, Username: aws.String("s0"),
		Password: aws.String(newPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: poolID, Username: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: poolID, Username: aws.String("s2")}); err != nil {
		t.Fatal(err)
	}
	acked += 3
	// Then, in every region, users of its own and an update of every
	// shared user, later than those changes and conflicting with the
	// other regions' updates.
	write := func(r *region) {
		for i := range 10 {
			name := fmt.Sprintf("%s-%d", r.name, i)
			if _, err := r.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String(name),
				MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
			own[r.name] = append(own[r.name], name)
			acked++
		}
		for i := range shared {
			_, err := r.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: poolID, Username: aws.String(fmt.Sprintf("s%d", i)),
				UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String(r.name)}}})
			var nf *types.UserNotFoundException
			if errors.As(err, &nf) && i == 2 && r == a {
				continue // deleted here
			}
			if err != nil {
				t.Fatal(err)
			}
			acked++
			conflicts++
		}
	}
	for _, r := range rs {
		write(r)
	}
	// Cut off, a region still serves: /ready stays 200 and reports the
	// lost connection and the entries waiting to be published.
	eventually(t, "/ready of A reports the partition", func() error {
		code, body, err := ready(a)
		if err != nil {
			return err
		}
		rep := body.Replication
		if code != 200 || body.Status != "ready" || rep.Connected || rep.Unpublished == 0 {
			return fmt.Errorf("%d %s %+v", code, body.Status, *rep)
		}
		for p, ps := range rep.Peers {
			if ps.Reachable {
				return fmt.Errorf("peer %s reachable", p)
			}
		}
		if v, err := metric(a, "cognate_replication_connected"); err != nil || v != 0 {
			return fmt.Errorf("cognate_replication_connected %v %v", v, err)
		}
		if v, err := metric(a, "cognate_replication_unpublished_entries"); err != nil || v == 0 {
			return fmt.Errorf("cognate_replication_unpublished_entries %v %v", v, err)
		}
		return nil
	})

	// C dies without a word while its writes are unpublished, and comes
	// back on its store.
	if err := c.srv.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.srv.Cmd.Wait()
	c.srv = nil
	// NATS comes back on its address and streams; C restarts meanwhile
	// (it waits for NATS at start).
	nats, err = replication.StartEmbedded(natsListen, natsDir)
	if err != nil {
		t.Fatal(err)
	}
	restarted := startRegion(t, bin, nats.URL(), c.name, c.dir, "sqlite")
	c.srv, c.c = restarted.srv, restarted.c

	// Convergence: the same users everywhere.
	var want string
	eventually(t, "the regions converge", func() error {
		var lists []string
		for _, r := range rs {
			l, err := listUsers(ctx, r, aws.ToString(poolID))
			if err != nil {
				return err
			}
			lists = append(lists, l)
		}
		for i, l := range lists[1:] {
			if l != lists[0] {
				return fmt.Errorf("%s lists %s, %s lists %s", rs[0].name, lists[0], rs[i+1].name, l)
			}
		}
		want = lists[0]
		return nil
	})

	// The model: every region's own users are everywhere; s2 stays
	// deleted, s1 disabled; s0 signs in with B's password and not with
	// the old one, in every region; every shared user's name is one of
	// the regions' updates.
	lost := 0
	for _, r := range rs {
		for _, name := range own {
			for _, n := range name {
				if !strings.Contains(want, n+" ") {
					t.Errorf("%s: acknowledged user %s is missing", r.name, n)
					lost++
				}
			}
		}
		if strings.Contains(want, "s2 ") {
			t.Errorf("the deleted user s2 came back")
		}
		if _, err := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("s1")}); err != nil {
			t.Fatal(err)
		} else if u, _ := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("s1")}); u.Enabled {
			t.Errorf("%s: the disabled user s1 is enabled again", r.name)
		}
		var na *types.NotAuthorizedException
		if _, err := passwordSignIn(ctx, r, clientID, "s0", oldPassword); !errors.As(err, &na) {
			t.Errorf("%s: s0's old password: %v, want NotAuthorizedException", r.name, err)
		}
		if _, err := passwordSignIn(ctx, r, clientID, "s0", newPassword); err != nil {
			t.Errorf("%s: s0's new password: %v", r.name, err)
		}
		if _, err := passwordSignIn(ctx, r, clientID, "s1", oldPassword); !errors.As(err, &na) {
			t.Errorf("%s: the disabled s1 signs in: %v", r.name, err)
		}
	}
	for _, s := range []string{"s0", "s1", "s3", "s4"} {
		i := strings.Index(want, s+" ")
		if i < 0 {
			t.Errorf("shared user %s is missing", s)
			continue
		}
		entry := want[i:]
		entry = entry[:strings.Index(entry, "];")]
		if !strings.Contains(entry, "name=us-east-1 ") && !strings.Contains(entry, "name=eu-west-1 ") && !strings.Contains(entry, "name=ap-southeast-2 ") {
			t.Errorf("shared user %s has none of the regions' names: %s", s, entry)
		}
	}

	quiesce(t, nats.URL())
	checkCaughtUp(t, bin, nats.URL(), rs)
	for _, r := range rs {
		r.stop(t)
	}
	var digests []string
	for _, r := range rs {
		d, n := sqliteDigest(t, r)
		t.Logf("%s: %d items and pools, digest %s", r.name, n, d)
		digests = append(digests, d)
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("digests differ: %v", digests)
	}
	t.Logf("writes acknowledged: %d, conflicting writes: %d, lost: %d", acked, conflicts, lost)
}

// quiesce waits until every region has applied every entry of the other
// regions' streams, and the streams have stopped growing for a moment (so
// that entries still being published are in them).
func quiesce(t testing.TB, natsURL string) {
	t.Helper()
	ctx := context.Background()
	nc, err := natsgo.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	stable := 0
	eventually(t, "the streams applied everywhere", func() error {
		var state strings.Builder
		for _, origin := range regions {
			s, err := js.Stream(ctx, replication.StreamName(origin))
			if err != nil {
				return err
			}
			info, err := s.Info(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(&state, "%s:%d ", origin, info.State.LastSeq)
			for _, r := range regions {
				if r == origin {
					continue
				}
				ci, err := s.Consumer(ctx, "apply_"+r)
				if err != nil {
					return err
				}
				cinfo, err := ci.Info(ctx)
				if err != nil {
					return err
				}
				if cinfo.AckFloor.Stream != info.State.LastSeq {
					stable = 0
					return fmt.Errorf("%s has applied %s's stream up to %d of %d", r, origin, cinfo.AckFloor.Stream, info.State.LastSeq)
				}
			}
		}
		if state.String() != last {
			last, stable = state.String(), 0
			return errors.New("the streams grew")
		}
		if stable++; stable < 10 {
			return errors.New("waiting for the streams to stay still")
		}
		return nil
	})
}
