package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// groupFixture is a pool with a few users, on one backend.
type groupFixture struct {
	s     *Service
	st    storage.Store
	p     *idp.UserPoolType
	users map[string]*userRecord // by username
	now   time.Time
}

func newGroupFixture(t *testing.T, backend string, usernames ...string) *groupFixture {
	t.Helper()
	st := luOpenStore(t, backend)
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	f := &groupFixture{st: st, now: now, users: map[string]*userRecord{}}
	f.s = newTestService(st, Options{Passwords: testPasswords, Clock: func() time.Time { return f.now }})
	f.p = luNewPool(t, f.s, false)
	var users []*userRecord
	for _, name := range usernames {
		u := &userRecord{Username: name, Sub: luSub(), Enabled: true, Status: "CONFIRMED",
			Attributes: map[string]string{"email": name + "@example.com"}, CreatedAt: now, UpdatedAt: now}
		users = append(users, u)
		f.users[name] = u
	}
	luPutUsers(t, st, f.p, users, 100)
	return f
}

// luWantError fails unless err is the Cognito exception code with msg
// ("" for any message).
func luWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != code || (msg != "" && ce.Message != msg) {
		t.Fatalf("error = %v, want %s %q", err, code, msg)
	}
}

func luGroupNames(gs []idp.GroupType) []string {
	var out []string
	for _, g := range gs {
		out = append(out, cognito.Deref(g.GroupName))
	}
	return out
}

func luUserNames(us []idp.UserType) []string {
	var out []string
	for _, u := range us {
		out = append(out, cognito.Deref(u.Username))
	}
	return out
}

