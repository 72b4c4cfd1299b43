package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// userConflict records what a user gave up to a user made earlier in
// another region that claimed the same username or alias while the two
// regions had not seen each other's user (YieldUserKey). It stays on the
// user, so an operator finds what the user had.
type userConflict struct {
	// Username is the username the user was made with, when it lost it.
	Username string `json:"username,omitempty"`
	// Winners are the subs of the users that kept the keys, Keys the
	// unique keys given up, in the order they were.
	Winners []string `json:"winners"`
	Keys    []string `json:"keys"`
	// Attributes are the values the user no longer has because they
	// were the key it gave up (a username attribute, preferred_username).
	Attributes map[string]string `json:"attributes,omitempty"`
	// Identities are the linked external identities given up.
	Identities []linkedIdentity `json:"identities,omitempty"`
}

// ConflictUsernamePrefix begins the username a user is renamed to when a
// user made earlier in another region keeps its username:
// "conflict-<sub>-<username>", shortened to Cognito's 128 characters
// (conflictUsername). ListUsers with the filter `username ^= "conflict-"`
// lists such users.
const ConflictUsernamePrefix = "conflict-"

// maxUsernameLength is Cognito's limit on a username, in characters.
const maxUsernameLength = 128

// conflictUsername returns the name a user of sub that lost the username
// original is renamed to: "conflict-<sub>-<original>", with original cut
// to its first characters where the whole would pass Cognito's 128
// characters (a sub, a UUID, leaves 82 of them), and "conflict-<sub>"
// where original is the sub itself (a pool that signs in with email or
// phone number, whose usernames are the subs). It depends on nothing
// else, so every region renames a user alike, and the sub, unique in the
// pool, keeps the name unique however the username was cut; the whole
// username stays in the user's conflict record.
func conflictUsername(sub, original string) string {
	name := ConflictUsernamePrefix + sub
	if original == sub || original == "" {
		return name
	}
	name += "-"
	room := maxUsernameLength - utf8.RuneCountInString(name)
	if room <= 0 {
		// Only a sub far longer than a UUID gets here.
		return ConflictUsernamePrefix + sub
	}
	if utf8.RuneCountInString(original) <= room {
		return name + original
	}
	i, n := 0, 0
	for i = range original {
		if n == room {
			break
		}
		n++
	}
	return name + original[:i]
}

// YieldUserKey gives up a unique key of loser, a user, that winner, a user
// of the same pool made earlier in another region, keeps: replication's
// YieldFunc for users (docs/regions.md). What goes with the key is what
// keeps two people apart without losing either's data:
//
//   - the username, or a username attribute (email or phone_number in a
//     pool that signs in with them): the user is renamed
//     conflict-<sub>-<username> (conflictUsername) and disabled, a username attribute's
//     value removed, so it can never sign in as the winner, nor with what
//     now names the winner; its sub, password, MFA, groups and other
//     attributes stay, and an administrator can rename nothing but can
//     read, enable, update or delete it;
//   - an alias (email or phone_number in AliasAttributes): the value stays
//     and becomes unverified, as when Cognito moves an alias to another
//     user, and the user keeps signing in with its username;
//   - preferred_username: removed, as it needs no verification to claim;
//   - a linked external identity: unlinked.
//
// What it gave up is kept in the user's record (userConflict). It is
// deterministic, as a YieldFunc must be: the disable's time is the user's
// last update, not the clock's.
func YieldUserKey(ctx context.Context, tx storage.Tx, loser, winner *storage.Item, key string) (*storage.Item, error) {
	rec, err := tx.GetUserPool(ctx, loser.Pool)
	if err != nil {
		return nil, fmt.Errorf("user pool %q: %w", loser.Pool, err)
	}
	var p idp.UserPoolType
	if err := json.Unmarshal(rec.Config, &p); err != nil {
		return nil, fmt.Errorf("decode user pool %q: %w", rec.ID, err)
	}
	u, err := decodeUser(loser)
	if err != nil {
		return nil, err
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	c := u.Conflict
	if c == nil {
		c = &userConflict{}
	}
	c.Winners = append(c.Winners, winner.ID)
	c.Keys = append(c.Keys, key)
	keep := func(attr string) {
		if c.Attributes == nil {
			c.Attributes = map[string]string{}
		}
		c.Attributes[attr] = u.Attributes[attr]
		delete(u.Attributes, attr)
		delete(u.Attributes, attr+"_verified")
	}
	attr := keyAttribute(&p, key)
	switch {
	case key == usernameKey(&p, u.Username):
		renameLoser(u, c)
	case attr != "" && hasUsernameAttribute(&p, attr):
		keep(attr)
		renameLoser(u, c)
	case attr == "preferred_username":
		keep(attr)
	case attr != "":
		u.Attributes[attr+"_verified"] = "false"
	default:
		i := slices.IndexFunc(u.Identities, func(id linkedIdentity) bool {
			return identityKey(loser.Pool, id.ProviderName, id.AttributeName, id.Value) == key
		})
		if i < 0 {
			return nil, fmt.Errorf("user %q holds no key %q", loser.ID, key)
		}
		c.Identities = append(c.Identities, u.Identities[i])
		u.Identities = slices.Delete(u.Identities, i, i+1)
	}
	u.Conflict = c
	return userItem(&p, u, loser.Version)
}

// renameLoser renames u, which lost its username (or username attribute),
// and disables it.
func renameLoser(u *userRecord, c *userConflict) {
	if c.Username == "" {
		c.Username = u.Username
	}
	u.Username = conflictUsername(u.Sub, c.Username)
	at := u.UpdatedAt
	if u.EnabledSetAt != nil && u.EnabledSetAt.After(at) {
		at = *u.EnabledSetAt
	}
	u.Enabled, u.EnabledSetAt = false, new(time.Time)
	*u.EnabledSetAt = at
}
