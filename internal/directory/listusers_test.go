package directory

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func luAttr(name, value string) idp.AttributeType {
	return idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(value)}
}

func TestListUsersAttributesToGet(t *testing.T) {
	st := luOpenStore(t, "sqlite")
	s := newTestService(st, Options{Passwords: testPasswords})
	p := luNewPool(t, s, true)
	at := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	jane := &userRecord{Username: "jane", Sub: "00000000-0000-4000-8000-000000000001", Enabled: true, Status: "CONFIRMED",
		Attributes: map[string]string{"email": "jane@example.com", "given_name": "Jane", "email_verified": "true"},
		MFAOptions: []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumType("SMS")), AttributeName: cognito.Ptr("phone_number")}},
		CreatedAt:  at, UpdatedAt: at.Add(time.Hour)}
	john := &userRecord{Username: "john", Sub: "00000000-0000-4000-8000-000000000002", Enabled: false, Status: "FORCE_CHANGE_PASSWORD",
		Attributes: map[string]string{"email": "john@example.com"}, CreatedAt: at, UpdatedAt: at}
	luPutUsers(t, st, p, []*userRecord{jane, john}, 10)
	ctx := context.Background()

	tests := []struct {
		name    string
		filter  string
		get     []string
		want    []idp.UserType
		wantErr string
	}{
		{
			name: "all attributes", filter: `username = "jane"`,
			want: []idp.UserType{{
				Username: cognito.Ptr("jane"),
				Attributes: []idp.AttributeType{
					luAttr("sub", jane.Sub), luAttr("email", "jane@example.com"), luAttr("email_verified", "true"), luAttr("given_name", "Jane"),
				},
				UserCreateDate: &cognito.Timestamp{Time: at}, UserLastModifiedDate: &cognito.Timestamp{Time: at.Add(time.Hour)},
				Enabled: cognito.Ptr(true), UserStatus: cognito.Ptr(idp.UserStatusType("CONFIRMED")), MFAOptions: jane.MFAOptions,
			}},
		},
		{
			name: "only the requested, in the order asked", filter: `username = "jane"`, get: []string{"given_name", "sub", "given_name"},
			want: []idp.UserType{{
				Username:       cognito.Ptr("jane"),
				Attributes:     []idp.AttributeType{luAttr("given_name", "Jane"), luAttr("sub", jane.Sub)},
				UserCreateDate: &cognito.Timestamp{Time: at}, UserLastModifiedDate: &cognito.Timestamp{Time: at.Add(time.Hour)},
				Enabled: cognito.Ptr(true), UserStatus: cognito.Ptr(idp.UserStatusType("CONFIRMED")), MFAOptions: jane.MFAOptions,
			}},
		},
		{
			name: "empty list returns no attributes", filter: `status = "Disabled"`, get: []string{},
			want: []idp.UserType{{
				Username: cognito.Ptr("john"), Attributes: []idp.AttributeType{},
				UserCreateDate: &cognito.Timestamp{Time: at}, UserLastModifiedDate: &cognito.Timestamp{Time: at},
				Enabled: cognito.Ptr(false), UserStatus: cognito.Ptr(idp.UserStatusType("FORCE_CHANGE_PASSWORD")),
			}},
		},
		{name: "attribute not in the schema", get: []string{"custom:nope"}, wantErr: "One or more requested attributes do not exist."},
		{name: "a listed user lacks the attribute", get: []string{"given_name"}, wantErr: "One or more requested attributes do not exist."},
		{name: "every listed user has it", filter: `given_name ^= "J"`, get: []string{"email"},
			want: []idp.UserType{{
				Username: cognito.Ptr("jane"), Attributes: []idp.AttributeType{luAttr("email", "jane@example.com")},
				UserCreateDate: &cognito.Timestamp{Time: at}, UserLastModifiedDate: &cognito.Timestamp{Time: at.Add(time.Hour)},
				Enabled: cognito.Ptr(true), UserStatus: cognito.Ptr(idp.UserStatusType("CONFIRMED")), MFAOptions: jane.MFAOptions,
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.ListUsers(ctx, luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(tc.filter), AttributesToGet: tc.get})
			if tc.wantErr != "" {
				luWantError(t, err, "InvalidParameterException", tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.Users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListUsersErrors(t *testing.T) {
	st := luOpenStore(t, "sqlite")
	s := newTestService(st, Options{Passwords: testPasswords})
	p := luNewPool(t, s, true)
	at := time.Now().UTC().Truncate(time.Millisecond)
	var users []*userRecord
	for i := range 3 {
		users = append(users, &userRecord{Username: fmt.Sprintf("u%d", i), Sub: luSub(), Enabled: true, Status: "CONFIRMED",
			Attributes: map[string]string{"email": fmt.Sprintf("u%d@example.com", i)}, CreatedAt: at, UpdatedAt: at})
	}
	luPutUsers(t, st, p, users, 10)
	ctx := context.Background()
	page := func(filter string, token *string) *idp.ListUsersResponse {
		t.Helper()
		out, err := s.ListUsers(ctx, luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(filter), Limit: cognito.Ptr(int32(1)), PaginationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	emailToken := page(`email ^= "u"`, nil).PaginationToken
	allToken := page("", nil).PaginationToken
	if emailToken == nil || allToken == nil {
		t.Fatal("no pagination token with more users to list")
	}
	// The same filter, spelled differently, continues the listing.
	if got := page(`"email"^="U"`, emailToken); len(got.Users) != 1 {
		t.Errorf("respelled filter: %d users, want 1", len(got.Users))
	}

	other := luNewPool(t, s, true)
	tests := []struct {
		name string
		req  *idp.ListUsersRequest
		code string
		msg  string
	}{
		{"missing pool", &idp.ListUsersRequest{UserPoolId: cognito.Ptr("us-east-1_missing00")}, "ResourceNotFoundException", "User pool us-east-1_missing00 does not exist."},
		{"bad filter", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email = x`)}, "InvalidParameterException", "Error while parsing filter."},
		{"unsearchable attribute", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`custom:x = "y"`)}, "InvalidParameterException", "Invalid search attribute: custom:x"},
		{"garbage token", &idp.ListUsersRequest{UserPoolId: p.Id, PaginationToken: cognito.Ptr("garbage")}, "InvalidParameterException", "Invalid pagination token."},
		{"token of another filter", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email ^= "u1"`), PaginationToken: emailToken}, "InvalidParameterException", "Invalid pagination token."},
		{"filtered token without the filter", &idp.ListUsersRequest{UserPoolId: p.Id, PaginationToken: emailToken}, "InvalidParameterException", "Invalid pagination token."},
		{"unfiltered token with a filter", &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`email ^= "u"`), PaginationToken: allToken}, "InvalidParameterException", "Invalid pagination token."},
		{"token of another pool", &idp.ListUsersRequest{UserPoolId: other.Id, PaginationToken: allToken}, "InvalidParameterException", "Invalid pagination token."},
		{"tampered token", &idp.ListUsersRequest{UserPoolId: p.Id, PaginationToken: cognito.Ptr("x" + *allToken)}, "InvalidParameterException", "Invalid pagination token."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ListUsers(ctx, luCaller, tc.req)
			luWantError(t, err, tc.code, tc.msg)
		})
	}
}

// TestListUsersStableUnderInserts pages through a listing while users are
// created before and after the cursor: every user that existed when the
// listing started is returned exactly once, in order.
func TestListUsersStableUnderInserts(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			st := luOpenStore(t, backend)
			s := newTestService(st, Options{Passwords: testPasswords})
			p := luNewPool(t, s, true)
			at := time.Now().UTC().Truncate(time.Millisecond)
			mk := func(i int) *userRecord {
				return &userRecord{Username: fmt.Sprintf("user%03d", i), Sub: luSub(), Enabled: true, Status: "CONFIRMED",
					Attributes: map[string]string{"email": fmt.Sprintf("user%03d@example.com", i)}, CreatedAt: at, UpdatedAt: at}
			}
			var initial []*userRecord
			for i := range 30 {
				initial = append(initial, mk(i*2))
			}
			luPutUsers(t, st, p, initial, 100)
			next := 1000
			for _, filter := range []string{"", `email ^= "user"`} {
				var got []string
				var token *string
				for {
					out, err := s.ListUsers(context.Background(), luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(filter), Limit: cognito.Ptr(int32(4)), PaginationToken: token})
					if err != nil {
						t.Fatal(err)
					}
					for _, u := range out.Users {
						got = append(got, cognito.Deref(u.Username))
					}
					if token = out.PaginationToken; token == nil {
						break
					}
					// Users whose names sort between and around the ones listed.
					luPutUsers(t, st, p, []*userRecord{mk(next), mk(next + 1)}, 10)
					next += 2
				}
				seen := map[string]int{}
				for _, name := range got {
					seen[name]++
				}
				for _, u := range initial {
					if seen[u.Username] != 1 {
						t.Errorf("filter %q: %s listed %d times, want once", filter, u.Username, seen[u.Username])
					}
				}
				for name, n := range seen {
					if n != 1 {
						t.Errorf("filter %q: %s listed %d times", filter, name, n)
					}
				}
				if filter != "" && !slices.IsSorted(got) {
					t.Errorf("filter %q: listing out of order: %q", filter, got)
				}
			}
		})
	}
}

func TestListUsersLimit(t *testing.T) {
	st := luOpenStore(t, "sqlite")
	s := newTestService(st, Options{Passwords: testPasswords})
	p := luNewPool(t, s, true)
	at := time.Now().UTC().Truncate(time.Millisecond)
	var users []*userRecord
	for i := range 61 {
		users = append(users, &userRecord{Username: fmt.Sprintf("u%02d", i), Sub: luSub(), Enabled: true, Status: "CONFIRMED", Attributes: map[string]string{}, CreatedAt: at, UpdatedAt: at})
	}
	luPutUsers(t, st, p, users, 100)
	for _, tc := range []struct {
		limit *int32
		want  int
	}{{nil, 60}, {cognito.Ptr(int32(0)), 60}, {cognito.Ptr(int32(60)), 60}, {cognito.Ptr(int32(7)), 7}} {
		out, err := s.ListUsers(context.Background(), luCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Users) != tc.want || out.PaginationToken == nil {
			t.Errorf("Limit %v: %d users (token %v), want %d and a token", cognito.Deref(tc.limit), len(out.Users), out.PaginationToken != nil, tc.want)
		}
	}
}
