package directory

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/storage"
)

// TestChangeName checks how the changes page names records: a group by
// its name and a membership by group and sub, slashes in the group's name
// included, a user by the username its state carries, and anything else
// by its key.
func TestChangeName(t *testing.T) {
	const pool = "us-east-1_abc"
	user, err := storage.EncodeItem(&storage.Item{Kind: kindUser, ID: "sub-1", Pool: pool, Data: []byte(`{"username": "ada", "sub": "sub-1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ch   storage.Change
		want string
	}{
		{"group", storage.Change{Entity: kindGroup, Key: pool + "/a/b"}, "a/b"},
		{"membership", storage.Change{Entity: kindGroupMember, Key: pool + "/a/b/sub-1"}, "a/b / sub-1"},
		{"user with state", storage.Change{Entity: kindUser, Key: "sub-1", State: user}, "ada"},
		{"deleted user", storage.Change{Entity: kindUser, Key: "sub-1"}, "sub-1"},
		{"client", storage.Change{Entity: "client", Key: "client-id"}, "client-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := changeName(pool, tc.ch); got != tc.want {
				t.Errorf("changeName = %q, want %q", got, tc.want)
			}
		})
	}
}
