package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// poolItemsQuery names one page of a listing of a pool's items of one
// kind, such as ListUserPoolClients.
type poolItemsQuery struct {
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

// listPoolItems answers a List operation over a pool's items of one kind:
// it checks that the caller sees the pool, reads the page q names in item
// ID order, and returns the page's entries, each item decoded and made an
// entry, with the NextToken of the next page (nil on the last). The page
// is never nil, so an empty one is [] on the wire.
func listPoolItems[R, T any](ctx context.Context, s *Service, c cognito.Caller, q poolItemsQuery,
	decode func(*storage.Item) (R, error), entry func(R) T) ([]T, *string, error) {
	if _, _, err := s.loadPool(ctx, c, q.Pool); err != nil {
		return nil, nil, err
	}
	limit := int(cognito.Deref(q.Limit))
	if limit <= 0 {
		limit = q.DefaultLimit
	}
	items, next, err := s.listItemsPage(ctx, q.Kind, q.Pool, q.Op+"/"+q.Pool, q.Token, limit)
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
