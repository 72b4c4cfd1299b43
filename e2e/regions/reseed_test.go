package regions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// TestReseedCommand seeds a region that has never run from its peers
// with `cognate replication reseed` (its server stopped, the peers'
// running), and checks, with every server stopped, that its store holds
// what theirs do: the digests of the three stores are equal.
func TestReseedCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cognate processes; skipped under -short")
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
	a := startRegion(t, bin, nats.URL(), "us-east-1", t.TempDir(), "sqlite")
	defer a.stop(t)
	b := startRegion(t, bin, nats.URL(), "eu-west-1", t.TempDir(), "sqlite")
	defer b.stop(t)
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("seeded")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if _, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	// The second region writes into the pool too: wait until it holds it.
	eventually(t, "the pool reaches eu-west-1", func() error {
		_, err := b.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
		return err
	})
	for _, r := range []*region{a, b} {
		name := "user-of-" + r.name
		if _, err := r.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			Password: aws.String("Correct-Horse-1"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both regions list both users", func() error {
		la, err := listUsers(ctx, a, poolID)
		if err != nil {
			return err
		}
		lb, err := listUsers(ctx, b, poolID)
		if err != nil {
			return err
		}
		if la != lb || countUsers(la) != 2 {
			return fmt.Errorf("A lists %s\nB lists %s", la, lb)
		}
		return nil
	})
	passedBy(t, a, b)
	passedBy(t, b, a)

	c := &region{name: "ap-southeast-2", dir: t.TempDir(), database: "sqlite"}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "replication", "reseed", "--data-dir", c.dir)
	cmd.Env = append(os.Environ(), "COGNATE_ACCESS_KEY_ID="+keyID, "COGNATE_SECRET_ACCESS_KEY="+secret,
		"COGNATE_DATABASE_URL=sqlite", "COGNATE_REGION="+c.name, "COGNATE_ENCRYPTION_KEY="+encKey, "COGNATE_ISSUER_BASE_URL="+issuer,
		"COGNATE_REPLICATION_NATS_URL="+nats.URL(), "COGNATE_REPLICATION_PEERS="+strings.Join(regions, ","))
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("reseed: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("reseed: %v", err)
	}
	if !strings.Contains(string(out), "region ap-southeast-2 re-seeded from every other peer") || !strings.Contains(string(out), "copied: "+poolID) {
		t.Errorf("reseed printed %q", out)
	}
	a.stop(t)
	b.stop(t)
	da, na := sqliteDigest(t, a)
	db, _ := sqliteDigest(t, b)
	dc, nc := sqliteDigest(t, c)
	if da != db || da != dc {
		t.Errorf("digests differ: us-east-1 %s (%d records), eu-west-1 %s, ap-southeast-2 %s (%d records)", da, na, db, dc, nc)
	}
}
