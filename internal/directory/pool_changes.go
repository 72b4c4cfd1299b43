package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// PoolChange is one entry of a pool's change log as an operator reads it:
// what changed, when, and who changed it.
type PoolChange struct {
	// Seq orders the entries; PoolChanges' before continues after one.
	Seq int64
	// Time is when the change was made (the entry's HLC time).
	Time time.Time
	// Region is the region the change was made in.
	Region string
	// Kind is create, update, delete or purge (every record of Entity in
	// the pool deleted at once).
	Kind string
	// Entity is the kind of record: user_pool, user, group, group_member,
	// client, device, …
	Entity string
	// Name is the record as an operator knows it: a user's username (for
	// the entries that carry the user's state), a group's name, "<group> /
	// <sub>" for a membership; otherwise the record's key.
	Name string
	// Actor is who made the change; nil when the change was made by
	// background work, or before the change log recorded actors.
	Actor *storage.Actor
}

// PoolChanges lists up to limit of the newest entries of the pool's change
// log with a sequence number below before (0: the newest), newest first.
// The change log keeps the newest state of every live record and, within
// its retention, the states before and the deletions
// (change_log.retention); deleting a record erases its earlier entries, so
// what remains of a deleted user is the deletion and who made it.
func (s *Service) PoolChanges(ctx context.Context, c cognito.Caller, poolID string, before int64, limit int) ([]PoolChange, error) {
	if _, err := s.pools.ReadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("limit must be between 1 and 1000, not %d.", limit))
	}
	changes, err := s.store.PoolChanges(ctx, poolID, before, limit)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("changes of pool %q: %w", poolID, err))
	}
	out := make([]PoolChange, 0, len(changes))
	for _, ch := range changes {
		out = append(out, PoolChange{
			Seq: ch.Seq, Time: storage.HLCTime(ch.HLC), Region: ch.Region,
			Kind: string(ch.Kind), Entity: string(ch.Entity), Name: changeName(poolID, ch), Actor: ch.Actor,
		})
	}
	return out, nil
}

// changeName names the record of a change-log entry as an operator knows
// it.
func changeName(poolID string, ch storage.Change) string {
	switch ch.Entity {
	case kindUser:
		if ch.State != nil {
			if it, err := storage.DecodeItem(ch.State); err == nil {
				var u struct {
					Username string `json:"username"`
				}
				if json.Unmarshal(it.Data, &u) == nil && u.Username != "" {
					return u.Username
				}
			}
		}
	case kindGroup:
		if name, ok := strings.CutPrefix(ch.Key, poolID+"/"); ok {
			return name
		}
	case kindGroupMember:
		// "<pool>/<group>/<sub>": a group's name may hold a slash, a sub
		// never does.
		if rest, ok := strings.CutPrefix(ch.Key, poolID+"/"); ok {
			if i := strings.LastIndex(rest, "/"); i >= 0 {
				return rest[:i] + " / " + rest[i+1:]
			}
		}
	}
	return ch.Key
}
