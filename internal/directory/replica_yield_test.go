package directory

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

func TestYieldUserKey(t *testing.T) {
	attr := func(name, value string) idp.AttributeType {
		return idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(value)}
	}
	tests := []struct {
		name     string
		pool     idp.CreateUserPoolRequest
		username string
		attrs    []idp.AttributeType
		// key returns the key the user gives up.
		key func(p *idp.UserPoolType, sub string) string
		// check checks the user after it gave up the key.
		check func(t *testing.T, u *userRecord)
	}{
		{
			name:     "the username: renamed and disabled, everything else kept",
			username: "alice",
			attrs:    []idp.AttributeType{attr("email", "alice@example.com"), attr("name", "Alice B")},
			key:      func(p *idp.UserPoolType, _ string) string { return usernameKey(p, "alice") },
			check: func(t *testing.T, u *userRecord) {
				if want := ConflictUsernamePrefix + u.Sub + "-alice"; u.Username != want {
					t.Errorf("username %q, want %q", u.Username, want)
				}
				if u.Enabled || u.EnabledSetAt == nil {
					t.Errorf("enabled %v (set at %v), want disabled", u.Enabled, u.EnabledSetAt)
				}
				if u.Attributes["name"] != "Alice B" || u.Attributes["email"] != "alice@example.com" || u.PasswordHash == "" {
					t.Errorf("attributes %v, password %q: want them kept", u.Attributes, u.PasswordHash)
				}
				if u.Conflict == nil || u.Conflict.Username != "alice" || !slices.Equal(u.Conflict.Winners, []string{"winner-sub"}) {
					t.Errorf("conflict %+v", u.Conflict)
				}
			},
		},
		{
			name:     "an email alias: unverified, as when Cognito moves an alias; the user stays enabled",
			pool:     idp.CreateUserPoolRequest{AliasAttributes: []idp.AliasAttributeType{"email"}},
			username: "bob",
			attrs:    []idp.AttributeType{attr("email", "bob@example.com"), attr("email_verified", "true")},
			key:      func(p *idp.UserPoolType, _ string) string { return aliasKey(p, "email", "bob@example.com") },
			check: func(t *testing.T, u *userRecord) {
				if u.Username != "bob" || !u.Enabled || u.Attributes["email"] != "bob@example.com" || u.Attributes["email_verified"] != "false" {
					t.Errorf("username %q enabled %v attributes %v", u.Username, u.Enabled, u.Attributes)
				}
			},
		},
		{
			name:     "preferred_username: removed, kept in the conflict record",
			pool:     idp.CreateUserPoolRequest{AliasAttributes: []idp.AliasAttributeType{"preferred_username"}},
			username: "carol",
			attrs:    []idp.AttributeType{attr("preferred_username", "cc")},
			key:      func(p *idp.UserPoolType, _ string) string { return aliasKey(p, "preferred_username", "cc") },
			check: func(t *testing.T, u *userRecord) {
				if _, ok := u.Attributes["preferred_username"]; ok || u.Username != "carol" || !u.Enabled {
					t.Errorf("username %q enabled %v attributes %v", u.Username, u.Enabled, u.Attributes)
				}
				if u.Conflict == nil || u.Conflict.Attributes["preferred_username"] != "cc" {
					t.Errorf("conflict %+v", u.Conflict)
				}
			},
		},
		{
			name:     "a username of 128 characters: cut so that the new name has 128",
			username: strings.Repeat("é", 100) + strings.Repeat("z", 28),
			key: func(p *idp.UserPoolType, _ string) string {
				return usernameKey(p, strings.Repeat("é", 100)+strings.Repeat("z", 28))
			},
			check: func(t *testing.T, u *userRecord) {
				if want := ConflictUsernamePrefix + u.Sub + "-" + strings.Repeat("é", 82); u.Username != want {
					t.Errorf("username %q, want %q", u.Username, want)
				}
				if u.Enabled || u.Conflict == nil || u.Conflict.Username != strings.Repeat("é", 100)+strings.Repeat("z", 28) {
					t.Errorf("enabled %v conflict %+v: want disabled, with the whole username kept", u.Enabled, u.Conflict)
				}
			},
		},
		{
			name:     "an email username attribute: removed, renamed and disabled",
			pool:     idp.CreateUserPoolRequest{UsernameAttributes: []idp.UsernameAttributeType{"email"}},
			username: "dave@example.com",
			key:      func(p *idp.UserPoolType, _ string) string { return aliasKey(p, "email", "dave@example.com") },
			check: func(t *testing.T, u *userRecord) {
				if u.Username != ConflictUsernamePrefix+u.Sub || u.Enabled {
					t.Errorf("username %q enabled %v", u.Username, u.Enabled)
				}
				if _, ok := u.Attributes["email"]; ok || u.Conflict == nil || u.Conflict.Attributes["email"] != "dave@example.com" {
					t.Errorf("attributes %v conflict %+v", u.Attributes, u.Conflict)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newUTService(t)
			p := s.pool(t, &tc.pool)
			_, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr(tc.username),
				UserAttributes: tc.attrs, TemporaryPassword: cognito.Ptr("Temp-Password-1"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)})
			if err != nil {
				t.Fatal(err)
			}
			it, before, err := findUser(ctx, s.store, p, tc.username)
			if err != nil {
				t.Fatal(err)
			}
			key := tc.key(p, before.Sub)
			if !slices.Contains(it.Keys, key) {
				t.Fatalf("the user holds %q, not %q", it.Keys, key)
			}
			winner := &storage.Item{Kind: kindUser, ID: "winner-sub", Pool: it.Pool}
			var first, second *storage.Item
			err = s.store.Tx(ctx, func(tx storage.Tx) error {
				if first, err = YieldUserKey(ctx, tx, it, winner, key); err != nil {
					return err
				}
				if second, err = YieldUserKey(ctx, tx, it, winner, key); err != nil {
					return err
				}
				return tx.UpdateItem(ctx, first)
			})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Data, second.Data) || !slices.Equal(first.Keys, second.Keys) || !slices.Equal(first.Index, second.Index) {
				t.Error("two yields of the same user differ")
			}
			if slices.Contains(first.Keys, key) {
				t.Errorf("the user still holds %q", key)
			}
			if _, err := s.store.GetItemByKey(ctx, kindUser, key); err == nil {
				t.Errorf("%q is still held", key)
			}
			got, err := s.store.GetItem(ctx, kindUser, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			u, err := decodeUser(got)
			if err != nil {
				t.Fatal(err)
			}
			if u.Sub != before.Sub || !u.UpdatedAt.Equal(before.UpdatedAt) || !u.CreatedAt.Equal(before.CreatedAt) {
				t.Errorf("sub %q, times %v %v: want %q, %v %v", u.Sub, u.CreatedAt, u.UpdatedAt, before.Sub, before.CreatedAt, before.UpdatedAt)
			}
			tc.check(t, u)
			// The user is still an ordinary user an administrator reads
			// and lists; a renamed one under its new name.
			if _, err := s.AdminGetUser(ctx, utCaller, &idp.AdminGetUserRequest{UserPoolId: p.Id, Username: cognito.Ptr(u.Username)}); err != nil {
				t.Errorf("AdminGetUser %q: %v", u.Username, err)
			}
			if strings.HasPrefix(u.Username, ConflictUsernamePrefix) {
				out, err := s.ListUsers(ctx, utCaller, &idp.ListUsersRequest{UserPoolId: p.Id, Filter: cognito.Ptr(`username ^= "conflict-"`)})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Users) != 1 || cognito.Deref(out.Users[0].Username) != u.Username || cognito.Deref(out.Users[0].Enabled) {
					t.Errorf("ListUsers of the renamed users: %+v", out.Users)
				}
			}
		})
	}
}

