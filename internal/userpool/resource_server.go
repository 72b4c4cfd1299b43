package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Limits of resource servers.
const (
	maxResourceServers         = 25
	defaultListResourceServers = 50
)

// resourceServerID is the item ID of a resource server: identifiers are
// only unique within a pool.
func resourceServerID(pool, identifier string) string { return pool + "/" + identifier }

// resourceServerNotFound is the exception for a resource server that does
// not exist.
func resourceServerNotFound(identifier string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("Resource server %s does not exist.", identifier))
}

// decodeResourceServer decodes a resource server item, whose Data is the
// ResourceServerType DescribeResourceServer returns.
func decodeResourceServer(it *storage.Item) (*idp.ResourceServerType, error) {
	var rs idp.ResourceServerType
	if err := json.Unmarshal(it.Data, &rs); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode resource server %q: %w", it.ID, err))
	}
	if rs.Scopes == nil {
		rs.Scopes = []idp.ResourceServerScopeType{}
	}
	return &rs, nil
}

// resourceServerItem returns the storage item of rs.
func resourceServerItem(rs *idp.ResourceServerType, version int64) (*storage.Item, error) {
	if err := CheckText("identifier", ruleIdentifier, cognito.Deref(rs.Identifier)); err != nil {
		return nil, err
	}
	data, err := json.Marshal(rs)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode resource server: %w", err))
	}
	pool := cognito.Deref(rs.UserPoolId)
	return &storage.Item{
		Kind: kindResourceServer, ID: resourceServerID(pool, cognito.Deref(rs.Identifier)), Pool: pool,
		Data: data, Version: version,
	}, nil
}

// resourceServerScopes checks a scope list: scope names are unique within a
// resource server.
func resourceServerScopes(in []idp.ResourceServerScopeType) ([]idp.ResourceServerScopeType, error) {
	out := make([]idp.ResourceServerScopeType, 0, len(in))
	seen := map[string]bool{}
	for _, sc := range in {
		name := cognito.Deref(sc.ScopeName)
		if seen[name] {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Duplicate scope name %s.", name))
		}
		seen[name] = true
		out = append(out, idp.ResourceServerScopeType{ScopeName: cognito.Ptr(name), ScopeDescription: cognito.Ptr(cognito.Deref(sc.ScopeDescription))})
	}
	return out, nil
}

// findResourceServer reads a resource server of a pool.
func findResourceServer(ctx context.Context, r storage.ItemReader, pool, identifier string) (*storage.Item, *idp.ResourceServerType, error) {
	if err := CheckText("identifier", ruleIdentifier, identifier); err != nil {
		return nil, nil, err
	}
	it, err := r.GetItem(ctx, kindResourceServer, resourceServerID(pool, identifier))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, resourceServerNotFound(identifier)
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get resource server %q: %w", identifier, err))
	}
	rs, err := decodeResourceServer(it)
	return it, rs, err
}

// CreateResourceServer creates a resource server and its custom scopes.
func (s *Service) CreateResourceServer(ctx context.Context, c cognito.Caller, in *idp.CreateResourceServerRequest) (*idp.CreateResourceServerResponse, error) {
	poolID, identifier := cognito.Deref(in.UserPoolId), cognito.Deref(in.Identifier)
	scopes, err := resourceServerScopes(in.Scopes)
	if err != nil {
		return nil, err
	}
	rs := &idp.ResourceServerType{
		UserPoolId: cognito.Ptr(poolID), Identifier: cognito.Ptr(identifier),
		Name: cognito.Ptr(cognito.Deref(in.Name)), Scopes: scopes,
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		if _, err := tx.GetItem(ctx, kindResourceServer, resourceServerID(poolID, identifier)); err == nil {
			return cognito.InvalidParameterException(fmt.Sprintf("%s already has identifier %s", poolID, identifier))
		} else if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("get resource server: %w", err)
		}
		n, err := tx.CountItems(ctx, kindResourceServer, poolID)
		if err != nil {
			return fmt.Errorf("count resource servers: %w", err)
		}
		if n >= maxResourceServers {
			return cognito.LimitExceededException(fmt.Sprintf("A user pool can have at most %d resource servers.", maxResourceServers))
		}
		it, err := resourceServerItem(rs, 0)
		if err != nil {
			return err
		}
		now := s.now()
		it.CreatedAt, it.UpdatedAt = now, now
		if err := tx.CreateItem(ctx, it); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return cognito.InvalidParameterException(fmt.Sprintf("%s already has identifier %s", poolID, identifier))
			}
			return fmt.Errorf("create resource server: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.CreateResourceServerResponse{ResourceServer: rs}, nil
}

