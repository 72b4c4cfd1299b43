package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

func rsScope(name, desc string) types.ResourceServerScopeType {
	return types.ResourceServerScopeType{ScopeName: aws.String(name), ScopeDescription: aws.String(desc)}
}

func TestResourceServers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("rs")})
		created, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("API"),
			Scopes: []types.ResourceServerScopeType{rsScope("read", "Read things"), rsScope("write", "Write things")},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &types.ResourceServerType{
			UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("API"),
			Scopes: []types.ResourceServerScopeType{rsScope("read", "Read things"), rsScope("write", "Write things")},
		}
		if diff := cmp.Diff(want, created.ResourceServer, cmpOpts); diff != "" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		d, err := c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, d.ResourceServer, cmpOpts); diff != "" {
			t.Errorf("described (-want +got):\n%s", diff)
		}

		// The identifier is unique in the pool; another pool may reuse it.
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("again")})
		wantAPIError(t, err, "InvalidParameterException", aws.ToString(pool.Id)+" already has identifier https://api.example.com")
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("rs-other")})
		if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: other.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("other")}); err != nil {
			t.Fatalf("same identifier in another pool: %v", err)
		}
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("dup"), Name: aws.String("dup"),
			Scopes: []types.ResourceServerScopeType{rsScope("read", "a"), rsScope("read", "b")},
		})
		wantAPIError(t, err, "InvalidParameterException", "Duplicate scope name read.")
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("bad"), Name: aws.String("bad"),
			Scopes: []types.ResourceServerScopeType{rsScope("a/b", "slash")},
		})
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String("us-east-1_Nope12345"), Identifier: aws.String("x"), Name: aws.String("x")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope12345 does not exist.")

		// Update replaces the name and the scopes; scopes left out go.
		up, err := c.UpdateResourceServer(ctx, &cip.UpdateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("API v2"),
			Scopes: []types.ResourceServerScopeType{rsScope("admin", "Administer")},
		})
		if err != nil {
			t.Fatal(err)
		}
		want.Name, want.Scopes = aws.String("API v2"), []types.ResourceServerScopeType{rsScope("admin", "Administer")}
		if diff := cmp.Diff(want, up.ResourceServer, cmpOpts); diff != "" {
			t.Errorf("updated (-want +got):\n%s", diff)
		}
		up, err = c.UpdateResourceServer(ctx, &cip.UpdateResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("bare")})
		if err != nil {
			t.Fatal(err)
		}
		if len(up.ResourceServer.Scopes) != 0 {
			t.Errorf("scopes after an update without scopes: %+v", up.ResourceServer.Scopes)
		}

		// Missing servers, and servers of another pool or region.
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"describe", func() error {
				_, err := c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("nope")})
				return err
			}()},
			{"update", func() error {
				_, err := c.UpdateResourceServer(ctx, &cip.UpdateResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("nope"), Name: aws.String("x")})
				return err
			}()},
			{"delete", func() error {
				_, err := c.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("nope")})
				return err
			}()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var rnf *types.ResourceNotFoundException
				if !errors.As(tc.err, &rnf) {
					t.Fatalf("%v, want ResourceNotFoundException", tc.err)
				}
				wantAPIError(t, tc.err, "ResourceNotFoundException", "Resource server nope does not exist.")
			})
		}
		_, err = e.client("eu-west-1").DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool "+aws.ToString(pool.Id)+" does not exist.")

		if _, err := c.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com")})
		wantAPIError(t, err, "ResourceNotFoundException", "Resource server https://api.example.com does not exist.")
		if _, err := c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: other.Id, Identifier: aws.String("https://api.example.com")}); err != nil {
			t.Errorf("the other pool's server went with it: %v", err)
		}
	})
}

func TestListResourceServers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("rs-list")})
		var want []string
		for i := range 5 {
			id := fmt.Sprintf("server-%d", i)
			want = append(want, id)
			if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
				UserPoolId: pool.Id, Identifier: aws.String(id), Name: aws.String(id),
				Scopes: []types.ResourceServerScopeType{rsScope("read", "Read")},
			}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		p := cip.NewListResourceServersPaginator(c, &cip.ListResourceServersInput{UserPoolId: pool.Id, MaxResults: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, rs := range out.ResourceServers {
				got = append(got, aws.ToString(rs.Identifier))
				if len(rs.Scopes) != 1 || aws.ToString(rs.UserPoolId) != aws.ToString(pool.Id) {
					t.Errorf("listed server %+v", rs)
				}
			}
		}
		if pages != 3 {
			t.Errorf("%d pages, want 3", pages)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed (-want +got):\n%s", diff)
		}
		_, err := c.ListResourceServers(ctx, &cip.ListResourceServersInput{UserPoolId: pool.Id, MaxResults: aws.Int32(2), NextToken: aws.String("forged")})
		wantAPIError(t, err, "InvalidParameterException", "")

		// At most 25 resource servers per pool.
		for i := 5; i < 25; i++ {
			if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String(fmt.Sprintf("server-%d", i)), Name: aws.String("n")}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("one-too-many"), Name: aws.String("n")}, noRetry)
		var limit *types.LimitExceededException
		if !errors.As(err, &limit) {
			t.Errorf("26th resource server: %v, want LimitExceededException", err)
		}
	})
}
