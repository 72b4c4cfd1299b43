package regions

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// metric reads one unlabelled sample of the server's /metrics.
func metric(r *region, name string) (float64, error) {
	resp, err := http.Get(r.srv.URL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return 0, fmt.Errorf("no %s in /metrics", name)
}

// holder waits until exactly one of nodes replicates, and returns it and
// the others.
func holder(t *testing.T, nodes ...*region) (*region, []*region) {
	t.Helper()
	var h *region
	var rest []*region
	eventually(t, "one node replicating", func() error {
		h, rest = nil, nil
		for _, n := range nodes {
			v, err := metric(n, "cognate_replication_active")
			if err != nil {
				return err
			}
			if v == 1 {
				if h != nil {
					return fmt.Errorf("%s and %s both replicate", h.srv.URL, n.srv.URL)
				}
				h = n
			} else {
				rest = append(rest, n)
			}
		}
		if h == nil {
			return fmt.Errorf("no node replicates")
		}
		return nil
	})
	return h, rest
}

// TestSharedPostgresRegion runs a region as two nodes on one PostgreSQL
// schema and a second region on another: only the node holding the
// region's lease publishes and applies, writes through either node reach
// the other region in order, and when the holder is killed the other node
// takes over with nothing lost or published twice.
func TestSharedPostgresRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	ctx := context.Background()
	ns, err := replication.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dbA, dbB := storagetest.PostgresSchema(t), storagetest.PostgresSchema(t)
	a1 := startRegion(t, bin, ns.URL(), regions[0], t.TempDir(), dbA)
	defer a1.stop(t)
	a2 := startRegion(t, bin, ns.URL(), regions[0], t.TempDir(), dbA)
	defer a2.stop(t)
	b := startRegion(t, bin, ns.URL(), regions[1], t.TempDir(), dbB)
	defer b.stop(t)

	first, rest := holder(t, a1, a2)
	second := rest[0]
	// The other node stays out while the holder lives.
	for range 10 {
		if v, err := metric(second, "cognate_replication_active"); err != nil || v != 0 {
			t.Fatalf("the second node of the region replicates too: %v %v", v, err)
		}
		time.Sleep(300 * time.Millisecond)
	}

	pool, err := first.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	// One user updated in turn through both nodes: the other region must
	// end on the last value, which it does only if it applied the updates
	// in the order they were made.
	if _, err := second.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("ordered"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	setName := func(via *region, v string) {
		t.Helper()
		if _, err := via.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: poolID,
			Username: aws.String("ordered"), UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String(v)}}}); err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*region{first, second}
	for i := range 20 {
		setName(nodes[i%2], fmt.Sprintf("v%d", i))
		if _, err := nodes[i%2].c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID,
			Username: aws.String(fmt.Sprintf("u%d", i)), MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
	}
	nameIn := func(r *region) (string, error) {
		u, err := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String("ordered")})
		if err != nil {
			return "", err
		}
		for _, a := range u.UserAttributes {
			if aws.ToString(a.Name) == "name" {
				return aws.ToString(a.Value), nil
			}
		}
		return "", nil
	}
	usersIn := func(r *region, want int) error {
		n := 0
		pages := cip.NewListUsersPaginator(r.c, &cip.ListUsersInput{UserPoolId: poolID})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return err
			}
			n += len(out.Users)
		}
		if n != want {
			return fmt.Errorf("%d users, want %d", n, want)
		}
		return nil
	}
	eventually(t, "the writes of both nodes in the other region", func() error {
		if v, err := nameIn(b); err != nil || v != "v19" {
			return fmt.Errorf("name %q, %v", v, err)
		}
		return usersIn(b, 21)
	})
	// A write in the other region is applied once, by the holder.
	if _, err := b.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("from-b"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a write of the other region in the shared store", func() error { return usersIn(second, 22) })
	for _, c := range []struct {
		r    *region
		want bool
	}{{first, true}, {second, false}} {
		for _, m := range []string{"cognate_replication_published_total", "cognate_replication_applied_total"} {
			v, err := metric(c.r, m)
			if err != nil {
				t.Fatal(err)
			}
			if (v > 0) != c.want {
				t.Errorf("%s = %v on the node that holds the lease: %v", m, v, c.want)
			}
		}
	}

	// Kill the holder while both regions write; the other node takes over.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			if _, err := b.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID,
				Username: aws.String(fmt.Sprintf("b%d", i)), MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(100 * time.Millisecond)
	if err := first.srv.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.srv.Cmd.Wait()
	first.srv = nil
	for i := 20; i < 40; i++ {
		setName(second, fmt.Sprintf("v%d", i))
		if _, err := second.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID,
			Username: aws.String(fmt.Sprintf("u%d", i)), MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if h, _ := holder(t, second); h != second {
		t.Fatal("the surviving node did not take over")
	}
	eventually(t, "the writes after the takeover in both regions", func() error {
		if v, err := nameIn(b); err != nil || v != "v39" {
			return fmt.Errorf("name %q, %v", v, err)
		}
		if err := usersIn(b, 62); err != nil {
			return fmt.Errorf("other region: %w", err)
		}
		return usersIn(second, 62)
	})

	// Every entry of the shared store's change log is in the region's
	// stream once: none lost, none published twice.
	conn, err := pgx.Connect(ctx, dbA)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var entries uint64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM change_log WHERE region = $1`, regions[0]).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "every entry of the shared store published once", func() error {
		s, err := js.Stream(ctx, replication.StreamName(regions[0]))
		if err != nil {
			return err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != entries {
			return fmt.Errorf("%d messages in the stream, %d entries in the change log", info.State.Msgs, entries)
		}
		return nil
	})

	second.stop(t)
	b.stop(t)
	da, na := postgresDigest(t, &region{database: dbA})
	db, nb := postgresDigest(t, &region{database: dbB})
	if da != db || na != nb {
		t.Errorf("the regions differ: %s (%d items) and %s (%d items)", da, na, db, nb)
	}
}
