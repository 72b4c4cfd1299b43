package api

import (
	"context"
	"maps"
	"reflect"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/identitypool"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// handler is an engine method adapted to the dispatch table, with the input
// type it takes.
type handler struct {
	serve  serveFunc
	inType reflect.Type
}

// handle adapts an engine method to the dispatch table. The input type must
// be the one the operation table's NewInput returns; TestHandlerInputTypes
// checks that for every entry.
func handle[In any, Out any](f func(context.Context, cognito.Caller, *In) (*Out, error)) handler {
	return handler{inType: reflect.TypeFor[*In](), serve: func(ctx context.Context, c cognito.Caller, in cognito.Input) (any, error) {
		typed, ok := any(in).(*In)
		if !ok {
			return nil, cognito.InternalErrorException("Internal error")
		}
		out, err := f(ctx, c, typed)
		if err != nil {
			return nil, err
		}
		return out, nil
	}}
}

// idpHandlers lists the user-pool operations cognate serves. Each group of
// operations keeps its table in its own operations_*.go file.
func idpHandlers(p *userpool.Service, d *directory.Service, a *authflow.Service, r *replication.Replicas, limits *ratelimit.Limiter) map[string]handler {
	all := map[string]handler{}
	for _, part := range []map[string]handler{
		authHandlers(a),
		poolHandlers(p), clientHandlers(p), userHandlers(d), groupHandlers(d), resourceServerHandlers(p), domainHandlers(p), brandingHandlers(p),
		identityProviderHandlers(p, d), provisionedLimitHandlers(p, limits), replicaHandlers(r),
	} {
		maps.Copy(all, part)
	}
	return all
}

// poolHandlers serves user pools.
func poolHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateUserPool":       handle(p.CreateUserPool),
		"DescribeUserPool":     handle(p.DescribeUserPool),
		"SetUserPoolMfaConfig": handle(p.SetUserPoolMfaConfig),
		"GetUserPoolMfaConfig": handle(p.GetUserPoolMfaConfig),
		"UpdateUserPool":       handle(p.UpdateUserPool),
		"DeleteUserPool":       handle(p.DeleteUserPool),
		"ListUserPools":        handle(p.ListUserPools),
		"AddCustomAttributes":  handle(p.AddCustomAttributes),
		"TagResource":          handle(p.TagResource),
		"UntagResource":        handle(p.UntagResource),
		"ListTagsForResource":  handle(p.ListTagsForResource),

		"GetLogDeliveryConfiguration": handle(p.GetLogDeliveryConfiguration),
		"SetLogDeliveryConfiguration": handle(p.SetLogDeliveryConfiguration),
		"DescribeRiskConfiguration":   handle(p.DescribeRiskConfiguration),
		"SetRiskConfiguration":        handle(p.SetRiskConfiguration),
	}
}

// provisionedLimitHandlers serves the provisioned limits, which read and
// set the rates of the quota emulation.
func provisionedLimitHandlers(p *userpool.Service, limits *ratelimit.Limiter) map[string]handler {
	return map[string]handler{
		"GetProvisionedLimit": handle(func(ctx context.Context, _ cognito.Caller, in *idp.GetProvisionedLimitRequest) (*idp.GetProvisionedLimitResponse, error) {
			return p.GetProvisionedLimit(ctx, limits, in)
		}),
		"UpdateProvisionedLimit": handle(func(ctx context.Context, _ cognito.Caller, in *idp.UpdateProvisionedLimitRequest) (*idp.UpdateProvisionedLimitResponse, error) {
			return p.UpdateProvisionedLimit(ctx, limits, in)
		}),
	}
}

// handleRegional adapts an engine method that needs only the caller's
// region (the identity-pool engine's) to the dispatch table.
func handleRegional[In any, Out any](f func(context.Context, string, *In) (*Out, error)) handler {
	return handle(func(ctx context.Context, c cognito.Caller, in *In) (*Out, error) { return f(ctx, c.Region, in) })
}

// identityHandlers lists the identity-pool operations cognate serves.
func identityHandlers(p *identitypool.Service) map[string]handler {
	return map[string]handler{
		"CreateIdentityPool":                 handleRegional(p.CreateIdentityPool),
		"DescribeIdentityPool":               handleRegional(p.DescribeIdentityPool),
		"UpdateIdentityPool":                 handleRegional(p.UpdateIdentityPool),
		"DeleteIdentityPool":                 handleRegional(p.DeleteIdentityPool),
		"ListIdentityPools":                  handleRegional(p.ListIdentityPools),
		"TagResource":                        handleRegional(p.TagResource),
		"UntagResource":                      handleRegional(p.UntagResource),
		"ListTagsForResource":                handleRegional(p.ListTagsForResource),
		"SetIdentityPoolRoles":               handleRegional(p.SetIdentityPoolRoles),
		"GetIdentityPoolRoles":               handleRegional(p.GetIdentityPoolRoles),
		"SetPrincipalTagAttributeMap":        handleRegional(p.SetPrincipalTagAttributeMap),
		"GetPrincipalTagAttributeMap":        handleRegional(p.GetPrincipalTagAttributeMap),
		"GetId":                              handleRegional(p.GetId),
		"GetOpenIdToken":                     handleRegional(p.GetOpenIdToken),
		"GetCredentialsForIdentity":          handleRegional(p.GetCredentialsForIdentity),
		"DescribeIdentity":                   handleRegional(p.DescribeIdentity),
		"ListIdentities":                     handleRegional(p.ListIdentities),
		"DeleteIdentities":                   handleRegional(p.DeleteIdentities),
		"UnlinkIdentity":                     handleRegional(p.UnlinkIdentity),
		"GetOpenIdTokenForDeveloperIdentity": handleRegional(p.GetOpenIdTokenForDeveloperIdentity),
		"LookupDeveloperIdentity":            handleRegional(p.LookupDeveloperIdentity),
		"MergeDeveloperIdentities":           handleRegional(p.MergeDeveloperIdentities),
		"UnlinkDeveloperIdentity":            handleRegional(p.UnlinkDeveloperIdentity),
	}
}
