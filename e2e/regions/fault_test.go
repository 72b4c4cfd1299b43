package regions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
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
	partition(t, func(*testing.T) string { return "sqlite" }, sqliteDigest)
}

// TestPartitionPostgres is TestPartition with a PostgreSQL database (a
// schema of the test server) for each region.
func TestPartitionPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	partition(t, func(t *testing.T) string { return storagetest.PostgresSchema(t) }, postgresDigest)
}

// partition runs the partition drill on the databases database makes, and
// compares the stores with digest once they are stopped.
func partition(t *testing.T, database func(t *testing.T) string, digest func(t *testing.T, r *region) (string, int)) {
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
		r := startRegion(t, bin, nats.URL(), name, t.TempDir(), database(t))
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
	// A session of s3 through a client that rotates refresh tokens, known
	// in every region: the partition revokes it in A while B rotates it.
	rotating, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("rotating"),
		ExplicitAuthFlows:    []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(0)}})
	if err != nil {
		t.Fatal(err)
	}
	rotatingID := aws.ToString(rotating.UserPoolClient.ClientId)
	session, err := passwordSignIn(ctx, a, rotatingID, "s3", oldPassword)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "s3's session in B", func() error {
		_, err := b.c.GetUser(ctx, &cip.GetUserInput{AccessToken: session.AccessToken})
		return err
	})

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
	// A revocation of s3's session in A, and a rotation of its refresh
	// token in B that has not seen it.
	if _, err := a.c.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(rotatingID), Token: session.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	rotated, err := b.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(rotatingID), RefreshToken: session.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if rotated.AuthenticationResult == nil || rotated.AuthenticationResult.RefreshToken == nil {
		t.Fatalf("B's rotation: %+v", rotated.AuthenticationResult)
	}
	acked += 2
	// The same username made in three cut-off regions, B's first: B's
	// user keeps it in every region, A's and C's yield it.
	twinPass, twinSub := map[string]string{}, map[string]string{}
	for _, r := range []*region{b, a, c} {
		out, err := r.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("twin"),
			UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("twin of " + r.name)}},
			MessageAction:  types.MessageActionTypeSuppress})
		if err != nil {
			t.Fatal(err)
		}
		twinSub[r.name] = attribute(out.User.Attributes, "sub")
		twinPass[r.name] = "Twin-" + r.name + "-1"
		if _, err := r.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: poolID, Username: aws.String("twin"),
			Password: aws.String(twinPass[r.name]), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		acked += 2
	}
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
	restarted := startRegion(t, bin, nats.URL(), c.name, c.dir, c.database)
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
	for _, r := range rs {
		checkTwins(t, r, aws.ToString(poolID), clientID, twinSub, twinPass, b.name)
		// The revoked session stays revoked: neither its refresh token,
		// nor the one B's rotation made, nor B's access token work.
		var na *types.NotAuthorizedException
		if _, err := r.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(rotatingID),
			RefreshToken: session.RefreshToken}); !errors.As(err, &na) {
			t.Errorf("%s: the revoked refresh token: %v, want NotAuthorizedException", r.name, err)
		}
		if _, err := r.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(rotatingID),
			RefreshToken: rotated.AuthenticationResult.RefreshToken}); !errors.As(err, &na) {
			t.Errorf("%s: the refresh token B's rotation made: %v, want NotAuthorizedException", r.name, err)
		}
		if _, err := r.c.GetUser(ctx, &cip.GetUserInput{AccessToken: rotated.AuthenticationResult.AccessToken}); !errors.As(err, &na) {
			t.Errorf("%s: the access token B's rotation made: %v, want NotAuthorizedException", r.name, err)
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
	settled := 0
	for _, r := range rs {
		v, err := metric(r, "cognate_replication_conflicts_total")
		if err != nil {
			t.Fatal(err)
		}
		settled += int(v)
		logs := r.srv.Stderr
		r.stop(t)
		// The region where a loser was made logs that it lost, with
		// both subs (C's user may lose to A's first, which then loses to
		// B's).
		if r == a || r == c {
			winners := []string{twinSub[b.name], twinSub[a.name]}
			if r == a {
				winners = winners[:1]
			}
			if !slices.ContainsFunc(winners, func(w string) bool {
				return logged(logs.String(), "a unique key was claimed in two regions", `"winner":"`+w+`"`, `"loser":"`+twinSub[r.name]+`"`)
			}) {
				t.Errorf("%s did not log its user's loss with both subs", r.name)
			}
		}
	}
	var digests []string
	for _, r := range rs {
		d, n := digest(t, r)
		t.Logf("%s: %d items and pools, digest %s", r.name, n, d)
		digests = append(digests, d)
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("digests differ: %v", digests)
	}
	// cognate replication conflicts lists the two losers in every
	// region's store, with what they gave up and to whom.
	for _, r := range rs {
		checkConflictsCommand(t, bin, r, aws.ToString(poolID), twinSub, b.name)
	}
	t.Logf("writes acknowledged: %d, conflicting writes: %d, usernames made in two regions or more: 1 (losers: 2, conflicts settled in the three regions: %d), lost: %d",
		acked, conflicts, settled, lost)
}