// DescribeResourceServer returns a resource server and its scopes.
func (s *Service) DescribeResourceServer(ctx context.Context, c cognito.Caller, in *idp.DescribeResourceServerRequest) (*idp.DescribeResourceServerResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rs, err := findResourceServer(ctx, s.store, poolID, cognito.Deref(in.Identifier))
	if err != nil {
		return nil, err
	}
	return &idp.DescribeResourceServerResponse{ResourceServer: rs}, nil
}

// UpdateResourceServer replaces a resource server's name and scopes. Scopes
// left out are removed. App clients that were allowed a removed scope keep
// it in AllowedOAuthScopes, as on Cognito; a later UpdateUserPoolClient
// that still lists it fails with ScopeDoesNotExistException.
func (s *Service) UpdateResourceServer(ctx context.Context, c cognito.Caller, in *idp.UpdateResourceServerRequest) (*idp.UpdateResourceServerResponse, error) {
	poolID, identifier := cognito.Deref(in.UserPoolId), cognito.Deref(in.Identifier)
	scopes, err := resourceServerScopes(in.Scopes)
	if err != nil {
		return nil, err
	}
	var out *idp.ResourceServerType
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rs, err := findResourceServer(ctx, tx, poolID, identifier)
		if err != nil {
			return err
		}
		rs.Name = cognito.Ptr(cognito.Deref(in.Name))
		rs.Scopes = scopes
		upd, err := resourceServerItem(rs, it.Version)
		if err != nil {
			return err
		}
		upd.CreatedAt, upd.UpdatedAt = it.CreatedAt, s.now()
		if err := tx.UpdateItem(ctx, upd); err != nil {
			return fmt.Errorf("update resource server: %w", err)
		}
		out = rs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.UpdateResourceServerResponse{ResourceServer: out}, nil
}

// DeleteResourceServer deletes a resource server. App clients keep the
// scopes they were allowed, as after UpdateResourceServer.
func (s *Service) DeleteResourceServer(ctx context.Context, c cognito.Caller, in *idp.DeleteResourceServerRequest) (*cognito.Empty, error) {
	poolID, identifier := cognito.Deref(in.UserPoolId), cognito.Deref(in.Identifier)
	if err := deletePoolItem(ctx, s, c, poolID, identifier, kindResourceServer, "resource server", findResourceServer); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListResourceServers lists a pool's resource servers in identifier order.
func (s *Service) ListResourceServers(ctx context.Context, c cognito.Caller, in *idp.ListResourceServersRequest) (*idp.ListResourceServersResponse, error) {
	q := PoolItemsQuery{
		Op: "ListResourceServers", Kind: kindResourceServer, Pool: cognito.Deref(in.UserPoolId),
		Token: in.NextToken, Limit: in.MaxResults, DefaultLimit: defaultListResourceServers,
	}
	servers, next, err := ListPoolItems(ctx, s, c, q, decodeResourceServer, func(rs *idp.ResourceServerType) idp.ResourceServerType { return *rs })
	if err != nil {
		return nil, err
	}
	return &idp.ListResourceServersResponse{ResourceServers: servers, NextToken: next}, nil
}
