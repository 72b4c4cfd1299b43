package console

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	// AdminPoolName is the name of the administrators' pool: its users
	// are the console's operators.
	AdminPoolName = "cognate-console"
	// AdminClientName is the name of the console's app client in it.
	AdminClientName = "cognate-console"
	// AdminDomainPrefix is the prefix of the pool's domain, followed by
	// the region (domain prefixes are unique across every region).
	AdminDomainPrefix = "cognate-console-"

	callbackPath  = "/console/callback"
	signedOutPath = "/console/signed-out"
	// maxCallbacks bounds the callback URLs the console's client keeps
	// (one per public URL cognate was started with).
	maxCallbacks = 20
)

// AdminPool names the administrators' pool and the console's app client.
type AdminPool struct {
	PoolID, ClientID, Domain string
}

// EnsureAdminPool finds or creates the administrators' pool, the console's
// app client and the pool's domain, through the same engine methods as the
// API; `cognate console add-admin` calls it, and the first call makes the
// pool. It is idempotent: a later call finds what the first made, and adds
// baseURL's callback to the client when it is new. An empty baseURL leaves
// the client's URLs alone (the CLI's use).
//
// The domain prefix is the lock between callers that run at once on one
// store: the pool that owns AdminDomainPrefix+region is the administrators'
// pool. A caller that made a pool and then finds the domain taken deletes
// its pool and uses the owner's.
//
// The pool lets only administrators create users (no self sign-up) and asks
// for a strong password.
func EnsureAdminPool(ctx context.Context, pools *userpool.Service, c cognito.Caller, baseURL string) (*AdminPool, error) {
	a := &AdminPool{Domain: AdminDomainPrefix + c.Region}
	owner, err := domainOwner(ctx, pools, c, a.Domain)
	if err != nil {
		return nil, err
	}
	if owner == "" {
		if owner, err = findPool(ctx, pools, c); err != nil {
			return nil, err
		}
		made := false
		if owner == "" {
			out, err := pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{
				PoolName:               cognito.Ptr(AdminPoolName),
				AdminCreateUserConfig:  &idp.AdminCreateUserConfigType{AllowAdminCreateUserOnly: cognito.Ptr(true)},
				AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"},
				UsernameConfiguration:  &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(false)},
				Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{
					MinimumLength: cognito.Ptr(int32(12)), RequireLowercase: cognito.Ptr(true), RequireUppercase: cognito.Ptr(true),
					RequireNumbers: cognito.Ptr(true), RequireSymbols: cognito.Ptr(false), TemporaryPasswordValidityDays: cognito.Ptr(int32(7)),
				}},
			})
			if err != nil {
				return nil, fmt.Errorf("console: create the administrators' pool: %w", err)
			}
			owner, made = cognito.Deref(out.UserPool.Id), true
		}
		if _, err := pools.CreateUserPoolDomain(ctx, c, &idp.CreateUserPoolDomainRequest{UserPoolId: &owner, Domain: &a.Domain}); err != nil {
			// Another server claimed the domain first: use its pool.
			taken, derr := domainOwner(ctx, pools, c, a.Domain)
			if derr != nil || taken == "" {
				return nil, fmt.Errorf("console: create the administrators' domain %s: %w", a.Domain, err)
			}
			if made && taken != owner {
				if _, err := pools.DeleteUserPool(ctx, c, &idp.DeleteUserPoolRequest{UserPoolId: &owner}); err != nil {
					return nil, fmt.Errorf("console: delete the administrators' pool made twice: %w", err)
				}
			}
			owner = taken
		}
	}
	a.PoolID = owner
	if a.ClientID, err = ensureClient(ctx, pools, c, a.PoolID, baseURL); err != nil {
		return nil, err
	}
	return a, nil
}

// FindAdminPool returns the administrators' pool and the console's app
// client when `cognate console add-admin` has made them, adding
// baseURL's callback to the client when it is new; nil when there is no
// administrators' pool yet. It creates no pool.
func FindAdminPool(ctx context.Context, pools *userpool.Service, c cognito.Caller, baseURL string) (*AdminPool, error) {
	a := &AdminPool{Domain: AdminDomainPrefix + c.Region}
	owner, err := domainOwner(ctx, pools, c, a.Domain)
	if err != nil || owner == "" {
		return nil, err
	}
	a.PoolID = owner
	if a.ClientID, err = ensureClient(ctx, pools, c, a.PoolID, baseURL); err != nil {
		return nil, err
	}
	return a, nil
}

