package userpool

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is the hosted UI's and OAuth endpoints' view of pool
// configuration: an app client's OAuth settings and the pool a domain
// names. internal/oidc reads them through the sign-in engine's types.

// OAuthClient is what the authorize, token, logout and userInfo endpoints
// read of an app client's OAuth settings (CreateUserPoolClient's
// AllowedOAuthFlowsUserPoolClient, AllowedOAuthFlows, AllowedOAuthScopes,
// CallbackURLs, DefaultRedirectURI, LogoutURLs and
// SupportedIdentityProviders). Slices are copies.
type OAuthClient struct {
	// Enabled is AllowedOAuthFlowsUserPoolClient: without it the client
	// takes no OAuth flow at all.
	Enabled bool
	// Flows are the AllowedOAuthFlows: "code", "implicit",
	// "client_credentials".
	Flows []string
	// Scopes are the AllowedOAuthScopes.
	Scopes []string
	// CallbackURLs and LogoutURLs are compared with a request's
	// redirect_uri and logout_uri exactly, byte for byte.
	CallbackURLs, LogoutURLs []string
	DefaultRedirectURI       string
	// IdentityProviders are the SupportedIdentityProviders (COGNITO for the
	// pool's own users).
	IdentityProviders []string
}

// AllowsFlow reports whether the client may use the OAuth flow.
func (o OAuthClient) AllowsFlow(flow string) bool {
	return o.Enabled && slices.Contains(o.Flows, flow)
}

// OAuth returns the client's OAuth settings.
func (c *SignInClient) OAuth() OAuthClient {
	cl := &c.rec.Client
	out := OAuthClient{
		Enabled:            cognito.Deref(cl.AllowedOAuthFlowsUserPoolClient),
		Scopes:             slices.Clone(cl.AllowedOAuthScopes),
		CallbackURLs:       slices.Clone(cl.CallbackURLs),
		LogoutURLs:         slices.Clone(cl.LogoutURLs),
		DefaultRedirectURI: cognito.Deref(cl.DefaultRedirectURI),
		IdentityProviders:  slices.Clone(cl.SupportedIdentityProviders),
	}
	for _, f := range cl.AllowedOAuthFlows {
		out.Flows = append(out.Flows, string(f))
	}
	return out
}

// Domain is a user-pool domain as the hosted UI finds a pool by it.
type Domain struct {
	// Name is the prefix (for a prefix domain) or the full host name (for
	// a custom domain).
	Name   string
	PoolID string
	// Custom is true for a custom domain, which is matched against the
	// Host of a request, and false for a prefix domain.
	Custom bool
	// ManagedLoginVersion is 1 (hosted UI classic) or 2 (managed login).
	ManagedLoginVersion int32
}

// DomainByName returns the domain name (a prefix, or a custom domain's
// host name), or nil when no pool has it. Domain names are unique across
// the store, in every region.
func (s *Service) DomainByName(ctx context.Context, name string) (*Domain, error) {
	if name == "" || len(name) > 253 || !cognito.ValidText(name) {
		return nil, nil
	}
	it, err := s.store.GetItem(ctx, kindDomain, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get domain %q: %w", name, err))
	}
	d, err := decodeDomain(it)
	if err != nil {
		return nil, err
	}
	v := d.ManagedLoginVersion
	if v == 0 {
		v = managedLoginClassic
	}
	return &Domain{Name: d.Domain, PoolID: it.Pool, Custom: d.custom(), ManagedLoginVersion: v}, nil
}

// PoolDomains returns the prefix domain and the custom domain of a pool,
// "" for none.
func (s *Service) PoolDomains(ctx context.Context, poolID string) (prefix, custom string, err error) {
	return s.poolDomains(ctx, poolID)
}
