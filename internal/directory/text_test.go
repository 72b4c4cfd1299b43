package directory

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestEngineRefusesBadText calls the engine's methods directly, without the
// JSON edge's generated Validate (as the hosted UI will), with NUL
// characters and invalid UTF-8 in every string they look a record up by or
// write to a key or an index: each answers InvalidParameterException, and
// nothing is written.
func TestEngineRefusesBadText(t *testing.T) {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{
		PoolName:        cognito.Ptr("text"),
		AliasAttributes: []idp.AliasAttributeType{idp.AliasAttributeTypeEmail, idp.AliasAttributeTypePreferredUsername},
	}, nil)
	alice := f.user(t, "alice", "email", "alice@example.com", "email_verified", "true")
	ctx := context.Background()
	pool := f.p.Id
	sp, err := f.SignInPool(ctx, utCaller, cognito.Deref(pool))
	if err != nil {
		t.Fatal(err)
	}
	before, err := f.store.Changes(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x00", "\xff", "a\xc3"} {
		cases := []struct {
			name string
			call func() error
		}{
			{"AdminGetUser", func() error {
				_, err := f.AdminGetUser(ctx, utCaller, &idp.AdminGetUserRequest{UserPoolId: pool, Username: cognito.Ptr("alice" + bad)})
				return err
			}},
			{"AdminCreateUser username", func() error {
				_, err := f.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: pool, Username: cognito.Ptr("bob" + bad),
					MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)})
				return err
			}},
			{"AdminCreateUser attribute", func() error {
				_, err := f.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: pool, Username: cognito.Ptr("bob"),
					UserAttributes: attrs("name", bad), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)})
				return err
			}},
			{"SignUp username", func() error {
				_, err := f.SignUp(ctx, cognito.Caller{}, &idp.SignUpRequest{ClientId: cognito.Ptr(f.client), Username: cognito.Ptr(bad + "bob"),
					Password: cognito.Ptr(ssPassword)})
				return err
			}},
			{"SignUp alias", func() error {
				_, err := f.SignUp(ctx, cognito.Caller{}, &idp.SignUpRequest{ClientId: cognito.Ptr(f.client), Username: cognito.Ptr("bob"),
					Password: cognito.Ptr(ssPassword), UserAttributes: attrs("preferred_username", "b"+bad)})
				return err
			}},
			{"SignUp client", func() error {
				_, err := f.SignUp(ctx, cognito.Caller{}, &idp.SignUpRequest{ClientId: cognito.Ptr(f.client + bad), Username: cognito.Ptr("bob"),
					Password: cognito.Ptr(ssPassword)})
				return err
			}},
			{"UpdateUserAttributes", func() error {
				_, err := f.UpdateUserAttributes(ctx, alice, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("given_name", bad)})
				return err
			}},
			{"ListUsers filter", func() error {
				_, err := f.ListUsers(ctx, utCaller, &idp.ListUsersRequest{UserPoolId: pool, Filter: cognito.Ptr(`email ^= "` + bad + `"`)})
				return err
			}},
			{"DescribeUserPool", func() error {
				_, err := f.DescribeUserPool(ctx, utCaller, &idp.DescribeUserPoolRequest{UserPoolId: cognito.Ptr(cognito.Deref(pool) + bad)})
				return err
			}},
			{"CreateUserPool", func() error {
				_, err := f.CreateUserPool(ctx, utCaller, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("p" + bad)})
				return err
			}},
			{"CreateGroup", func() error {
				_, err := f.CreateGroup(ctx, utCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g" + bad)})
				return err
			}},
			{"GetGroup", func() error {
				_, err := f.GetGroup(ctx, utCaller, &idp.GetGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g" + bad)})
				return err
			}},
			{"DescribeUserPoolClient", func() error {
				_, err := f.DescribeUserPoolClient(ctx, utCaller, &idp.DescribeUserPoolClientRequest{UserPoolId: pool, ClientId: cognito.Ptr(bad)})
				return err
			}},
			{"DescribeUserPoolDomain", func() error {
				_, err := f.DescribeUserPoolDomain(ctx, utCaller, &idp.DescribeUserPoolDomainRequest{Domain: cognito.Ptr("d" + bad)})
				return err
			}},
			{"SignInClient", func() error { _, _, err := f.SignInClient(ctx, cognito.Caller{}, "", f.client+bad); return err }},
			{"LookupUser", func() error { _, err := f.LookupUser(ctx, sp, "alice@example.com"+bad); return err }},
		}
		for _, tc := range cases {
			t.Run(tc.name+"/"+strconv.Quote(bad), func(t *testing.T) {
				err := tc.call()
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidParameterException {
					t.Fatalf("error = %v, want InvalidParameterException", err)
				}
			})
		}
	}
	after, err := f.store.Changes(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("refused calls wrote %d change-log entries", len(after)-len(before))
	}
}
