package userpool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// searchableAttributes are the attributes ListUsers filters on.
var searchableAttributes = []string{
	"username", "email", "phone_number", "name", "given_name", "family_name",
	"preferred_username", "cognito:user_status", "status", "sub",
}

// defaultQueryLimit is the page size of ListUsers, ListGroups,
// ListUsersInGroup and AdminListGroupsForUser when the request gives none,
// and their largest.
const defaultQueryLimit = 60

// searchForm returns the form of a searchable attribute's value that
// ListUsers compares, in the index and in the filter alike. Cognito's
// developer guide says searches are case-insensitive, and the ListUsers
// reference singles out two exceptions: status ("Enabled" or "Disabled")
// is case-sensitive, and username is case-sensitive; a pool created with
// CaseSensitive false folds usernames everywhere, so its username search
// folds too.
func searchForm(p *idp.UserPoolType, attr, value string) string {
	switch attr {
	case "status":
		return value
	case "username":
		return foldName(p, value)
	default:
		return strings.ToLower(value)
	}
}

// userIndexKey is the index entry of one searchable attribute value:
// "<pool>/<attribute>/<search form of the value>". No searchable attribute
// name contains "/" or is a prefix of another followed by "/", so a scan
// of one attribute's prefix never reaches another's entries.
func userIndexKey(p *idp.UserPoolType, attr, value string) string {
	return cognito.Deref(p.Id) + "/" + attr + "/" + searchForm(p, attr, value)
}

// userIndex returns the index entries ListUsers scans for u: one per
// searchable attribute the user has.
func userIndex(p *idp.UserPoolType, u *userRecord) []string {
	var out []string
	for _, a := range searchableAttributes {
		v, ok := searchableValue(u, a)
		if !ok {
			continue
		}
		out = append(out, userIndexKey(p, a, v))
	}
	return out
}

// searchableValue returns the value ListUsers matches for attribute a of
// u, and false when u does not have the attribute.
func searchableValue(u *userRecord, a string) (string, bool) {
	switch a {
	case "username":
		return u.Username, true
	case "cognito:user_status":
		return string(u.Status), true
	case "status":
		if u.Enabled {
			return "Enabled", true
		}
		return "Disabled", true
	case "sub":
		return u.Sub, true
	default:
		v, ok := u.Attributes[a]
		return v, ok
	}
}

// errAttributesToGet is Cognito's exception for an AttributesToGet member
// that is not in the pool's schema, or that a listed user has no value for.
func errAttributesToGet() error {
	return cognito.InvalidParameterException("One or more requested attributes do not exist.")
}

// checkAttributesToGet checks that every requested attribute is in the
// pool's schema.
func checkAttributesToGet(p *idp.UserPoolType, names []string) error {
	for _, name := range names {
		known := false
		for _, a := range p.SchemaAttributes {
			known = known || cognito.Deref(a.Name) == name
		}
		if !known {
			return errAttributesToGet()
		}
	}
	return nil
}

