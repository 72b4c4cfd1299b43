package userpool

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// PoolItemsQuery names one page of a listing of a pool's items of one
// kind, such as ListUserPoolClients.
type PoolItemsQuery struct {
	// Op is the operation. With the pool it names the listing in its
	// tokens ("<op>/<pool>"), so that a token works only in the listing
	// that issued it.
	Op string
	// Kind is the item kind listed.
	Kind string
	// Pool is the pool ID.
	Pool string
	// Token is the request's NextToken (nil for the first page).
	Token *string
	// Limit is the request's page size; nil or 0 asks for DefaultLimit.
	Limit *int32
	// DefaultLimit is the operation's default page size.
	DefaultLimit int
}

// ListPoolItems answers a List operation over a pool's items of one kind:
// it checks that the caller sees the pool, reads the page q names in item
// ID order, and returns the page's entries, each item decoded and made an
// entry, with the NextToken of the next page (nil on the last). The page
// is never nil, so an empty one is [] on the wire.
func ListPoolItems[R, T any](ctx context.Context, s *Service, c cognito.Caller, q PoolItemsQuery,
	decode func(*storage.Item) (R, error), entry func(R) T) ([]T, *string, error) {
	if _, _, err := s.loadPool(ctx, c, q.Pool); err != nil {
		return nil, nil, err
	}
	limit := int(cognito.Deref(q.Limit))
	if limit <= 0 {
		limit = q.DefaultLimit
	}
	items, next, err := s.pages.ListItemsPage(ctx, q.Kind, q.Pool, q.Op+"/"+q.Pool, q.Token, limit)
	if err != nil {
		return nil, nil, err
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, entry(r))
	}
	if next == "" {
		return out, nil, nil
	}
	return out, &next, nil
}

// DefaultQueryLimit is the page size of ListUsers, ListGroups,
// ListUsersInGroup and AdminListGroupsForUser when the request gives none,
// and their largest.
const DefaultQueryLimit = 60

// Pages reads the pages of the listings of a store and signs their
// pagination tokens (pageSigner), for this package and the directory
// (Service.Pages): the tokens of one server open on every server that
// shares its PaginationKey.
type Pages struct {
	signer pageSigner
	store  storage.Store
}

// Pages returns the pager of s, which the directory's listings share.
func (s *Service) Pages() Pages { return s.pages }

// Token returns the pagination token of a listing's position after, for
// the listing scope (the operation and what it lists).
func (s Pages) Token(scope, after string) string { return s.signer.token(scope, after) }

// Cursor returns the position a token of the listing scope carries, and
// false when this server did not issue it for that listing.
func (s Pages) Cursor(scope, token string) (after string, ok bool) {
	return s.signer.cursor(scope, token)
}

// PageLimit returns the page size a request asks for: its Limit, or 60
// when it gives none (or 0).
func PageLimit(limit *int32) int {
	if n := int(cognito.Deref(limit)); n > 0 {
		return n
	}
	return DefaultQueryLimit
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

// ScanIndexPage reads one page of index entries after the cursor carried by
// token (none for the first page) and returns the entries of the page and
// the token of the next page ("" when this is the last). It reads one entry
// more than the page to know whether another page follows.
func (s Pages) ScanIndexPage(ctx context.Context, r storage.ItemReader, in storage.ScanInput, scope string, token *string, limit int) ([]storage.IndexEntry, string, error) {
	if token != nil {
		after, ok := s.signer.cursor(scope, *token)
		var c indexCursor
		if !ok || json.Unmarshal([]byte(after), &c) != nil {
			return nil, "", invalidPageToken()
		}
		in.AfterKey, in.AfterID = c.Key, c.ID
	}
	in.Limit = limit + 1
	entries, err := r.ScanIndex(ctx, in)
	if err != nil {
		return nil, "", cognito.Internal(fmt.Errorf("scan %s index: %w", in.Kind, err))
	}
	if len(entries) <= limit {
		return entries, "", nil
	}
	entries = entries[:limit]
	last := entries[limit-1]
	b, err := json.Marshal(indexCursor{Key: last.Key, ID: last.Item.ID})
	if err != nil {
		return nil, "", cognito.Internal(err)
	}
	return entries, s.signer.token(scope, string(b)), nil
}

// ListItemsPage reads one page of a pool's items of kind in ID order, after the
// ID carried by token, and returns the items and the next page's token ("" when
// this is the last).
func (s Pages) ListItemsPage(ctx context.Context, kind, pool, scope string, token *string, limit int) ([]*storage.Item, string, error) {
	in := storage.ListItemsInput{Kind: kind, Pool: pool, Limit: limit + 1}
	if token != nil {
		after, ok := s.signer.cursor(scope, *token)
		if !ok {
			return nil, "", invalidPageToken()
		}
		in.AfterID = after
	}
	items, err := s.store.ListItems(ctx, in)
	if err != nil {
		return nil, "", cognito.Internal(fmt.Errorf("list %s items: %w", kind, err))
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, s.signer.token(scope, items[limit-1].ID), nil
}
