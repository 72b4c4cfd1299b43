package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// newTestService returns a directory on st that reads its pools from a
// user-pool service of its own on st, with the same clock.
func newTestService(st storage.Store, opts Options) *Service {
	pools := userpool.New(st, userpool.Options{AccountID: "123456789012", Clock: opts.Clock})
	return New(st, pools, opts)
}

// The pool operations the tests set their pools and app clients up with,
// run by the directory's user-pool service.

func (s *Service) CreateUserPool(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolRequest) (*idp.CreateUserPoolResponse, error) {
	return s.pools.CreateUserPool(ctx, c, in)
}

func (s *Service) UpdateUserPool(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolRequest) (*idp.UpdateUserPoolResponse, error) {
	return s.pools.UpdateUserPool(ctx, c, in)
}

func (s *Service) DescribeUserPool(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolRequest) (*idp.DescribeUserPoolResponse, error) {
	return s.pools.DescribeUserPool(ctx, c, in)
}

func (s *Service) DeleteUserPool(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolRequest) (*cognito.Empty, error) {
	return s.pools.DeleteUserPool(ctx, c, in)
}

func (s *Service) AddCustomAttributes(ctx context.Context, c cognito.Caller, in *idp.AddCustomAttributesRequest) (*idp.AddCustomAttributesResponse, error) {
	return s.pools.AddCustomAttributes(ctx, c, in)
}

func (s *Service) CreateUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolClientRequest) (*idp.CreateUserPoolClientResponse, error) {
	return s.pools.CreateUserPoolClient(ctx, c, in)
}

func (s *Service) UpdateUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolClientRequest) (*idp.UpdateUserPoolClientResponse, error) {
	return s.pools.UpdateUserPoolClient(ctx, c, in)
}

func (s *Service) DeleteUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolClientRequest) (*cognito.Empty, error) {
	return s.pools.DeleteUserPoolClient(ctx, c, in)
}

func (s *Service) DescribeUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolClientRequest) (*idp.DescribeUserPoolClientResponse, error) {
	return s.pools.DescribeUserPoolClient(ctx, c, in)
}

func (s *Service) DescribeUserPoolDomain(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolDomainRequest) (*idp.DescribeUserPoolDomainResponse, error) {
	return s.pools.DescribeUserPoolDomain(ctx, c, in)
}

func (s *Service) CreateTerms(ctx context.Context, c cognito.Caller, in *idp.CreateTermsRequest) (*idp.CreateTermsResponse, error) {
	return s.pools.CreateTerms(ctx, c, in)
}

func (s *Service) SignInPool(ctx context.Context, c cognito.Caller, poolID string) (*userpool.SignInPool, error) {
	return s.pools.SignInPool(ctx, c, poolID)
}

func (s *Service) SignInClient(ctx context.Context, c cognito.Caller, poolID, clientID string) (*userpool.SignInPool, *userpool.SignInClient, error) {
	return s.pools.SignInClient(ctx, c, poolID, clientID)
}

// appErrText renders an error as "Code: message" for table comparisons, or
// "" for nil.
func appErrText(err error) string {
	if err == nil {
		return ""
	}
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return ce.Code + ": " + ce.Message
	}
	return "non-Cognito error: " + err.Error()
}

// storedBytes returns every item of kind in pool and every change-log
// state of st as one byte string: what a copy of the database holds.
func storedBytes(t *testing.T, st storage.Store, pool, kind string) []byte {
	t.Helper()
	ctx := context.Background()
	var all []byte
	items, err := st.ListItems(ctx, storage.ListItemsInput{Kind: kind, Pool: pool, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		all = append(all, it.Data...)
	}
	changes, err := st.Changes(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		all = append(all, c.State...)
	}
	return all
}
