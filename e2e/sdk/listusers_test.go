package sdk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// listUsersFixture are the users TestListUsersFilters creates: username,
// then attribute name and value pairs. Their values hold SQL and LIKE
// metacharacters, quotes and backslashes, which must match only literally.
var listUsersFixture = []struct {
	username string
	attrs    []string
}{
	{"alice", []string{"email", "alice@example.com", "name", "100%"}},
	{"bob", []string{"email", "bob@example.com", "name", "1000"}},
	{"carol", []string{"email", "carol@example.org", "name", "a_b"}},
	{"dave", []string{"name", "axb"}},
	{"erin", []string{"family_name", "O'Brien", "name", `say "hi"`}},
	{"frank", []string{"family_name", "OBrien", "name", `back\slash`}},
	{"pct%user", []string{"given_name", "Zoë"}},
	{"under_score", []string{"given_name", "zoe"}},
}

func listUsersSeed(t *testing.T, c *cip.Client, pool *string) {
	t.Helper()
	for _, u := range listUsersFixture {
		var attrs []types.AttributeType
		for i := 0; i < len(u.attrs); i += 2 {
			attrs = append(attrs, types.AttributeType{Name: aws.String(u.attrs[i]), Value: aws.String(u.attrs[i+1])})
		}
		groupCreateUser(t, c, pool, u.username, attrs...)
	}
}

// listUsernames lists every user a filter selects through the SDK's
// paginator, pageSize at a time, and returns their usernames sorted.
func listUsernames(t *testing.T, c *cip.Client, pool *string, filter string, pageSize int32) []string {
	t.Helper()
	var names []string
	p := cip.NewListUsersPaginator(c, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(filter), Limit: aws.Int32(pageSize)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListUsers %q: %v", filter, err)
		}
		if len(out.Users) > int(pageSize) {
			t.Fatalf("ListUsers %q: page of %d over limit %d", filter, len(out.Users), pageSize)
		}
		names = append(names, sdkUserNames(out.Users)...)
	}
	slices.Sort(names)
	return names
}

func TestListUsersFilters(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{
			PoolName:              aws.String("listusers"),
			UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		}).Id
		listUsersSeed(t, c, pool)
		all := []string{"alice", "bob", "carol", "dave", "erin", "frank", "pct%user", "under_score"}

		// The sub of alice, for a sub filter.
		out, err := c.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`username = "alice"`)})
		if err != nil || len(out.Users) != 1 {
			t.Fatalf("ListUsers alice: %v %v", out, err)
		}
		var aliceSub string
		for _, a := range out.Users[0].Attributes {
			if aws.ToString(a.Name) == "sub" {
				aliceSub = aws.ToString(a.Value)
			}
		}

		tests := []struct {
			filter string
			want   []string
		}{
			{"", all},
			{"   ", all},
			{`username = "alice"`, []string{"alice"}},
			{`username = "ALICE"`, []string{"alice"}}, // the pool is case-insensitive
			{`username ^= "pct%"`, []string{"pct%user"}},
			{`username ^= "under_"`, []string{"under_score"}},
			{`username ^= "%"`, nil},
			{`username ^= "_"`, nil},
			{`email ^= "bob@"`, []string{"bob"}},
			{`email = "ALICE@EXAMPLE.COM"`, []string{"alice"}}, // searches fold case
			{`email ^= "C"`, []string{"carol"}},
			{`email = "alice"`, nil},
			{`name = "100%"`, []string{"alice"}},
			{`name ^= "100%"`, []string{"alice"}},
			{`name ^= "100"`, []string{"alice", "bob"}},
			{`name = "a_b"`, []string{"carol"}},
			{`name ^= "a_"`, []string{"carol"}},
			{`name ^= "a%"`, nil},
			{`family_name ^= "O'"`, []string{"erin"}},
			{`family_name = "o'brien"`, []string{"erin"}},
			{`name = "say \"hi\""`, []string{"erin"}},
			{`name ^= "say \""`, []string{"erin"}},
			{`name = "back\slash"`, []string{"frank"}},
			{`name = "back\\slash"`, []string{"frank"}},
			{`name ^= "back\\"`, []string{"frank"}},
			{`name = "*"`, nil},
			{`given_name = "ZOË"`, []string{"pct%user"}},
			{`given_name ^= "zo"`, []string{"pct%user", "under_score"}},
			{`"given_name"^="zoe"`, []string{"under_score"}},
			{`phone_number ^= ""`, nil},
			{`name ^= ""`, []string{"alice", "bob", "carol", "dave", "erin", "frank"}},
			{`cognito:user_status = "FORCE_CHANGE_PASSWORD"`, all},
			{`cognito:user_status = "force_change_password"`, all},
			{`cognito:user_status = "CONFIRMED"`, nil},
			{`status = "Enabled"`, all},
			{`status = "enabled"`, nil}, // status is case-sensitive
			{`status = "Disabled"`, nil},
			{`sub = "` + aliceSub + `"`, []string{"alice"}},
			{`sub ^= "` + aliceSub[:8] + `"`, []string{"alice"}},
			{`preferred_username = "alice"`, nil},
		}
		for _, tc := range tests {
			t.Run(tc.filter, func(t *testing.T) {
				for _, size := range []int32{1, 3, 60} {
					if diff := cmp.Diff(tc.want, listUsernames(t, c, pool, tc.filter, size)); diff != "" {
						t.Errorf("Limit %d (-want +got):\n%s", size, diff)
					}
				}
			})
		}
	})
}