// domainOwner returns the pool that owns the prefix domain, or "" when
// none does; a pool not named AdminPoolName owning it is an error.
func domainOwner(ctx context.Context, pools *userpool.Service, c cognito.Caller, domain string) (string, error) {
	d, err := pools.DescribeUserPoolDomain(ctx, c, &idp.DescribeUserPoolDomainRequest{Domain: &domain})
	if err != nil {
		return "", fmt.Errorf("console: describe the administrators' domain: %w", err)
	}
	if d.DomainDescription == nil || cognito.Deref(d.DomainDescription.UserPoolId) == "" {
		return "", nil
	}
	owner := cognito.Deref(d.DomainDescription.UserPoolId)
	p, err := pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &owner})
	if err != nil {
		return "", fmt.Errorf("console: describe the pool of the domain %s: %w", domain, err)
	}
	if cognito.Deref(p.UserPool.Name) != AdminPoolName {
		return "", fmt.Errorf("console: the domain %s belongs to the pool %s (%s), not to an administrators' pool named %s",
			domain, owner, cognito.Deref(p.UserPool.Name), AdminPoolName)
	}
	return owner, nil
}

// findPool returns the ID of the oldest pool named AdminPoolName, or "".
func findPool(ctx context.Context, pools *userpool.Service, c cognito.Caller) (string, error) {
	var found string
	var oldest int64
	var next *string
	for {
		out, err := pools.ListUserPools(ctx, c, &idp.ListUserPoolsRequest{MaxResults: cognito.Ptr(int32(60)), NextToken: next})
		if err != nil {
			return "", fmt.Errorf("console: list pools: %w", err)
		}
		for _, p := range out.UserPools {
			if cognito.Deref(p.Name) != AdminPoolName {
				continue
			}
			created := int64(0)
			if p.CreationDate != nil {
				created = p.CreationDate.UnixNano()
			}
			if found == "" || created < oldest {
				found, oldest = cognito.Deref(p.Id), created
			}
		}
		if cognito.Deref(out.NextToken) == "" {
			return found, nil
		}
		next = out.NextToken
	}
}

// ensureClient finds or creates the console's app client: public (PKCE),
// the code flow only, through the pool's own sign-in pages.
func ensureClient(ctx context.Context, pools *userpool.Service, c cognito.Caller, poolID, baseURL string) (string, error) {
	var next *string
	for {
		out, err := pools.ListUserPoolClients(ctx, c, &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: next})
		if err != nil {
			return "", fmt.Errorf("console: list the administrators' clients: %w", err)
		}
		for _, d := range out.UserPoolClients {
			if cognito.Deref(d.ClientName) == AdminClientName {
				id, err := oldestClient(ctx, pools, c, poolID)
				if err != nil {
					return "", err
				}
				return id, addCallback(ctx, pools, c, poolID, id, baseURL)
			}
		}
		if cognito.Deref(out.NextToken) == "" {
			break
		}
		next = out.NextToken
	}
	in := &idp.CreateUserPoolClientRequest{
		UserPoolId: &poolID, ClientName: cognito.Ptr(AdminClientName),
		ExplicitAuthFlows:               []idp.ExplicitAuthFlowsType{"ALLOW_REFRESH_TOKEN_AUTH"},
		SupportedIdentityProviders:      []string{"COGNITO"},
		AllowedOAuthFlowsUserPoolClient: cognito.Ptr(true),
		AllowedOAuthFlows:               []idp.OAuthFlowType{"code"},
		AllowedOAuthScopes:              []string{"openid", "email", "profile"},
		PreventUserExistenceErrors:      cognito.Ptr(idp.PreventUserExistenceErrorTypes("ENABLED")),
		EnableTokenRevocation:           cognito.Ptr(true),
	}
	if baseURL != "" {
		in.CallbackURLs = []string{baseURL + callbackPath}
		in.LogoutURLs = []string{baseURL + signedOutPath}
	} else {
		// The CLI runs before any server: a placeholder that the first
		// start replaces.
		in.CallbackURLs = []string{placeholderBase + callbackPath}
		in.LogoutURLs = []string{placeholderBase + signedOutPath}
	}
	out, err := pools.CreateUserPoolClient(ctx, c, in)
	if err != nil {
		return "", fmt.Errorf("console: create the console's app client: %w", err)
	}
	made := cognito.Deref(out.UserPoolClient.ClientId)
	// Servers starting at once may each have made one: the oldest is the
	// console's, and a server whose own is not deletes it. (A server that
	// looked before another's commit keeps its own, which works as well.)
	oldest, err := oldestClient(ctx, pools, c, poolID)
	if err != nil {
		return "", err
	}
	if oldest != "" && oldest != made {
		if _, err := pools.DeleteUserPoolClient(ctx, c, &idp.DeleteUserPoolClientRequest{UserPoolId: &poolID, ClientId: &made}); err != nil {
			return "", fmt.Errorf("console: delete the console's app client made twice: %w", err)
		}
		return oldest, addCallback(ctx, pools, c, poolID, oldest, baseURL)
	}
	return made, nil
}

