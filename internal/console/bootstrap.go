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
// API. It is idempotent: a later start finds what the first made (by
// name), and adds baseURL's callback to the client when it is new. An
// empty baseURL leaves the client's URLs alone (the CLI's use).
//
// The pool lets only administrators create users (no self sign-up), asks
// for a strong password, and is protected from deletion.
func EnsureAdminPool(ctx context.Context, pools *userpool.Service, c cognito.Caller, baseURL string) (*AdminPool, error) {
	poolID, err := findPool(ctx, pools, c)
	if err != nil {
		return nil, err
	}
	if poolID == "" {
		out, err := pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{
			PoolName:               cognito.Ptr(AdminPoolName),
			DeletionProtection:     cognito.Ptr(idp.DeletionProtectionType("ACTIVE")),
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
		poolID = cognito.Deref(out.UserPool.Id)
	}
	a := &AdminPool{PoolID: poolID, Domain: AdminDomainPrefix + c.Region}
	if a.ClientID, err = ensureClient(ctx, pools, c, poolID, baseURL); err != nil {
		return nil, err
	}
	d, err := pools.DescribeUserPoolDomain(ctx, c, &idp.DescribeUserPoolDomainRequest{Domain: &a.Domain})
	if err != nil {
		return nil, fmt.Errorf("console: describe the administrators' domain: %w", err)
	}
	owner := ""
	if d.DomainDescription != nil {
		owner = cognito.Deref(d.DomainDescription.UserPoolId)
	}
	switch {
	case owner == "":
		if _, err := pools.CreateUserPoolDomain(ctx, c, &idp.CreateUserPoolDomainRequest{UserPoolId: &poolID, Domain: &a.Domain}); err != nil {
			return nil, fmt.Errorf("console: create the administrators' domain %s: %w", a.Domain, err)
		}
	case owner != poolID:
		return nil, fmt.Errorf("console: the domain %s belongs to pool %s, not to the administrators' pool %s", a.Domain, owner, poolID)
	}
	return a, nil
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
				return cognito.Deref(d.ClientId), addCallback(ctx, pools, c, poolID, cognito.Deref(d.ClientId), baseURL)
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
		in.CallbackURLs = []string{"http://localhost" + callbackPath}
		in.LogoutURLs = []string{"http://localhost" + signedOutPath}
	}
	out, err := pools.CreateUserPoolClient(ctx, c, in)
	if err != nil {
		return "", fmt.Errorf("console: create the console's app client: %w", err)
	}
	return cognito.Deref(out.UserPoolClient.ClientId), nil
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
	up.CallbackURLs = prepend(up.CallbackURLs, cb)
	up.LogoutURLs = prepend(up.LogoutURLs, lo)
	if up.DefaultRedirectURI != nil && !slices.Contains(up.CallbackURLs, *up.DefaultRedirectURI) {
		up.DefaultRedirectURI = nil
	}
	if _, err := pools.UpdateUserPoolClient(ctx, c, up); err != nil {
		return fmt.Errorf("console: add %s to the console's app client: %w", cb, err)
	}
	return nil
}

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
