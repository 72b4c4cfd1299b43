package regions

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// replicas returns the pool's replicas as "region ROLE STATUS" lines, as
// r lists them.
func replicas(ctx context.Context, r *region, poolID string) (map[string]string, error) {
	out, err := r.c.ListUserPoolReplicas(ctx, &cip.ListUserPoolReplicasInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, rep := range out.UserPoolReplicas {
		got[aws.ToString(rep.RegionName)] = string(rep.Role) + " " + string(rep.Status)
	}
	return got, nil
}

// notHeld checks that r answers ResourceNotFoundException for the pool.
func notHeld(ctx context.Context, r *region, poolID string) error {
	_, err := r.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return fmt.Errorf("DescribeUserPool in %s: %v, want ResourceNotFoundException", r.name, err)
	}
	return nil
}

// passedBy waits until every entry A wrote is published and r has read
// them all from A's stream.
func passedBy(t *testing.T, a, r *region) {
	t.Helper()
	eventually(t, r.name+" read every entry of "+a.name, func() error {
		_, ab, err := ready(a)
		if err != nil {
			return err
		}
		_, rb, err := ready(r)
		if err != nil {
			return err
		}
		if ab.Replication.Unpublished != 0 || rb.Replication.Peers[a.name].Pending != 0 {
			return fmt.Errorf("%d unpublished in %s, %d pending in %s", ab.Replication.Unpublished, a.name, rb.Replication.Peers[a.name].Pending, r.name)
		}
		return nil
	})
}

// TestReplicaAPI runs three regions whose pools stay in their own region
// until a replica is created (replication.default_pool_regions: own), and
// drives Cognito's replica API through the AWS SDK: users made in one
// region only are copied to a second with CreateUserPoolReplica (and sign
// in there with SRP: their verifiers came along), writes in either region
// reach the other, ListUserPoolReplicas lists both, the third region never
// holds the pool, and DeleteUserPoolReplica removes it from the second
// region only.
func TestReplicaAPI(t *testing.T) {
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
		r := startRegionWith(t, bin, nats.URL(), name, t.TempDir(), "sqlite", "COGNATE_REPLICATION_DEFAULT_POOL_REGIONS=own")
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]

	// A pool with users in A alone.
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("primary-only")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	const password = "Correct-Horse-1"
	for _, name := range []string{"alice", "bob"} {
		if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*region{b, c} {
		passedBy(t, a, r)
		if err := notHeld(ctx, r, poolID); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := replicas(ctx, a, poolID); err != nil || len(got) != 1 || got["us-east-1"] != "PRIMARY ACTIVE" {
		t.Fatalf("replicas before any was created: %v, %v", got, err)
	}

	// Refusals, as Cognito's exceptions.
	_, err = a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("sa-east-1")})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("a replica outside the topology: %v, want InvalidParameterException", err)
	}
	_, err = a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("eu-west-1")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("deleting a replica that does not exist: %v, want ResourceNotFoundException", err)
	}

	// The replica in B: a copy of what A holds, then the stream.
	created, err := a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), UserPoolTags: map[string]string{"site": "dublin"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := created.UserPoolReplica
	if aws.ToString(rep.RegionName) != "eu-west-1" || rep.Role != types.ReplicaRoleTypeSecondary || rep.Status != types.ReplicaStatusTypeCreating ||
		aws.ToString(rep.UserPoolArn) != "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/"+poolID {
		t.Errorf("CreateUserPoolReplica: %+v", rep)
	}
	if _, err := a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1")}); !errors.As(err, &invalid) {
		t.Errorf("a replica that exists: %v, want InvalidParameterException", err)
	}
	for _, r := range []*region{a, b} {
		eventually(t, "the replica active as "+r.name+" lists it", func() error {
			got, err := replicas(ctx, r, poolID)
			if err != nil {
				return err
			}
			if len(got) != 2 || got["us-east-1"] != "PRIMARY ACTIVE" || got["eu-west-1"] != "SECONDARY ACTIVE" {
				return fmt.Errorf("replicas %v", got)
			}
			return nil
		})
	}
	// The users were copied with their passwords: SRP in B.
	srpSignIn(t, ctx, b, poolID, clientID, "alice", password)
	if _, err := passwordSignIn(ctx, b, clientID, "bob", password); err != nil {
		t.Fatalf("bob in B: %v", err)
	}

	// A write in B reaches A, and one in A reaches B.
	if _, err := b.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Bob of Dublin")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both writes in both regions", func() error {
		la, err := listUsers(ctx, a, poolID)
		if err != nil {
			return err
		}
		lb, err := listUsers(ctx, b, poolID)
		if err != nil {
			return err
		}
		if la != lb {
			return fmt.Errorf("A lists %s\nB lists %s", la, lb)
		}
		u, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob")})
		if err != nil {
			return err
		}
		for _, at := range u.UserAttributes {
			if aws.ToString(at.Name) == "name" && aws.ToString(at.Value) == "Bob of Dublin" {
				_, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")})
				return err
			}
		}
		return errors.New("bob's new name is not in A yet")
	})

	// C holds none of it, and agrees on the replicas.
	passedBy(t, a, c)
	passedBy(t, b, c)
	if err := notHeld(ctx, c, poolID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); !errors.As(err, &notFound) {
		t.Errorf("AdminGetUser in C: %v, want ResourceNotFoundException", err)
	}
	if n, err := metric(c, "cognate_replication_not_held_total"); err != nil || n == 0 {
		t.Errorf("C's entries of pools it does not hold: %v, %v", n, err)
	}

	// Deleting the replica (INACTIVE first, as on Cognito) removes the
	// pool from B only.
	if _, err := a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1")}); !errors.As(err, &invalid) {
		t.Errorf("deleting an ACTIVE replica: %v, want InvalidParameterException", err)
	}
	if _, err := a.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), Status: types.UpdateReplicaStatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	deleted, err := a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("eu-west-1")})
	if err != nil {
		t.Fatal(err)
	}
	if deleted.UserPoolReplica.Status != types.ReplicaStatusTypeDeleting {
		t.Errorf("DeleteUserPoolReplica: status %s, want DELETING", deleted.UserPoolReplica.Status)
	}
	eventually(t, "the pool gone from B", func() error { return notHeld(ctx, b, poolID) })
	eventually(t, "the replica gone from A's list", func() error {
		got, err := replicas(ctx, a, poolID)
		if err != nil {
			return err
		}
		if len(got) != 1 || got["us-east-1"] != "PRIMARY ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})
	if _, err := passwordSignIn(ctx, a, clientID, "alice", password); err != nil {
		t.Fatalf("alice in A after the replica went: %v", err)
	}
	if got, err := listUsers(ctx, a, poolID); err != nil {
		t.Fatal(err)
	} else if want := 3; countUsers(got) != want {
		t.Errorf("A lists %q, want %d users", got, want)
	}
	// A later write in A does not reach B.
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	passedBy(t, a, b)
	if err := notHeld(ctx, b, poolID); err != nil {
		t.Fatal(err)
	}
}

// countUsers counts the users of a listUsers line.
func countUsers(line string) int {
	n := 0
	for i := 0; i+2 < len(line); i++ {
		if line[i:i+3] == "]; " {
			n++
		}
	}
	return n
}