func TestGroupLifecycle(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			f := newGroupFixture(t, backend, "alice", "bob")
			ctx, pool := context.Background(), f.p.Id
			created := f.now

			out, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{
				UserPoolId: pool, GroupName: cognito.Ptr("admins"), Description: cognito.Ptr("Admins"),
				RoleArn: cognito.Ptr("arn:aws:iam::123456789012:role/admin"), Precedence: cognito.Ptr(int32(1)),
			})
			if err != nil {
				t.Fatal(err)
			}
			want := &idp.GroupType{
				GroupName: cognito.Ptr("admins"), UserPoolId: pool, Description: cognito.Ptr("Admins"),
				RoleArn: cognito.Ptr("arn:aws:iam::123456789012:role/admin"), Precedence: cognito.Ptr(int32(1)),
				CreationDate: &cognito.Timestamp{Time: created}, LastModifiedDate: &cognito.Timestamp{Time: created},
			}
			if diff := cmp.Diff(want, out.Group); diff != "" {
				t.Errorf("CreateGroup (-want +got):\n%s", diff)
			}

			_, err = f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")})
			luWantError(t, err, "GroupExistsException", "A group with the name admins already exists.")

			// Group names are case-sensitive.
			if _, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("Admins")}); err != nil {
				t.Fatal(err)
			}

			f.now = f.now.Add(time.Minute)
			upd, err := f.s.UpdateGroup(ctx, luCaller, &idp.UpdateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins"), Precedence: cognito.Ptr(int32(7))})
			if err != nil {
				t.Fatal(err)
			}
			want.Precedence = cognito.Ptr(int32(7))
			want.LastModifiedDate = &cognito.Timestamp{Time: f.now}
			if diff := cmp.Diff(want, upd.Group); diff != "" {
				t.Errorf("UpdateGroup keeps what it is not given (-want +got):\n%s", diff)
			}
			got, err := f.s.GetGroup(ctx, luCaller, &idp.GetGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.Group); diff != "" {
				t.Errorf("GetGroup (-want +got):\n%s", diff)
			}

			for _, name := range []string{"alice", "bob"} {
				if _, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins"), Username: cognito.Ptr(name)}); err != nil {
					t.Fatal(err)
				}
			}
			// Adding again succeeds and changes nothing; users resolve by alias too.
			if _, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins"), Username: cognito.Ptr("ALICE")}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("Admins"), Username: cognito.Ptr(f.users["alice"].Sub)}); err != nil {
				t.Fatal(err)
			}

			members, err := f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")})
			if err != nil {
				t.Fatal(err)
			}
			gotNames := luUserNames(members.Users)
			slices.Sort(gotNames)
			if diff := cmp.Diff([]string{"alice", "bob"}, gotNames); diff != "" {
				t.Errorf("ListUsersInGroup (-want +got):\n%s", diff)
			}
			groups, err := f.s.AdminListGroupsForUser(ctx, luCaller, &idp.AdminListGroupsForUserRequest{UserPoolId: pool, Username: cognito.Ptr("alice")})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"Admins", "admins"}, luGroupNames(groups.Groups)); diff != "" {
				t.Errorf("AdminListGroupsForUser (-want +got):\n%s", diff)
			}

			if _, err := f.s.AdminRemoveUserFromGroup(ctx, luCaller, &idp.AdminRemoveUserFromGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins"), Username: cognito.Ptr("bob")}); err != nil {
				t.Fatal(err)
			}
			// Removing a non-member succeeds.
			if _, err := f.s.AdminRemoveUserFromGroup(ctx, luCaller, &idp.AdminRemoveUserFromGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins"), Username: cognito.Ptr("bob")}); err != nil {
				t.Fatal(err)
			}
			members, err = f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"alice"}, luUserNames(members.Users)); diff != "" {
				t.Errorf("ListUsersInGroup after removal (-want +got):\n%s", diff)
			}

			if _, err := f.s.DeleteGroup(ctx, luCaller, &idp.DeleteGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")}); err != nil {
				t.Fatal(err)
			}
			_, err = f.s.GetGroup(ctx, luCaller, &idp.GetGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("admins")})
			luWantError(t, err, "ResourceNotFoundException", "Group not found.")
			// The deleted group's memberships went with it.
			n, err := f.st.CountItems(ctx, kindGroupMember, cognito.Deref(pool))
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d memberships left, want 1 (alice in Admins)", n)
			}
			groups, err = f.s.AdminListGroupsForUser(ctx, luCaller, &idp.AdminListGroupsForUserRequest{UserPoolId: pool, Username: cognito.Ptr("alice")})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"Admins"}, luGroupNames(groups.Groups)); diff != "" {
				t.Errorf("AdminListGroupsForUser after delete (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGroupErrors(t *testing.T) {
	f := newGroupFixture(t, "sqlite", "alice")
	ctx, pool := context.Background(), f.p.Id
	if _, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g")}); err != nil {
		t.Fatal(err)
	}
	missingPool := cognito.Ptr("us-east-1_nopool000")
	const (
		notFound     = "ResourceNotFoundException"
		userNotFound = "UserNotFoundException"
	)
	tests := []struct {
		name     string
		call     func() error
		code     string
		msg      string
		ignoreOK bool
	}{
		{"get missing group", func() error {
			_, err := f.s.GetGroup(ctx, luCaller, &idp.GetGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope")})
			return err
		}, notFound, "Group not found.", false},
		{"update missing group", func() error {
			_, err := f.s.UpdateGroup(ctx, luCaller, &idp.UpdateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope"), Description: cognito.Ptr("x")})
			return err
		}, notFound, "Group not found.", false},
		{"delete missing group", func() error {
			_, err := f.s.DeleteGroup(ctx, luCaller, &idp.DeleteGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope")})
			return err
		}, notFound, "Group not found.", false},
		{"list members of missing group", func() error {
			_, err := f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope")})
			return err
		}, notFound, "Group not found.", false},
		{"add to missing group", func() error {
			_, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope"), Username: cognito.Ptr("alice")})
			return err
		}, notFound, "Group not found.", false},
		{"add missing user", func() error {
			_, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g"), Username: cognito.Ptr("zed")})
			return err
		}, userNotFound, "User does not exist.", false},
		{"remove missing user", func() error {
			_, err := f.s.AdminRemoveUserFromGroup(ctx, luCaller, &idp.AdminRemoveUserFromGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g"), Username: cognito.Ptr("zed")})
			return err
		}, userNotFound, "User does not exist.", false},
		{"remove from missing group", func() error {
			_, err := f.s.AdminRemoveUserFromGroup(ctx, luCaller, &idp.AdminRemoveUserFromGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("nope"), Username: cognito.Ptr("alice")})
			return err
		}, notFound, "Group not found.", false},
		{"groups of missing user", func() error {
			_, err := f.s.AdminListGroupsForUser(ctx, luCaller, &idp.AdminListGroupsForUserRequest{UserPoolId: pool, Username: cognito.Ptr("zed")})
			return err
		}, userNotFound, "User does not exist.", false},
		{"create in missing pool", func() error {
			_, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: missingPool, GroupName: cognito.Ptr("g")})
			return err
		}, notFound, "User pool us-east-1_nopool000 does not exist.", false},
		{"pool in another region", func() error {
			_, err := f.s.ListGroups(ctx, cognito.Caller{Region: "eu-west-1"}, &idp.ListGroupsRequest{UserPoolId: pool})
			return err
		}, notFound, fmt.Sprintf("User pool %s does not exist.", cognito.Deref(pool)), false},
		{"forged token", func() error {
			_, err := f.s.ListGroups(ctx, luCaller, &idp.ListGroupsRequest{UserPoolId: pool, NextToken: cognito.Ptr("eyJzIjoiTGlzdEdyb3VwcyJ9.AAAA")})
			return err
		}, "InvalidParameterException", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			luWantError(t, tc.call(), tc.code, tc.msg)
		})
	}
}