// selectAttributes keeps only the requested attributes of a listed user,
// in the order requested. Cognito refuses the whole page when a user in it
// has no value for one of them, as its ListUsers reference documents.
func selectAttributes(all []idp.AttributeType, names []string) ([]idp.AttributeType, error) {
	out := make([]idp.AttributeType, 0, len(names))
	for _, name := range names {
		i := slices.IndexFunc(all, func(a idp.AttributeType) bool { return cognito.Deref(a.Name) == name })
		if i < 0 {
			return nil, errAttributesToGet()
		}
		if !slices.ContainsFunc(out, func(a idp.AttributeType) bool { return cognito.Deref(a.Name) == name }) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// pageLimit returns the page size a request asks for: its Limit, or 60
// when it gives none (or 0).
func pageLimit(limit *int32) int {
	if n := int(cognito.Deref(limit)); n > 0 {
		return n
	}
	return defaultQueryLimit
}

// invalidPageToken is the exception for a pagination token that this
// server did not issue for the listing.
func invalidPageToken() error {
	return cognito.InvalidParameterException("Invalid pagination token.")
}

// indexCursor is the position of a filtered listing: the last index entry
// returned, as (key, item ID).
type indexCursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// scanIndexPage reads one page of index entries after the cursor carried by
// token (none for the first page) and returns the entries of the page and
// the token of the next page ("" when this is the last). It reads one entry
// more than the page to know whether another page follows.
func (s *Service) scanIndexPage(ctx context.Context, r storage.ItemReader, in storage.ScanInput, scope string, token *string, limit int) ([]storage.IndexEntry, string, error) {
	if token != nil {
		after, ok := s.pages.cursor(scope, *token)
		var c indexCursor
		if !ok || json.Unmarshal([]byte(after), &c) != nil {
			return nil, "", invalidPageToken()
		}
		in.AfterKey, in.AfterID = c.Key, c.ID
	}
	in.Limit = limit + 1
	entries, err := r.ScanIndex(ctx, in)
	if err != nil {
		return nil, "", internal(fmt.Errorf("scan %s index: %w", in.Kind, err))
	}
	if len(entries) <= limit {
		return entries, "", nil
	}
	entries = entries[:limit]
	last := entries[limit-1]
	b, err := json.Marshal(indexCursor{Key: last.Key, ID: last.Item.ID})
	if err != nil {
		return nil, "", internal(err)
	}
	return entries, s.pages.token(scope, string(b)), nil
}

// listItemsPage reads one page of a pool's items of kind in ID order, after the
// ID carried by token, and returns the items and the next page's token ("" when
// this is the last).
func (s *Service) listItemsPage(ctx context.Context, kind, pool, scope string, token *string, limit int) ([]*storage.Item, string, error) {
	in := storage.ListItemsInput{Kind: kind, Pool: pool, Limit: limit + 1}
	if token != nil {
		after, ok := s.pages.cursor(scope, *token)
		if !ok {
			return nil, "", invalidPageToken()
		}
		in.AfterID = after
	}
	items, err := s.store.ListItems(ctx, in)
	if err != nil {
		return nil, "", internal(fmt.Errorf("list %s items: %w", kind, err))
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, s.pages.token(scope, items[limit-1].ID), nil
}

// ListUsers lists a pool's users, all of them or those one filter selects
// (see parseUserFilter), a page at a time. A filtered listing scans the
// index of the filtered attribute, so its cost grows with the users it
// returns, not with the pool; an unfiltered one lists users by sub. Both
// orders are stable, and a pagination token is a position in that order,
// so users created while a client pages through are never returned twice
// and never make it skip an earlier user.
func (s *Service) ListUsers(ctx context.Context, c cognito.Caller, in *idp.ListUsersRequest) (*idp.ListUsersResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	_, p, err := s.loadPool(ctx, c, id)
	if err != nil {
		return nil, err
	}
	f, err := parseUserFilter(cognito.Deref(in.Filter))
	if err != nil {
		return nil, err
	}
	if in.AttributesToGet != nil {
		if err := checkAttributesToGet(p, in.AttributesToGet); err != nil {
			return nil, err
		}
	}
	limit := pageLimit(in.Limit)

	var (
		items []*storage.Item
		next  string
	)
	if f == nil {
		items, next, err = s.listItemsPage(ctx, kindUser, id, "ListUsers/"+id, in.PaginationToken, limit)
		if err != nil {
			return nil, err
		}
	} else {
		entries, n, err := s.scanIndexPage(ctx, s.store, f.scan(p), f.scope(p), in.PaginationToken, limit)
		if err != nil {
			return nil, err
		}
		next = n
		for _, e := range entries {
			items = append(items, e.Item)
		}
	}

	out := &idp.ListUsersResponse{Users: make([]idp.UserType, 0, len(items))}
	for _, it := range items {
		u, err := decodeUser(it)
		if err != nil {
			return nil, err
		}
		ut := *userType(u)
		if in.AttributesToGet != nil {
			if ut.Attributes, err = selectAttributes(ut.Attributes, in.AttributesToGet); err != nil {
				return nil, err
			}
		}
		out.Users = append(out.Users, ut)
	}
	if next != "" {
		out.PaginationToken = cognito.Ptr(next)
	}
	return out, nil
}
