package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// searchableAttributes are the attributes ListUsers filters on.
var searchableAttributes = []string{
	"username", "email", "phone_number", "name", "given_name", "family_name",
	"preferred_username", "cognito:user_status", "status", "sub",
}

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
		return userpool.FoldUsername(p, value)
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

// ListUsers lists a pool's users, all of them or those one filter selects
// (see parseUserFilter), a page at a time. A filtered listing scans the
// index of the filtered attribute, so its cost grows with the users it
// returns, not with the pool; an unfiltered one lists users by sub. Both
// orders are stable, and a pagination token is a position in that order,
// so users created while a client pages through are never returned twice
// and never make it skip an earlier user.
func (s *Service) ListUsers(ctx context.Context, c cognito.Caller, in *idp.ListUsersRequest) (*idp.ListUsersResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	// The pool is only read here: the shared copy.
	p, err := s.pools.ReadPool(ctx, c, id)
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
	limit := userpool.PageLimit(in.Limit)

	var (
		items []*storage.Item
		next  string
	)
	if f == nil {
		items, next, err = s.pages.ListItemsPage(ctx, kindUser, id, "ListUsers/"+id, in.PaginationToken, limit)
		if err != nil {
			return nil, err
		}
	} else {
		entries, n, err := s.pages.ScanIndexPage(ctx, s.store, f.scan(p), f.scope(p), in.PaginationToken, limit)
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
