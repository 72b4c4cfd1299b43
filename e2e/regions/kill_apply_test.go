package regions

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// TestKillDuringApply kills a region with SIGKILL while it applies a
// steady write load of another region, three times, restarting it on its
// store each time, and checks that once the load stops every acknowledged
// write is in every region with its last value, that the killed region
// applied no entry twice (its change log holds each of the writer's
// entries once), and that the three stores end identical. It is bounded by
// its kills: the load runs until the third restart, and a little after.
func TestKillDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
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
	var rs []*region
	for _, name := range regions {
		r := startRegion(t, bin, nats.URL(), name, t.TempDir(), "sqlite")
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, c := rs[0], rs[2]
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("loaded")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	eventually(t, "the pool in "+c.name, func() error {
		_, err := c.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: poolID})
		return err
	})

	// The load: users made in A, and every third write an update of an
	// earlier one; the model keeps each acknowledged user's last value.
	var (
		mu    sync.Mutex
		model = map[string]string{}
		acked int
		werr  error
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name, value := fmt.Sprintf("load-%d", i), fmt.Sprintf("v%d", i)
			var err error
			if i%3 == 2 {
				name = fmt.Sprintf("load-%d", i-2)
				_, err = a.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: poolID, Username: aws.String(name),
					UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String(value)}}})
			} else {
				_, err = a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String(name),
					UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String(value)}},
					MessageAction:  types.MessageActionTypeSuppress})
			}
			mu.Lock()
			if err != nil {
				werr = fmt.Errorf("%s: %w", name, err)
				mu.Unlock()
				return
			}
			model[name] = value
			acked++
			mu.Unlock()
		}
	}()
	ackedNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return acked
	}

	const kills = 3
	for k := range kills {
		// C is applying: its count of applied entries grows.
		start, err := metric(c, "cognate_replication_applied_total")
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "C applying the load", func() error {
			v, err := metric(c, "cognate_replication_applied_total")
			if err != nil {
				return err
			}
			if v < start+5 {
				return fmt.Errorf("%v entries applied since %v", v, start)
			}
			return nil
		})
		if err := c.srv.Cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = c.srv.Cmd.Wait()
		c.srv = nil
		t.Logf("kill %d of %s at %d writes acknowledged", k+1, c.name, ackedNow())
		restarted := startRegion(t, bin, nats.URL(), c.name, c.dir, c.database)
		c.srv, c.c = restarted.srv, restarted.c
	}
	// A little more load after the last restart, then it stops.
	more := ackedNow() + 20
	eventually(t, "the load after the last restart", func() error {
		if n := ackedNow(); n < more {
			return fmt.Errorf("%d writes, want %d", n, more)
		}
		return nil
	})
	close(stop)
	<-done
	if werr != nil {
		t.Fatal(werr)
	}

	// Entries delivered to a killed process are delivered again once the
	// consumer's acknowledgement wait (30 seconds) has passed.
	quiesceWithin(t, nats.URL(), converge+2*time.Minute)
	lost := 0
	for _, r := range rs {
		got, err := allUsers(ctx, r, aws.ToString(poolID))
		if err != nil {
			t.Fatal(err)
		}
		for name, value := range model {
			if got[name] != value {
				t.Errorf("%s: %s is %q, want %q", r.name, name, got[name], value)
				lost++
			}
		}
		if len(got) != len(model) {
			t.Errorf("%s lists %d users, want %d", r.name, len(got), len(model))
		}
	}
	for _, r := range rs {
		r.stop(t)
	}
	// No entry applied twice: each of A's entries is in C's log once.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.dir, "cognate.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var twice int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM change_log WHERE region = ? GROUP BY hlc, entity, "key" HAVING count(*) > 1)`,
		a.name).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("%s applied %d of %s's entries more than once", c.name, twice, a.name)
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
	t.Logf("writes acknowledged: %d, kills of %s while applying: %d, lost: %d, applied twice: %d", acked, c.name, kills, lost, twice)
}

// allUsers returns every user of the pool in r by username, with its name
// attribute, through every page of ListUsers.
func allUsers(ctx context.Context, r *region, poolID string) (map[string]string, error) {
	out := map[string]string{}
	p := cip.NewListUsersPaginator(r.c, &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			out[aws.ToString(u.Username)] = attribute(u.Attributes, "name")
		}
	}
	return out, nil
}