// oldestClient returns the oldest app client named AdminClientName (by
// creation time, then ID).
func oldestClient(ctx context.Context, pools *userpool.Service, c cognito.Caller, poolID string) (string, error) {
	var id string
	var at int64
	var next *string
	for {
		out, err := pools.ListUserPoolClients(ctx, c, &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: next})
		if err != nil {
			return "", fmt.Errorf("console: list the administrators' clients: %w", err)
		}
		for _, d := range out.UserPoolClients {
			if cognito.Deref(d.ClientName) != AdminClientName {
				continue
			}
			cid := cognito.Deref(d.ClientId)
			desc, err := pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &cid})
			if err != nil {
				continue // deleted meanwhile
			}
			created := int64(0)
			if desc.UserPoolClient.CreationDate != nil {
				created = desc.UserPoolClient.CreationDate.UnixNano()
			}
			if id == "" || created < at || (created == at && cid < id) {
				id, at = cid, created
			}
		}
		if cognito.Deref(out.NextToken) == "" {
			return id, nil
		}
		next = out.NextToken
	}
}

// addCallback adds baseURL's callback and sign-out URLs to the console's
// client, first, when they are not there yet.
func addCallback(ctx context.Context, pools *userpool.Service, c cognito.Caller, poolID, clientID, baseURL string) error {
	if baseURL == "" {
		return nil
	}
	d, err := pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return fmt.Errorf("console: describe the console's app client: %w", err)
	}
	cb, lo := baseURL+callbackPath, baseURL+signedOutPath
	if slices.Contains(d.UserPoolClient.CallbackURLs, cb) && slices.Contains(d.UserPoolClient.LogoutURLs, lo) {
		return nil
	}
	up, err := updateRequest(d.UserPoolClient)
	if err != nil {
		return err
	}
	// The CLI's placeholders go as soon as a server names its own URLs.
	up.CallbackURLs = prepend(slices.DeleteFunc(up.CallbackURLs, func(u string) bool { return u == placeholderBase+callbackPath }), cb)
	up.LogoutURLs = prepend(slices.DeleteFunc(up.LogoutURLs, func(u string) bool { return u == placeholderBase+signedOutPath }), lo)
	if up.DefaultRedirectURI != nil && !slices.Contains(up.CallbackURLs, *up.DefaultRedirectURI) {
		up.DefaultRedirectURI = nil
	}
	if _, err := pools.UpdateUserPoolClient(ctx, c, up); err != nil {
		return fmt.Errorf("console: add %s to the console's app client: %w", cb, err)
	}
	return nil
}

// placeholderBase is the base of the URLs the CLI gives the console's
// client before any server has named its own.
const placeholderBase = "http://localhost"

func prepend(list []string, v string) []string {
	out := []string{v}
	for _, x := range list {
		if x != v && len(out) < maxCallbacks {
			out = append(out, x)
		}
	}
	return out
}

// updateRequest is an UpdateUserPoolClient request that keeps every
// setting of client (UpdateUserPoolClient resets what it does not name).
func updateRequest(client *idp.UserPoolClientType) (*idp.UpdateUserPoolClientRequest, error) {
	raw, err := json.Marshal(client)
	if err != nil {
		return nil, err
	}
	var up idp.UpdateUserPoolClientRequest
	if err := json.Unmarshal(raw, &up); err != nil {
		return nil, err
	}
	return &up, nil
}