// TestGroupPagination pages through groups, members and memberships with
// every page size, checks tokens are refused in other listings, and that
// names holding "/" and "%" keep groups apart.
func TestGroupPagination(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			var names []string
			for i := range 7 {
				names = append(names, fmt.Sprintf("u%d", i))
			}
			f := newGroupFixture(t, backend, names...)
			ctx, pool := context.Background(), f.p.Id
			groups := []string{"a", "a/b", "a%2Fb", "a/", "b", "b/a"}
			for _, g := range groups {
				if _, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr(g)}); err != nil {
					t.Fatal(err)
				}
			}
			// Group "a" has every user; the others have none but u0.
			for _, u := range names {
				if _, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("a"), Username: cognito.Ptr(u)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, g := range groups[1:] {
				if _, err := f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr(g), Username: cognito.Ptr("u0")}); err != nil {
					t.Fatal(err)
				}
			}
			wantGroups := slices.Clone(groups)
			slices.Sort(wantGroups)

			for limit := 1; limit <= 8; limit++ {
				var gotGroups []string
				var token *string
				for {
					out, err := f.s.ListGroups(ctx, luCaller, &idp.ListGroupsRequest{UserPoolId: pool, Limit: cognito.Ptr(int32(limit)), NextToken: token})
					if err != nil {
						t.Fatal(err)
					}
					gotGroups = append(gotGroups, luGroupNames(out.Groups)...)
					if token = out.NextToken; token == nil {
						break
					}
				}
				if diff := cmp.Diff(wantGroups, gotGroups); diff != "" {
					t.Errorf("ListGroups limit %d (-want +got):\n%s", limit, diff)
				}

				var gotUsers []string
				token = nil
				for {
					out, err := f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("a"), Limit: cognito.Ptr(int32(limit)), NextToken: token})
					if err != nil {
						t.Fatal(err)
					}
					gotUsers = append(gotUsers, luUserNames(out.Users)...)
					if token = out.NextToken; token == nil {
						break
					}
					// A token of one group is refused for another.
					_, err = f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("a/b"), NextToken: token})
					luWantError(t, err, "InvalidParameterException", "")
				}
				slices.Sort(gotUsers)
				if diff := cmp.Diff(names, gotUsers); diff != "" {
					t.Errorf("ListUsersInGroup limit %d (-want +got):\n%s", limit, diff)
				}

				var gotMemberships []string
				token = nil
				for {
					out, err := f.s.AdminListGroupsForUser(ctx, luCaller, &idp.AdminListGroupsForUserRequest{UserPoolId: pool, Username: cognito.Ptr("u0"), Limit: cognito.Ptr(int32(limit)), NextToken: token})
					if err != nil {
						t.Fatal(err)
					}
					gotMemberships = append(gotMemberships, luGroupNames(out.Groups)...)
					if token = out.NextToken; token == nil {
						break
					}
				}
				if diff := cmp.Diff(wantGroups, gotMemberships); diff != "" {
					t.Errorf("AdminListGroupsForUser limit %d (-want +got):\n%s", limit, diff)
				}
			}

			for _, g := range groups[1:] {
				out, err := f.s.ListUsersInGroup(ctx, luCaller, &idp.ListUsersInGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr(g)})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]string{"u0"}, luUserNames(out.Users)); diff != "" {
					t.Errorf("members of %q (-want +got):\n%s", g, diff)
				}
			}
			// Deleting "a" leaves "a/b" and the others whole.
			if _, err := f.s.DeleteGroup(ctx, luCaller, &idp.DeleteGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("a")}); err != nil {
				t.Fatal(err)
			}
			n, err := f.st.CountItems(ctx, kindGroupMember, cognito.Deref(pool))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(groups)-1) {
				t.Errorf("%d memberships left, want %d", n, len(groups)-1)
			}
		})
	}
}

// TestAddUserToGroupConcurrently adds the same membership from many
// goroutines at once: every call succeeds and one membership remains.
func TestAddUserToGroupConcurrently(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			f := newGroupFixture(t, backend, "alice")
			ctx, pool := context.Background(), f.p.Id
			if _, err := f.s.CreateGroup(ctx, luCaller, &idp.CreateGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g")}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = f.s.AdminAddUserToGroup(ctx, luCaller, &idp.AdminAddUserToGroupRequest{UserPoolId: pool, GroupName: cognito.Ptr("g"), Username: cognito.Ptr("alice")})
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Errorf("AdminAddUserToGroup: %v", err)
				}
			}
			n, err := f.st.CountItems(ctx, kindGroupMember, cognito.Deref(pool))
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d memberships, want 1", n)
			}
		})
	}
}
