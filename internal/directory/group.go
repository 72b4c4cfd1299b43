package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// groupRecord is a stored group (item kind "group", ID "<pool>/<name>").
// JSON names are part of the stored format and never change.
type groupRecord struct {
	Name        string    `json:"name"`
	Description *string   `json:"description,omitempty"`
	RoleArn     *string   `json:"role_arn,omitempty"`
	Precedence  *int32    `json:"precedence,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// memberRecord is a stored group membership (item kind "group_member", ID
// "<pool>/<group name>/<sub>"). Pool IDs and subs never contain "/", so
// the ID is unambiguous even for group names that do.
type memberRecord struct {
	Group     string    `json:"group"`
	Sub       string    `json:"sub"`
	CreatedAt time.Time `json:"created_at"`
}

// groupID is the item ID of a group.
func groupID(pool, name string) string { return pool + "/" + name }

// memberID is the item ID of a membership.
func memberID(pool, group, sub string) string { return pool + "/" + group + "/" + sub }

// escapeGroupKey escapes "%" and "/" in a group name, so that the members
// index of one group ("<pool>/members/<escaped name>/") is never a prefix
// of another group's: group names may contain "/".
func escapeGroupKey(name string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F").Replace(name)
}

// membersPrefix is the index prefix of a group's members; each member's
// entry is this prefix followed by the member's sub.
func membersPrefix(pool, group string) string {
	return pool + "/members/" + escapeGroupKey(group) + "/"
}

// memberOfPrefix is the index prefix of the groups a user belongs to; each
// entry is this prefix followed by the group name. Subs never contain "/",
// so the prefix of one user never reaches another's entries. Deleting a
// user scans it to delete the user's memberships.
func memberOfPrefix(pool, sub string) string {
	return pool + "/member-of/" + sub + "/"
}

// memberItem returns the storage item of a membership, with its two index
// entries: "<pool>/members/<escaped group>/<sub>" (ListUsersInGroup) and
// "<pool>/member-of/<sub>/<group>" (AdminListGroupsForUser).
func memberItem(pool string, m *memberRecord) (*storage.Item, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode group member: %w", err))
	}
	return &storage.Item{
		Kind: kindGroupMember, ID: memberID(pool, m.Group, m.Sub), Pool: pool, Data: data,
		Index:     []string{membersPrefix(pool, m.Group) + m.Sub, memberOfPrefix(pool, m.Sub) + m.Group},
		CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt,
	}, nil
}

// groupItem returns the storage item of g in pool.
func groupItem(pool string, g *groupRecord, version int64) (*storage.Item, error) {
	if err := userpool.CheckText("groupName", ruleGroupName, g.Name); err != nil {
		return nil, err
	}
	data, err := json.Marshal(g)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode group: %w", err))
	}
	return &storage.Item{
		Kind: kindGroup, ID: groupID(pool, g.Name), Pool: pool, Data: data,
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, Version: version,
	}, nil
}

// decodeGroup decodes a group item.
func decodeGroup(it *storage.Item) (*groupRecord, error) {
	var g groupRecord
	if err := json.Unmarshal(it.Data, &g); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode group %q: %w", it.ID, err))
	}
	return &g, nil
}

// decodeMember decodes a membership item.
func decodeMember(it *storage.Item) (*memberRecord, error) {
	var m memberRecord
	if err := json.Unmarshal(it.Data, &m); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode group member %q: %w", it.ID, err))
	}
	return &m, nil
}

// groupType returns the wire form of g.
func (g *groupRecord) groupType(pool string) *idp.GroupType {
	return &idp.GroupType{
		GroupName:        cognito.Ptr(g.Name),
		UserPoolId:       cognito.Ptr(pool),
		Description:      g.Description,
		RoleArn:          g.RoleArn,
		Precedence:       g.Precedence,
		LastModifiedDate: &cognito.Timestamp{Time: g.UpdatedAt},
		CreationDate:     &cognito.Timestamp{Time: g.CreatedAt},
	}
}

// groupNotFound is the exception for a group that does not exist.
func groupNotFound() error { return cognito.ResourceNotFoundException("Group not found.") }

// getGroup reads a group through r (a Tx locks its row).
func getGroup(ctx context.Context, r storage.ItemReader, pool, name string) (*storage.Item, *groupRecord, error) {
	if err := userpool.CheckText("groupName", ruleGroupName, name); err != nil {
		return nil, nil, err
	}
	it, err := r.GetItem(ctx, kindGroup, groupID(pool, name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, groupNotFound()
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get group %q: %w", name, err))
	}
	g, err := decodeGroup(it)
	return it, g, err
}

// CreateGroup creates a group in a pool.
func (s *Service) CreateGroup(ctx context.Context, c cognito.Caller, in *idp.CreateGroupRequest) (*idp.CreateGroupResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	if _, err := s.pools.LoadPool(ctx, c, pool); err != nil {
		return nil, err
	}
	now := s.now()
	g := &groupRecord{
		Name: cognito.Deref(in.GroupName), Description: in.Description, RoleArn: in.RoleArn,
		Precedence: in.Precedence, CreatedAt: now, UpdatedAt: now,
	}
	it, err := groupItem(pool, g, 0)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) })
	if errors.Is(err, storage.ErrAlreadyExists) {
		return nil, cognito.GroupExistsException(fmt.Sprintf("A group with the name %s already exists.", g.Name))
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("create group %q: %w", g.Name, err))
	}
	return &idp.CreateGroupResponse{Group: g.groupType(pool)}, nil
}

// GetGroup returns a group.
func (s *Service) GetGroup(ctx context.Context, c cognito.Caller, in *idp.GetGroupRequest) (*idp.GetGroupResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	if _, err := s.pools.LoadPool(ctx, c, pool); err != nil {
		return nil, err
	}
	_, g, err := getGroup(ctx, s.store, pool, cognito.Deref(in.GroupName))
	if err != nil {
		return nil, err
	}
	return &idp.GetGroupResponse{Group: g.groupType(pool)}, nil
}

// UpdateGroup changes a group's Description, RoleArn and Precedence. A
// member the request leaves out keeps its value.
func (s *Service) UpdateGroup(ctx context.Context, c cognito.Caller, in *idp.UpdateGroupRequest) (*idp.UpdateGroupResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	if _, err := s.pools.LoadPool(ctx, c, pool); err != nil {
		return nil, err
	}
	var out *groupRecord
	err := retry(ctx, func() error {
		return s.store.Tx(ctx, func(tx storage.Tx) error {
			it, g, err := getGroup(ctx, tx, pool, cognito.Deref(in.GroupName))
			if err != nil {
				return err
			}
			if in.Description != nil {
				g.Description = in.Description
			}
			if in.RoleArn != nil {
				g.RoleArn = in.RoleArn
			}
			if in.Precedence != nil {
				g.Precedence = in.Precedence
			}
			g.UpdatedAt = s.now()
			upd, err := groupItem(pool, g, it.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, upd); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return groupNotFound()
				}
				return err
			}
			out = g
			return nil
		})
	})
	if err != nil {
		return nil, cognito.Internal(err)
	}
	return &idp.UpdateGroupResponse{Group: out.groupType(pool)}, nil
}

// deleteBatch is how many memberships DeleteGroup reads at a time.
const deleteBatch = 500

// DeleteGroup deletes a group and, in the same transaction, every
// membership of it.
func (s *Service) DeleteGroup(ctx context.Context, c cognito.Caller, in *idp.DeleteGroupRequest) (*cognito.Empty, error) {
	pool := cognito.Deref(in.UserPoolId)
	if _, err := s.pools.LoadPool(ctx, c, pool); err != nil {
		return nil, err
	}
	name := cognito.Deref(in.GroupName)
	err := retry(ctx, func() error {
		return s.store.Tx(ctx, func(tx storage.Tx) error {
			it, _, err := getGroup(ctx, tx, pool, name)
			if err != nil {
				return err
			}
			// With the group's row locked no membership can be added, so
			// scanning from the start until nothing is left deletes them all.
			for {
				entries, err := tx.ScanIndex(ctx, storage.ScanInput{Kind: kindGroupMember, Prefix: membersPrefix(pool, name), Limit: deleteBatch})
				if err != nil {
					return err
				}
				for _, e := range entries {
					if err := tx.DeleteItem(ctx, kindGroupMember, e.Item.ID, e.Item.Version); err != nil {
						return err
					}
				}
				if len(entries) < deleteBatch {
					break
				}
			}
			if err := tx.DeleteItem(ctx, kindGroup, it.ID, it.Version); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return groupNotFound()
				}
				return err
			}
			return nil
		})
	})
	if err != nil {
		return nil, cognito.Internal(err)
	}
	return &cognito.Empty{}, nil
}

// ListGroups lists a pool's groups by name, a page at a time.
func (s *Service) ListGroups(ctx context.Context, c cognito.Caller, in *idp.ListGroupsRequest) (*idp.ListGroupsResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	q := userpool.PoolItemsQuery{Op: "ListGroups", Kind: kindGroup, Pool: pool, Token: in.NextToken, Limit: in.Limit, DefaultLimit: userpool.DefaultQueryLimit}
	groups, next, err := userpool.ListPoolItems(ctx, s.pools, c, q, decodeGroup, func(g *groupRecord) idp.GroupType { return *g.groupType(pool) })
	if err != nil {
		return nil, err
	}
	return &idp.ListGroupsResponse{Groups: groups, NextToken: next}, nil
}

// AdminAddUserToGroup adds a user to a group. Adding a member again
// succeeds and changes nothing, as on Cognito.
func (s *Service) AdminAddUserToGroup(ctx context.Context, c cognito.Caller, in *idp.AdminAddUserToGroupRequest) (*cognito.Empty, error) {
	pool := cognito.Deref(in.UserPoolId)
	p, err := s.pools.LoadPool(ctx, c, pool)
	if err != nil {
		return nil, err
	}
	name := cognito.Deref(in.GroupName)
	err = retry(ctx, func() error {
		return s.store.Tx(ctx, func(tx storage.Tx) error {
			// Reading the group and the user in the transaction locks both,
			// so neither can be deleted before the membership commits.
			if _, _, err := getGroup(ctx, tx, pool, name); err != nil {
				return err
			}
			_, u, err := findUser(ctx, tx, p, cognito.Deref(in.Username))
			if err != nil {
				return err
			}
			if _, err := tx.GetItem(ctx, kindGroupMember, memberID(pool, name, u.Sub)); err == nil {
				return nil
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			it, err := memberItem(pool, &memberRecord{Group: name, Sub: u.Sub, CreatedAt: s.now()})
			if err != nil {
				return err
			}
			return tx.CreateItem(ctx, it)
		})
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		// A concurrent request added the same membership.
		return &cognito.Empty{}, nil
	}
	if err != nil {
		return nil, cognito.Internal(err)
	}
	return &cognito.Empty{}, nil
}

// AdminRemoveUserFromGroup removes a user from a group. Removing a user
// who is not a member succeeds.
func (s *Service) AdminRemoveUserFromGroup(ctx context.Context, c cognito.Caller, in *idp.AdminRemoveUserFromGroupRequest) (*cognito.Empty, error) {
	pool := cognito.Deref(in.UserPoolId)
	p, err := s.pools.LoadPool(ctx, c, pool)
	if err != nil {
		return nil, err
	}
	name := cognito.Deref(in.GroupName)
	err = retry(ctx, func() error {
		return s.store.Tx(ctx, func(tx storage.Tx) error {
			if _, _, err := getGroup(ctx, tx, pool, name); err != nil {
				return err
			}
			_, u, err := findUser(ctx, tx, p, cognito.Deref(in.Username))
			if err != nil {
				return err
			}
			it, err := tx.GetItem(ctx, kindGroupMember, memberID(pool, name, u.Sub))
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			err = tx.DeleteItem(ctx, kindGroupMember, it.ID, it.Version)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			return err
		})
	})
	if err != nil {
		return nil, cognito.Internal(err)
	}
	return &cognito.Empty{}, nil
}

// AdminListGroupsForUser lists the groups a user belongs to, by group
// name, a page at a time.
func (s *Service) AdminListGroupsForUser(ctx context.Context, c cognito.Caller, in *idp.AdminListGroupsForUserRequest) (*idp.AdminListGroupsForUserResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	p, err := s.pools.LoadPool(ctx, c, pool)
	if err != nil {
		return nil, err
	}
	_, u, err := findUser(ctx, s.store, p, cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	prefix := memberOfPrefix(pool, u.Sub)
	entries, next, err := s.pages.ScanIndexPage(ctx, s.store,
		storage.ScanInput{Kind: kindGroupMember, Prefix: prefix},
		"AdminListGroupsForUser/"+pool+"/"+u.Sub, in.NextToken, userpool.PageLimit(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &idp.AdminListGroupsForUserResponse{Groups: make([]idp.GroupType, 0, len(entries))}
	for _, e := range entries {
		_, g, err := getGroup(ctx, s.store, pool, strings.TrimPrefix(e.Key, prefix))
		if errors.Is(err, cognito.ResourceNotFoundException("")) {
			continue // deleted since the scan
		}
		if err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, *g.groupType(pool))
	}
	if next != "" {
		out.NextToken = cognito.Ptr(next)
	}
	return out, nil
}

// ListUsersInGroup lists a group's members, by sub, a page at a time.
func (s *Service) ListUsersInGroup(ctx context.Context, c cognito.Caller, in *idp.ListUsersInGroupRequest) (*idp.ListUsersInGroupResponse, error) {
	pool := cognito.Deref(in.UserPoolId)
	if _, err := s.pools.LoadPool(ctx, c, pool); err != nil {
		return nil, err
	}
	name := cognito.Deref(in.GroupName)
	if _, _, err := getGroup(ctx, s.store, pool, name); err != nil {
		return nil, err
	}
	prefix := membersPrefix(pool, name)
	entries, next, err := s.pages.ScanIndexPage(ctx, s.store,
		storage.ScanInput{Kind: kindGroupMember, Prefix: prefix},
		"ListUsersInGroup/"+groupID(pool, name), in.NextToken, userpool.PageLimit(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &idp.ListUsersInGroupResponse{Users: make([]idp.UserType, 0, len(entries))}
	for _, e := range entries {
		it, err := s.store.GetItem(ctx, kindUser, strings.TrimPrefix(e.Key, prefix))
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted since the scan
		}
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("get group member: %w", err))
		}
		u, err := decodeUser(it)
		if err != nil {
			return nil, err
		}
		out.Users = append(out.Users, *userType(u))
	}
	if next != "" {
		out.NextToken = cognito.Ptr(next)
	}
	return out, nil
}
