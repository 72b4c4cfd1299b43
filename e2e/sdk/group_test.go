package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// groupCreateUser creates a user through AdminCreateUser, with no
// invitation sent.
func groupCreateUser(t *testing.T, c *cip.Client, pool *string, username string, attrs ...types.AttributeType) {
	t.Helper()
	_, err := c.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{
		UserPoolId: pool, Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: attrs,
	})
	if err != nil {
		t.Fatalf("AdminCreateUser %q: %v", username, err)
	}
}

func sdkGroupNames(gs []types.GroupType) []string {
	var out []string
	for _, g := range gs {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

func sdkUserNames(us []types.UserType) []string {
	var out []string
	for _, u := range us {
		out = append(out, aws.ToString(u.Username))
	}
	return out
}

func TestGroups(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("groups")}).Id
		before := time.Now().Add(-time.Second)

		created, err := c.CreateGroup(ctx, &cip.CreateGroupInput{
			UserPoolId: pool, GroupName: aws.String("admins"), Description: aws.String("Administrators"),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/admins"), Precedence: aws.Int32(1),
		})
		if err != nil {
			t.Fatal(err)
		}
		g := created.Group
		if aws.ToString(g.GroupName) != "admins" || aws.ToString(g.UserPoolId) != aws.ToString(pool) ||
			aws.ToString(g.Description) != "Administrators" || aws.ToString(g.RoleArn) != "arn:aws:iam::123456789012:role/admins" ||
			aws.ToInt32(g.Precedence) != 1 || g.CreationDate == nil || g.CreationDate.Before(before) || !g.LastModifiedDate.Equal(*g.CreationDate) {
			t.Errorf("CreateGroup returned %+v", g)
		}
		_, err = c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("admins")})
		var exists *types.GroupExistsException
		if !errors.As(err, &exists) {
			t.Fatalf("duplicate CreateGroup: %v, want GroupExistsException", err)
		}
		wantAPIError(t, err, "GroupExistsException", "A group with the name admins already exists.")

		// A group with only a name has no Description, RoleArn or Precedence.
		bare, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("readers")})
		if err != nil {
			t.Fatal(err)
		}
		if bare.Group.Description != nil || bare.Group.RoleArn != nil || bare.Group.Precedence != nil {
			t.Errorf("bare group: %+v", bare.Group)
		}

		time.Sleep(5 * time.Millisecond)
		upd, err := c.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: pool, GroupName: aws.String("admins"), Precedence: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(upd.Group.Precedence) != 5 || aws.ToString(upd.Group.Description) != "Administrators" ||
			aws.ToString(upd.Group.RoleArn) != "arn:aws:iam::123456789012:role/admins" ||
			!upd.Group.CreationDate.Equal(*g.CreationDate) || !upd.Group.LastModifiedDate.After(*g.LastModifiedDate) {
			t.Errorf("UpdateGroup returned %+v", upd.Group)
		}
		got, err := c.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("admins")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(upd.Group, got.Group, cmpOpts); diff != "" {
			t.Errorf("GetGroup (-updated +got):\n%s", diff)
		}

		groupCreateUser(t, c, pool, "alice", types.AttributeType{Name: aws.String("email"), Value: aws.String("alice@example.com")})
		groupCreateUser(t, c, pool, "bob")
		for _, u := range []string{"alice", "bob", "alice"} { // the second add of alice succeeds
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("admins"), Username: aws.String(u)}); err != nil {
				t.Fatalf("AdminAddUserToGroup %s: %v", u, err)
			}
		}
		if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("readers"), Username: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}

		members, err := c.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("admins")})
		if err != nil {
			t.Fatal(err)
		}
		names := sdkUserNames(members.Users)
		slices.Sort(names)
		if diff := cmp.Diff([]string{"alice", "bob"}, names); diff != "" {
			t.Errorf("ListUsersInGroup (-want +got):\n%s", diff)
		}
		for _, u := range members.Users {
			if u.UserStatus != types.UserStatusTypeForceChangePassword || !u.Enabled || u.UserCreateDate == nil {
				t.Errorf("member %+v", u)
			}
		}
		forUser, err := c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"admins", "readers"}, sdkGroupNames(forUser.Groups)); diff != "" {
			t.Errorf("AdminListGroupsForUser (-want +got):\n%s", diff)
		}
		if aws.ToInt32(forUser.Groups[0].Precedence) != 5 {
			t.Errorf("AdminListGroupsForUser group: %+v", forUser.Groups[0])
		}

		if _, err := c.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, GroupName: aws.String("admins"), Username: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}
		forUser, err = c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"readers"}, sdkGroupNames(forUser.Groups)); diff != "" {
			t.Errorf("after removal (-want +got):\n%s", diff)
		}

		list, err := c.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"admins", "readers"}, sdkGroupNames(list.Groups)); diff != "" {
			t.Errorf("ListGroups (-want +got):\n%s", diff)
		}

		if _, err := c.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("readers")}); err != nil {
			t.Fatal(err)
		}
		forUser, err = c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		if len(forUser.Groups) != 0 {
			t.Errorf("groups of alice after DeleteGroup: %v", sdkGroupNames(forUser.Groups))
		}
		_, err = c.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("readers")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("GetGroup of a deleted group: %v, want ResourceNotFoundException", err)
		}
	})
}