func TestListUsersOutput(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("listusers-output")}).Id
		listUsersSeed(t, c, pool)

		out, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`username = "erin"`)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Users) != 1 {
			t.Fatalf("%d users", len(out.Users))
		}
		u := out.Users[0]
		if aws.ToString(u.Username) != "erin" || !u.Enabled || u.UserStatus != types.UserStatusTypeForceChangePassword ||
			u.UserCreateDate == nil || u.UserLastModifiedDate == nil {
			t.Errorf("user %+v", u)
		}
		got := map[string]string{}
		for _, a := range u.Attributes {
			got[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		if got["family_name"] != "O'Brien" || got["name"] != `say "hi"` || got["sub"] == "" {
			t.Errorf("attributes %v", got)
		}

		// AttributesToGet returns only what it names.
		out, err = c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`email ^= "a"`), AttributesToGet: []string{"email"}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}}, out.Users[0].Attributes, cmpOpts); diff != "" || len(out.Users) != 1 {
			t.Errorf("AttributesToGet email (-want +got):\n%s", diff)
		}
		// An empty list returns no attributes.
		out, err = c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`username = "bob"`), AttributesToGet: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Users) != 1 || len(out.Users[0].Attributes) != 0 {
			t.Errorf("AttributesToGet []: %+v", out.Users)
		}
	})
}

func TestListUsersErrors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("listusers-errors")}).Id
		listUsersSeed(t, c, pool)
		first, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`name ^= ""`), Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		all, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if all.PaginationToken == nil || first.PaginationToken == nil {
			t.Fatal("no pagination token")
		}
		tests := []struct {
			name string
			in   *cip.ListUsersInput
			code string
			msg  string
		}{
			{"missing pool", &cip.ListUsersInput{UserPoolId: aws.String("us-east-1_AAAAAAAAA")}, "ResourceNotFoundException", "User pool us-east-1_AAAAAAAAA does not exist."},
			{"unquoted value", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`email = alice`)}, "InvalidParameterException", "Error while parsing filter."},
			{"two conditions", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`email = "a" AND name = "b"`)}, "InvalidParameterException", "Error while parsing filter."},
			{"unknown operator", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`email != "a"`)}, "InvalidParameterException", "Error while parsing filter."},
			{"custom attribute", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`custom:tier = "gold"`)}, "InvalidParameterException", "Invalid search attribute: custom:tier"},
			{"unsearchable attribute", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`locale = "en"`)}, "InvalidParameterException", "Invalid search attribute: locale"},
			{"filter too long", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`name = "` + strings.Repeat("x", 250) + `"`)}, "InvalidParameterException", ""},
			{"limit over 60", &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(61)}, "InvalidParameterException", ""},
			{"unknown attribute to get", &cip.ListUsersInput{UserPoolId: pool, AttributesToGet: []string{"custom:nope"}}, "InvalidParameterException", "One or more requested attributes do not exist."},
			{"attribute a listed user lacks", &cip.ListUsersInput{UserPoolId: pool, AttributesToGet: []string{"family_name"}}, "InvalidParameterException", "One or more requested attributes do not exist."},
			{"forged token", &cip.ListUsersInput{UserPoolId: pool, PaginationToken: aws.String("forged")}, "InvalidParameterException", "Invalid pagination token."},
			{"token of another filter", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`name ^= "a"`), PaginationToken: first.PaginationToken}, "InvalidParameterException", "Invalid pagination token."},
			{"unfiltered token with a filter", &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(`email ^= "a"`), PaginationToken: all.PaginationToken}, "InvalidParameterException", "Invalid pagination token."},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.ListUsers(ctx, tc.in)
				if tc.code == "InvalidParameterException" {
					var ip *types.InvalidParameterException
					if !errors.As(err, &ip) {
						t.Fatalf("error = %v, want *types.InvalidParameterException", err)
					}
				}
				wantAPIError(t, err, tc.code, tc.msg)
			})
		}
	})
}

// TestListUsersFollowsChanges checks that the index ListUsers searches
// follows every write to a user: attribute updates and deletions, disabling
// and enabling, confirmation, and deletion (which also ends the user's
// group memberships).
func TestListUsersFollowsChanges(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("listusers-changes")}).Id
		listUsersSeed(t, c, pool)
		check := func(filter string, want ...string) {
			t.Helper()
			if diff := cmp.Diff(want, listUsernames(t, c, pool, filter, 60)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", filter, diff)
			}
		}

		if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: aws.String("dave"),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("dave@example.net")}, {Name: aws.String("name"), Value: aws.String("David")}}}); err != nil {
			t.Fatal(err)
		}
		check(`email = "dave@example.net"`, "dave")
		check(`name = "axb"`)
		check(`name ^= "d"`, "dave")

		if _, err := c.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: pool, Username: aws.String("dave"), UserAttributeNames: []string{"name"}}); err != nil {
			t.Fatal(err)
		}
		check(`name ^= "d"`)

		if _, err := c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		check(`status = "Disabled"`, "bob")
		if _, err := c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		check(`status = "Disabled"`)

		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String("carol"), Password: aws.String("Correct-Horse-9"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		check(`cognito:user_status = "CONFIRMED"`, "carol")

		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"alice", "erin"} {
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("g"), Username: aws.String(u)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: pool, Username: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}
		check(`email ^= "alice"`)
		check(`name ^= "100"`, "bob")
		members, err := c.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("g")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"erin"}, sdkUserNames(members.Users)); diff != "" {
			t.Errorf("members after AdminDeleteUser (-want +got):\n%s", diff)
		}
	})
}
