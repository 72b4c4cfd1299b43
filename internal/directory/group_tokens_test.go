package directory

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// TestListGroupsTokens checks ListGroups' NextToken on every store: it is
// the pools' pager's token (userpool.Pages, whose wire format the pool
// listings' tests hold) of the last group's ID, such a token continues
// after its group, and tokens it did not issue for the listing (another
// key, pool or operation, tampered) are refused.
func TestListGroupsTokens(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			st := luOpenStore(t, backend)
			pools := userpool.New(st, userpool.Options{AccountID: "123456789012"})
			pager := pools.Pages()
			otherKey := userpool.New(st, userpool.Options{AccountID: "123456789012"}).Pages()
			s := New(st, pools, Options{Passwords: testPasswords})
			ctx := context.Background()
			pool := cognito.Deref(luNewPool(t, s, false).Id)
			other := cognito.Deref(luNewPool(t, s, false).Id)
			var names []string
			for i := range userpool.DefaultQueryLimit + 1 {
				name := fmt.Sprintf("group/%02d", i)
				for _, p := range []string{pool, other} {
					if _, err := s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: cognito.Ptr(p), GroupName: &name}); err != nil {
						t.Fatal(err)
					}
				}
				names = append(names, name)
			}
			list := func(p string, limit *int32, token *string) ([]string, *string, error) {
				out, err := s.ListGroups(ctx, luCaller, &idp.ListGroupsRequest{UserPoolId: &p, Limit: limit, NextToken: token})
				if err != nil {
					return nil, nil, err
				}
				var got []string
				for _, g := range out.Groups {
					got = append(got, cognito.Deref(g.GroupName))
				}
				return got, out.NextToken, nil
			}
			scope := "ListGroups/" + pool

			// The default page, then the exact token of a page of two.
			got, next, err := list(pool, nil, nil)
			if err != nil || len(got) != userpool.DefaultQueryLimit || next == nil {
				t.Fatalf("default page: %d groups, NextToken %v, %v", len(got), next, err)
			}
			_, next, err = list(pool, cognito.Ptr(int32(2)), nil)
			if want := pager.Token(scope, groupID(pool, names[1])); err != nil || next == nil || *next != want {
				t.Fatalf("NextToken %v (%v), want %q", next, err, want)
			}
			got, _, err = list(pool, cognito.Ptr(int32(2)), cognito.Ptr(pager.Token(scope, groupID(pool, names[2]))))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(names[3:5], got); diff != "" {
				t.Errorf("page after an earlier token (-want +got):\n%s", diff)
			}

			_, otherToken, err := list(other, cognito.Ptr(int32(1)), nil)
			if err != nil || otherToken == nil {
				t.Fatalf("token of the other pool: %v %v", otherToken, err)
			}
			valid := pager.Token(scope, "")
			const invalid = "Invalid pagination token."
			for _, tc := range []struct{ name, pool, token, code, msg string }{
				{"missing pool before the token", "us-east-1_nopool000", "garbage", "ResourceNotFoundException", "User pool us-east-1_nopool000 does not exist."},
				{"garbage", pool, "garbage", "InvalidParameterException", invalid},
				{"tampered", pool, "x" + valid, "InvalidParameterException", invalid},
				{"another key", pool, otherKey.Token(scope, ""), "InvalidParameterException", invalid},
				{"another pool's listing", pool, *otherToken, "InvalidParameterException", invalid},
				{"another operation's listing", pool, pager.Token("ListUserPoolClients/"+pool, ""), "InvalidParameterException", invalid},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, _, err := list(tc.pool, nil, &tc.token)
					luWantError(t, err, tc.code, tc.msg)
				})
			}
		})
	}
}
