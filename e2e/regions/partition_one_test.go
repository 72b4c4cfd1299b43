package regions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// link is a TCP relay between one region and the NATS server, which the
// test cuts (the region's connection drops and new ones are refused) and
// heals (it listens again on the same address).
type link struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newLink(t *testing.T, target string) *link {
	t.Helper()
	l := &link{addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	if err := l.heal(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.cut)
	return l
}

// heal listens on the link's address and relays every connection.
func (l *link) heal() error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ln, l.addr = ln, ln.Addr().String()
	l.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", l.target)
			if err != nil {
				c.Close()
				continue
			}
			l.mu.Lock()
			l.conns[c], l.conns[up] = true, true
			l.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return nil
}

// cut closes the listener and every relayed connection.
func (l *link) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
}

// TestPartitionOneRegion cuts one region (C) off NATS while the two others
// keep exchanging changes, writes in all three meanwhile (a password
// change in C and a concurrent attribute update of the same user in B
// among them), and checks that A and B converge without C, that C serves
// throughout and does not see their writes until the link is healed, and
// that afterwards every region holds every write, the password changed in
// C and the update made in B both kept, and the three stores are equal.
func TestPartitionOneRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	partitionOneRegion(t, func(*testing.T) string { return "sqlite" }, sqliteDigest)
}

// TestPartitionOneRegionPostgres is TestPartitionOneRegion with a
// PostgreSQL database (a schema of the test server) for each region.
func TestPartitionOneRegionPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	partitionOneRegion(t, func(t *testing.T) string { return storagetest.PostgresSchema(t) }, postgresDigest)
}

// partitionOneRegion runs the drill of TestPartitionOneRegion on the
// databases database makes, and compares the stores with digest once they
// are stopped.
func partitionOneRegion(t *testing.T, database func(t *testing.T) string, digest func(t *testing.T, r *region) (string, int)) {
	ctx := context.Background()
	nats, err := replication.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	toC := newLink(t, strings.TrimPrefix(nats.URL(), "nats://"))
	var rs []*region
	for i, name := range regions {
		url := nats.URL()
		if i == 2 {
			url = "nats://" + toC.addr
		}
		r := startRegion(t, bin, url, name, t.TempDir(), database(t))
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("one-cut")})
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
	const oldPassword, newPassword = "Before-Cut-1", "Changed-in-C-2"
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("shared"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: poolID, Username: aws.String("shared"),
		Password: aws.String(oldPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*region{b, c} {
		eventually(t, "the shared user in "+r.name, func() error {
			_, err := passwordSignIn(ctx, r, clientID, "shared", oldPassword)
			return err
		})
	}

	// The cut: C alone loses NATS.
	toC.cut()
	// C serves and writes on its own: users of its own, and a new
	// password for the shared user.
	for i := range 5 {
		if _, err := c.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String(fmt.Sprintf("c-%d", i)),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: poolID, Username: aws.String("shared"),
		Password: aws.String(newPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	// A and B go on exchanging: A's users reach B, and B's later update
	// of the shared user reaches A.
	for i := range 5 {
		if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String(fmt.Sprintf("a-%d", i)),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: poolID, Username: aws.String("shared"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("from B")}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A's users in B and B's update in A, without C", func() error {
		if _, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("a-4")}); err != nil {
			return err
		}
		return hasName(ctx, a, aws.ToString(poolID), "shared", "from B")
	})
	// C has seen none of it, and A none of C's writes.
	var nf *types.UserNotFoundException
	if _, err := c.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("a-0")}); !errors.As(err, &nf) {
		t.Errorf("a user of A in the cut-off C: %v, want UserNotFoundException", err)
	}
	if _, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("c-0")}); !errors.As(err, &nf) {
		t.Errorf("a user of the cut-off C in A: %v, want UserNotFoundException", err)
	}
	eventually(t, "C's /ready reports the cut", func() error {
		code, body, err := ready(c)
		if err != nil {
			return err
		}
		if code != 200 || body.Replication.Connected || body.Replication.Unpublished == 0 {
			return fmt.Errorf("%d %+v", code, *body.Replication)
		}
		return nil
	})

	// The link heals: everything converges.
	if err := toC.heal(); err != nil {
		t.Fatal(err)
	}
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
	for i := range 5 {
		for _, n := range []string{fmt.Sprintf("a-%d", i), fmt.Sprintf("c-%d", i)} {
			if !strings.Contains(want, n+" ") {
				t.Errorf("acknowledged user %s is missing: %s", n, want)
			}
		}
	}
	// The shared user keeps both: B's update (the later state) and C's
	// password (set later than the state B updated).
	var na *types.NotAuthorizedException
	for _, r := range rs {
		if err := hasName(ctx, r, aws.ToString(poolID), "shared", "from B"); err != nil {
			t.Errorf("%s: %v", r.name, err)
		}
		if _, err := passwordSignIn(ctx, r, clientID, "shared", newPassword); err != nil {
			t.Errorf("%s: the password changed in C: %v", r.name, err)
		}
		if _, err := passwordSignIn(ctx, r, clientID, "shared", oldPassword); !errors.As(err, &na) {
			t.Errorf("%s: the old password: %v, want NotAuthorizedException", r.name, err)
		}
	}
	quiesce(t, nats.URL())
	for _, r := range rs {
		r.stop(t)
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
}

// hasName checks that the user's name attribute in region r is name.
func hasName(ctx context.Context, r *region, poolID, user, name string) error {
	u, err := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
	if err != nil {
		return err
	}
	for _, at := range u.UserAttributes {
		if aws.ToString(at.Name) == "name" {
			if aws.ToString(at.Value) == name {
				return nil
			}
			return fmt.Errorf("%s's name in %s is %q, want %q", user, r.name, aws.ToString(at.Value), name)
		}
	}
	return fmt.Errorf("%s has no name in %s yet", user, r.name)
}