// attribute returns the value of the attribute name, or "".
func attribute(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// logged reports whether a line of logs holds every one of parts.
func logged(logs string, parts ...string) bool {
	for line := range strings.Lines(logs) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// checkTwins checks, in r, a username made in several cut-off regions
// (subs and passwords by region): the user of the region winner, made
// first, keeps it and signs in with its password; the others' passwords
// do not sign in as it; each other user is listed by ListUsers under a
// conflict- name, disabled, with its own sub and attributes, and cannot
// sign in under that name either; and r counted a conflict.
func checkTwins(t *testing.T, r *region, poolID, clientID string, subs, passwords map[string]string, winner string) {
	t.Helper()
	ctx := context.Background()
	u, err := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("twin")})
	if err != nil {
		t.Fatalf("%s: twin: %v", r.name, err)
	}
	if got := attribute(u.UserAttributes, "sub"); got != subs[winner] || !u.Enabled {
		t.Errorf("%s: twin is %s (enabled %v), want %s's user %s, enabled", r.name, got, u.Enabled, winner, subs[winner])
	}
	if _, err := passwordSignIn(ctx, r, clientID, "twin", passwords[winner]); err != nil {
		t.Errorf("%s: twin with %s's password: %v", r.name, winner, err)
	}
	out, err := r.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID), Filter: aws.String(`username ^= "conflict-"`)})
	if err != nil {
		t.Fatal(err)
	}
	losers := map[string]types.UserType{}
	for _, l := range out.Users {
		losers[attribute(l.Attributes, "sub")] = l
	}
	if len(losers) != len(subs)-1 {
		t.Errorf("%s: %d users named conflict-…, want %d", r.name, len(losers), len(subs)-1)
	}
	var na *types.NotAuthorizedException
	for region, sub := range subs {
		if region == winner {
			continue
		}
		if _, err := passwordSignIn(ctx, r, clientID, "twin", passwords[region]); !errors.As(err, &na) {
			t.Errorf("%s: twin with %s's password: %v, want NotAuthorizedException", r.name, region, err)
		}
		l, ok := losers[sub]
		if !ok {
			t.Errorf("%s: %s's user %s is not listed as a loser", r.name, region, sub)
			continue
		}
		name := aws.ToString(l.Username)
		if name != "conflict-"+sub+"-twin" || l.Enabled || attribute(l.Attributes, "name") != "twin of "+region {
			t.Errorf("%s: %s's user is %s, enabled %v, name %q", r.name, region, name, l.Enabled, attribute(l.Attributes, "name"))
		}
		if _, err := passwordSignIn(ctx, r, clientID, name, passwords[region]); !errors.As(err, &na) {
			t.Errorf("%s: the disabled %s signs in: %v", r.name, name, err)
		}
	}
	if v, err := metric(r, "cognate_replication_conflicts_total"); err != nil || v < 1 {
		t.Errorf("%s: cognate_replication_conflicts_total %v %v, want at least 1", r.name, v, err)
	}
}

// quiesce waits until every region has applied every entry of the other
// regions' streams, and the streams have stopped growing for a moment (so
// that entries still being published are in them).
func quiesce(t testing.TB, natsURL string) {
	t.Helper()
	quiesceWithin(t, natsURL, converge)
}

// quiesceWithin is quiesce waiting up to d.
func quiesceWithin(t testing.TB, natsURL string, d time.Duration) {
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
	eventuallyWithin(t, d, "the streams applied everywhere", func() error {
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