func TestGroupErrors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("group-errors")}).Id
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
		groupCreateUser(t, c, pool, "alice")
		missingPool := aws.String("us-east-1_AAAAAAAAA")
		tests := []struct {
			name string
			call func() error
			code string
			msg  string
		}{
			{"GetGroup missing", func() error {
				_, err := c.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("nope")})
				return err
			}, "ResourceNotFoundException", "Group not found."},
			{"UpdateGroup missing", func() error {
				_, err := c.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: pool, GroupName: aws.String("nope"), Description: aws.String("d")})
				return err
			}, "ResourceNotFoundException", "Group not found."},
			{"DeleteGroup missing", func() error {
				_, err := c.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("nope")})
				return err
			}, "ResourceNotFoundException", "Group not found."},
			{"ListUsersInGroup missing", func() error {
				_, err := c.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("nope")})
				return err
			}, "ResourceNotFoundException", "Group not found."},
			{"AdminAddUserToGroup missing group", func() error {
				_, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("nope"), Username: aws.String("alice")})
				return err
			}, "ResourceNotFoundException", "Group not found."},
			{"AdminAddUserToGroup missing user", func() error {
				_, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("g"), Username: aws.String("zed")})
				return err
			}, "UserNotFoundException", "User does not exist."},
			{"AdminRemoveUserFromGroup missing user", func() error {
				_, err := c.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, GroupName: aws.String("g"), Username: aws.String("zed")})
				return err
			}, "UserNotFoundException", "User does not exist."},
			{"AdminListGroupsForUser missing user", func() error {
				_, err := c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("zed")})
				return err
			}, "UserNotFoundException", "User does not exist."},
			{"CreateGroup missing pool", func() error {
				_, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: missingPool, GroupName: aws.String("g")})
				return err
			}, "ResourceNotFoundException", "User pool us-east-1_AAAAAAAAA does not exist."},
			{"ListGroups missing pool", func() error {
				_, err := c.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: missingPool})
				return err
			}, "ResourceNotFoundException", "User pool us-east-1_AAAAAAAAA does not exist."},
			{"CreateGroup negative precedence", func() error {
				_, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("neg"), Precedence: aws.Int32(-1)})
				return err
			}, "InvalidParameterException", ""},
			{"ListGroups limit over 60", func() error {
				_, err := c.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(61)})
				return err
			}, "InvalidParameterException", ""},
			{"ListGroups forged token", func() error {
				_, err := c.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool, NextToken: aws.String("forged.token")})
				return err
			}, "InvalidParameterException", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, tc.call(), tc.code, tc.msg)
			})
		}
	})
}

// TestGroupPaginators pages through groups, members and memberships with
// the SDK's paginators.
func TestGroupPaginators(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("group-pages")}).Id
		var groups, users []string
		for i := range 7 {
			groups = append(groups, fmt.Sprintf("g/%d", i))
			users = append(users, fmt.Sprintf("u%d", i))
		}
		for _, g := range groups {
			if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String(g)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range users {
			groupCreateUser(t, c, pool, u)
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("g/0"), Username: aws.String(u)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range groups[1:] {
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String(g), Username: aws.String("u0")}); err != nil {
				t.Fatal(err)
			}
		}

		var gotGroups []string
		gp := cip.NewListGroupsPaginator(c, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(3)})
		for gp.HasMorePages() {
			out, err := gp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotGroups = append(gotGroups, sdkGroupNames(out.Groups)...)
		}
		if diff := cmp.Diff(groups, gotGroups); diff != "" {
			t.Errorf("ListGroups pages (-want +got):\n%s", diff)
		}

		var gotUsers []string
		up := cip.NewListUsersInGroupPaginator(c, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("g/0"), Limit: aws.Int32(2)})
		for up.HasMorePages() {
			out, err := up.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotUsers = append(gotUsers, sdkUserNames(out.Users)...)
		}
		slices.Sort(gotUsers)
		if diff := cmp.Diff(users, gotUsers); diff != "" {
			t.Errorf("ListUsersInGroup pages (-want +got):\n%s", diff)
		}

		var gotMemberships []string
		mp := cip.NewAdminListGroupsForUserPaginator(c, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("u0"), Limit: aws.Int32(4)})
		for mp.HasMorePages() {
			out, err := mp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotMemberships = append(gotMemberships, sdkGroupNames(out.Groups)...)
		}
		if diff := cmp.Diff(groups, gotMemberships); diff != "" {
			t.Errorf("AdminListGroupsForUser pages (-want +got):\n%s", diff)
		}

		// Deleting a group removes only its own memberships.
		if _, err := c.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("g/0")}); err != nil {
			t.Fatal(err)
		}
		out, err := c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("u1")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Groups) != 0 {
			t.Errorf("u1 still in %v", sdkGroupNames(out.Groups))
		}
		out, err = c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("u0")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(groups[1:], sdkGroupNames(out.Groups)); diff != "" {
			t.Errorf("u0 groups after delete (-want +got):\n%s", diff)
		}
	})
}
