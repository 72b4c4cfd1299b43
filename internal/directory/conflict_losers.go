package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/storage"
)

// ConflictLoser is a user that gave up a unique key (its username, an
// alias, a linked identity) to a user of its pool made earlier in another
// region, while the two regions had not seen each other's user
// (YieldUserKey): what its record keeps of the conflict.
type ConflictLoser struct {
	Pool string `json:"pool"`
	Sub  string `json:"sub"`
	// Username is the user's username now: conflict-<sub>-… when it lost
	// its username.
	Username string `json:"username"`
	Enabled  bool   `json:"enabled"`
	// LostUsername is the username the user was made with, when it lost
	// it.
	LostUsername string `json:"lost_username,omitempty"`
	// GaveUp lists each key given up with the sub of the user that kept
	// it, in the order they were given up.
	GaveUp []GivenUpKey `json:"gave_up"`
	// RemovedAttributes are the values the user no longer has because
	// they were the key given up (a username attribute,
	// preferred_username).
	RemovedAttributes map[string]string `json:"removed_attributes,omitempty"`
	// UnlinkedIdentities are the external identities unlinked from the
	// user, as "<provider>/<attribute>/<value>".
	UnlinkedIdentities []string `json:"unlinked_identities,omitempty"`
}

// GivenUpKey is one unique key a user gave up, without its pool's prefix:
// "username/<name>", "alias/<attribute>/<value>" (an alias left
// unverified, or a value removed) or "identity/<provider>/<attribute>/<value>".
type GivenUpKey struct {
	Key string `json:"key"`
	// KeptBy is the sub of the user that kept it.
	KeptBy string `json:"kept_by"`
}

// conflictPage is how many users ConflictLosers reads at a time.
const conflictPage = 500

// ConflictLosers calls fn, in sub order, for each user of pool whose record
// says it gave up a unique key in a conflict between regions. It reads
// every user of the pool from r (a store, for the command that lists them:
// there is no index of the losers), a page at a time, and stops at fn's
// first error.
func ConflictLosers(ctx context.Context, r storage.ItemReader, pool string, fn func(ConflictLoser) error) error {
	after := ""
	for {
		page, err := r.ListItems(ctx, storage.ListItemsInput{Kind: kindUser, Pool: pool, AfterID: after, Limit: conflictPage})
		if err != nil {
			return fmt.Errorf("list the users of %q: %w", pool, err)
		}
		for _, it := range page {
			u, err := decodeUser(it)
			if err != nil {
				return err
			}
			if u.Conflict == nil {
				continue
			}
			if err := fn(conflictLoser(pool, u)); err != nil {
				return err
			}
		}
		if len(page) < conflictPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func conflictLoser(pool string, u *userRecord) ConflictLoser {
	c := u.Conflict
	l := ConflictLoser{Pool: pool, Sub: u.Sub, Username: u.Username, Enabled: u.Enabled, LostUsername: c.Username}
	for i, k := range c.Keys {
		g := GivenUpKey{Key: strings.TrimPrefix(k, pool+"/")}
		if i < len(c.Winners) {
			g.KeptBy = c.Winners[i]
		}
		l.GaveUp = append(l.GaveUp, g)
	}
	if len(c.Attributes) > 0 {
		l.RemovedAttributes = c.Attributes
	}
	for _, id := range c.Identities {
		l.UnlinkedIdentities = append(l.UnlinkedIdentities, id.ProviderName+"/"+id.AttributeName+"/"+id.Value)
	}
	return l
}