// TestConflictUsername checks the name a user that lost its username gets:
// within Cognito's 128 characters (counted as characters, not bytes), cut
// from the end of the username only, the same for the same user whatever
// else holds, and unique by the sub.
func TestConflictUsername(t *testing.T) {
	const sub = "0b8a3a2e-7a55-4a34-9d52-1f0c6d1e8f11"
	const other = "5c1d9e0f-2b3a-4c5d-8e6f-7a8b9c0d1e2f"
	prefix := ConflictUsernamePrefix + sub + "-"
	tests := []struct {
		name, sub, username, want string
	}{
		{"a short username, whole", sub, "alice", prefix + "alice"},
		{"a username that just fits, whole", sub, strings.Repeat("a", 82), prefix + strings.Repeat("a", 82)},
		{"one character more: the last one cut", sub, strings.Repeat("a", 82) + "b", prefix + strings.Repeat("a", 82)},
		{"128 characters of two bytes: cut by characters", sub, strings.Repeat("ü", 128), prefix + strings.Repeat("ü", 82)},
		{"characters of four bytes", sub, strings.Repeat("𝄞", 90), prefix + strings.Repeat("𝄞", 82)},
		{"another sub, the same long username: another name", other, strings.Repeat("a", 128),
			ConflictUsernamePrefix + other + "-" + strings.Repeat("a", 82)},
		{"the username is the sub (a pool that signs in with email)", sub, sub, ConflictUsernamePrefix + sub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := conflictUsername(tc.sub, tc.username)
			if got != tc.want {
				t.Errorf("conflictUsername(%q, %q) = %q, want %q", tc.sub, tc.username, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > maxUsernameLength {
				t.Errorf("%d characters, more than %d", n, maxUsernameLength)
			}
			if !utf8.ValidString(got) {
				t.Errorf("%q is not valid UTF-8", got)
			}
		})
	}
}
