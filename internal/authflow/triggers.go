package authflow

import (
	"context"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/triggers"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file fills the sign-in's hook points (hooks.go) with the pool's
// Lambda triggers: PreAuthentication, PostAuthentication and
// PreTokenGeneration. Their events are aws-lambda-go's types, filled in as
// Cognito fills them; docs/triggers.md says what each sends and reads back.

// Trigger sources of the pre-token-generation event: what minted the
// tokens.
const (
	sourceTokenAuthentication = "TokenGeneration_Authentication"
	sourceTokenNewPassword    = "TokenGeneration_NewPasswordChallenge"
	sourceTokenRefresh        = "TokenGeneration_RefreshTokens"
	sourceTokenHosted         = "TokenGeneration_HostedAuth"
	sourceTokenDevice         = "TokenGeneration_AuthenticateDevice"
	sourceTokenClient         = "TokenGeneration_ClientCredentials"
)

// tokenGeneration is what the pre-token-generation hook sees: the tokens'
// identity, which it may change, and what they are minted for.
type tokenGeneration struct {
	pool   *userpool.SignInPool
	client *userpool.SignInClient
	user   *directory.SignInUser
	// source is the event's triggerSource; metadata the request's
	// ClientMetadata.
	source   string
	metadata map[string]string
	id       *tokens.Identity
}

// metadataKey carries a step's ClientMetadata from its entry point to the
// triggers it invokes, through the shared phases that do not look at it.
type metadataKey struct{}

func withClientMetadata(ctx context.Context, m map[string]string) context.Context {
	if len(m) == 0 {
		return ctx
	}
	return context.WithValue(ctx, metadataKey{}, m)
}

// clientMetadata is the step's ClientMetadata, nil when it has none.
func clientMetadata(ctx context.Context) map[string]string {
	m, _ := ctx.Value(metadataKey{}).(map[string]string)
	return m
}

// installTriggers fills the hook points with the pool's triggers, invoked
// through inv.
func (s *Service) installTriggers(inv *triggers.Invoker) {
	s.triggers = inv
	s.hooks.preAuthentication = s.preAuthentication
	s.hooks.postAuthentication = s.postAuthentication
	s.hooks.preTokenGeneration = s.preTokenGeneration
	s.hooks.defineAuthChallenge = s.defineAuthChallenge
	s.hooks.createAuthChallenge = s.createAuthChallenge
	s.hooks.verifyAuthChallenge = s.verifyAuthChallenge
}

// lambdaConfig returns the pool's LambdaConfig (never nil), from the
// configuration the step already read.
func (s *Service) lambdaConfig(_ context.Context, pool *userpool.SignInPool) (*idp.LambdaConfigType, error) {
	if p := pool.Config(); p != nil && p.LambdaConfig != nil {
		return p.LambdaConfig, nil
	}
	return &idp.LambdaConfigType{}, nil
}

// eventAttributes are the userAttributes of an event: every attribute of
// the user, sub, and cognito:user_status, as Cognito sends them.
func eventAttributes(u *directory.SignInUser) map[string]string {
	out := make(map[string]string, len(u.Attributes)+2)
	for k, v := range u.Attributes {
		out[k] = v
	}
	out["sub"] = u.Sub
	out["cognito:user_status"] = string(u.Status)
	return out
}

// preAuthentication invokes PreAuthentication_Authentication. The
// function's refusal is the step's answer; its response carries nothing.
// For a user that does not exist (sp.user nil; only where the client
// hides whether users exist) the event says userNotFound.
// Cognito passes the sign-in's ClientMetadata as validationData. A
// device's proof (DEVICE_PASSWORD_VERIFIER) does not invoke it again: the
// password's step of the same sign-in did.
func (s *Service) preAuthentication(ctx context.Context, sp *call) error {
	if sp.deviceVerified {
		return nil
	}
	cfg, err := s.lambdaConfig(ctx, sp.pool)
	if err != nil {
		return err
	}
	arn := cognito.Deref(cfg.PreAuthentication)
	if arn == "" {
		return nil
	}
	ev := events.CognitoEventUserPoolsPreAuthentication{
		Request: events.CognitoEventUserPoolsPreAuthenticationRequest{ValidationData: orEmpty(clientMetadata(ctx))},
	}
	if sp.user == nil {
		// A user that does not exist, at a client that hides whether
		// users exist: Cognito sends userNotFound, the name as given and
		// no attributes, and whatever the function answers the sign-in
		// fails as for a wrong password.
		ev.CognitoEventUserPoolsHeader = triggers.Header("1", "PreAuthentication_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, sp.username)
		ev.Request.UserAttributes, ev.Request.UserNotFound = map[string]string{}, true
	} else {
		ev.CognitoEventUserPoolsHeader = triggers.Header("1", "PreAuthentication_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, sp.user.Username)
		ev.Request.UserAttributes = eventAttributes(sp.user)
	}
	return s.triggers.Invoke(ctx, triggers.PreAuthentication, arn, &ev, &ev)
}

// postAuthentication invokes PostAuthentication_Authentication once every
// challenge is passed. Its answer is ignored, as Cognito ignores it; its
// error ends the sign-in.
func (s *Service) postAuthentication(ctx context.Context, sp *call) error {
	cfg, err := s.lambdaConfig(ctx, sp.pool)
	if err != nil {
		return err
	}
	arn := cognito.Deref(cfg.PostAuthentication)
	if arn == "" {
		return nil
	}
	ev := events.CognitoEventUserPoolsPostAuthentication{
		CognitoEventUserPoolsHeader: triggers.Header("1", "PostAuthentication_Authentication", sp.pool.Region, sp.pool.ID, sp.client.ClientID, sp.user.Username),
		Request: events.CognitoEventUserPoolsPostAuthenticationRequest{
			UserAttributes: eventAttributes(sp.user), ClientMetadata: orEmpty(clientMetadata(ctx)),
		},
	}
	var out events.CognitoEventUserPoolsPostAuthentication
	return s.triggers.Invoke(ctx, triggers.PostAuthentication, arn, &ev, &out)
}

// sourceInboundFederation is the trigger source of the InboundFederation
// event.
const sourceInboundFederation = "InboundFederation_ExternalProvider"

// inboundFederation invokes the pool's InboundFederation function (V1_0,
// the only version) for a federated sign-in, before its user is found or
// made: the provider's name and type and what it answered
// (tokenResponse, idToken and userInfo, or samlResponse). It returns the
// function's userAttributesToMap, the attributes the sign-in writes in
// place of the AttributeMapping's; nil when it answered none (an empty
// object keeps the mapped attributes, as Cognito documents) or the pool
// has no such function. userName is the user the sign-in stands for,
// "<provider>_<subject>".
func (s *Service) inboundFederation(ctx context.Context, in FederatedLogin) (map[string]string, error) {
	if s.triggers == nil {
		return nil, nil
	}
	cfg, err := s.lambdaConfig(ctx, in.Pool)
	if err != nil || cfg.InboundFederation == nil {
		return nil, err
	}
	arn := cognito.Deref(cfg.InboundFederation.LambdaArn)
	if arn == "" {
		return nil, nil
	}
	ev := events.CognitoEventUserPoolsInboundFederation{
		CognitoEventUserPoolsHeader: triggers.Header("1", sourceInboundFederation, in.Pool.Region, in.Pool.ID, in.ClientID, in.Provider.Name+"_"+in.Subject),
		Request: events.CognitoEventUserPoolsInboundFederationRequest{
			ProviderName: in.Provider.Name, ProviderType: events.CognitoFederationProviderType(in.Provider.Type), Attributes: in.Raw,
		},
		Response: events.CognitoEventUserPoolsInboundFederationResponse{UserAttributesToMap: map[string]string{}},
	}
	var out events.CognitoEventUserPoolsInboundFederation
	if err := s.triggers.Invoke(ctx, triggers.InboundFederation, arn, &ev, &out); err != nil {
		return nil, err
	}
	if len(out.Response.UserAttributesToMap) == 0 {
		return nil, nil
	}
	return out.Response.UserAttributesToMap, nil
}

// preTokenFunction returns the pool's PreTokenGeneration function and the
// version its PreTokenGenerationConfig names (V1_0 when none does); ""
// when the pool has none.
func (s *Service) preTokenFunction(ctx context.Context, pool *userpool.SignInPool) (string, idp.PreTokenGenerationLambdaVersionType, error) {
	cfg, err := s.lambdaConfig(ctx, pool)
	if err != nil {
		return "", "", err
	}
	arn, version := cognito.Deref(cfg.PreTokenGeneration), idp.PreTokenGenerationLambdaVersionType("V1_0")
	if c := cfg.PreTokenGenerationConfig; c != nil {
		if a := cognito.Deref(c.LambdaArn); a != "" {
			arn = a
		}
		if c.LambdaVersion != nil {
			version = *c.LambdaVersion
		}
	}
	return arn, version, nil
}

// clientCredentialsToken invokes the pool's PreTokenGeneration function
// for an access token of the client_credentials grant, when it is V3_0
// (Cognito invokes V1_0 and V2_0 functions for users' tokens only):
// TokenGeneration_ClientCredentials, with no user (an empty userName and
// userAttributes), the scopes granted and the request's metadata. It
// returns the scopes and the added claims the token carries:
// accessTokenGeneration's claims to add or override (not the token's own,
// reservedAccessClaims) and its scopes to add and suppress; the ID
// token's and the groups' overrides do not apply, as there is no ID token
// and no user.
func (s *Service) clientCredentialsToken(ctx context.Context, pool *userpool.SignInPool, client *userpool.SignInClient, scopes []string, metadata map[string]string) ([]string, map[string]any, error) {
	arn, version, err := s.preTokenFunction(ctx, pool)
	if err != nil || arn == "" || version != "V3_0" {
		return scopes, nil, err
	}
	ev := events.CognitoEventUserPoolsPreTokenGenV2_0{
		CognitoEventUserPoolsHeader: triggers.Header("3", sourceTokenClient, pool.Region, pool.ID, client.ClientID, ""),
		Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
			UserAttributes:     map[string]string{},
			GroupConfiguration: events.GroupConfigurationV2_0{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
			ClientMetadata:     metadata, Scopes: slices.Clone(scopes),
		},
	}
	var out events.CognitoEventUserPoolsPreTokenGenV2_0
	if err := s.triggers.Invoke(ctx, triggers.PreTokenGeneration, arn, &ev, &out); err != nil {
		return nil, nil, err
	}
	at := out.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration
	var claims map[string]any
	for name, v := range at.ClaimsToAddOrOverride {
		if reservedAccessClaims[name] || v == nil || slices.Contains(at.ClaimsToSuppress, name) {
			continue
		}
		if claims == nil {
			claims = map[string]any{}
		}
		claims[name] = v
	}
	next := slices.Clone(scopes)
	for _, sc := range at.ScopesToAdd {
		if sc != "" && !slices.Contains(next, sc) {
			next = append(next, sc)
		}
	}
	next = slices.DeleteFunc(next, func(sc string) bool { return slices.Contains(at.ScopesToSuppress, sc) })
	return next, claims, nil
}

// preTokenGeneration invokes the pool's PreTokenGeneration function in the
// version its PreTokenGenerationConfig names (V1_0 when none does), and
// applies its answer to the identity the tokens are minted from.
func (s *Service) preTokenGeneration(ctx context.Context, g *tokenGeneration) error {
	arn, version, err := s.preTokenFunction(ctx, g.pool)
	if err != nil || arn == "" {
		return err
	}
	id := g.id
	groups := events.GroupConfiguration{
		GroupsToOverride: orNone(id.Groups), IAMRolesToOverride: orNone(id.Roles), PreferredRole: strPtr(id.PreferredRole),
	}
	header := triggers.Header("1", g.source, g.pool.Region, g.pool.ID, g.client.ClientID, g.user.Username)
	if version == "V1_0" {
		ev := events.CognitoEventUserPoolsPreTokenGen{
			CognitoEventUserPoolsHeader: header,
			Request: events.CognitoEventUserPoolsPreTokenGenRequest{
				UserAttributes: eventAttributes(g.user), GroupConfiguration: groups, ClientMetadata: orEmpty(g.metadata),
			},
		}
		var out events.CognitoEventUserPoolsPreTokenGen
		if err := s.triggers.Invoke(ctx, triggers.PreTokenGeneration, arn, &ev, &out); err != nil {
			return err
		}
		d := out.Response.ClaimsOverrideDetails
		applyIDClaims(id, stringClaims(d.ClaimsToAddOrOverride), d.ClaimsToSuppress)
		applyGroups(id, d.GroupOverrideDetails.GroupsToOverride, d.GroupOverrideDetails.IAMRolesToOverride, d.GroupOverrideDetails.PreferredRole)
		return nil
	}
	header.Version = "2"
	if version == "V3_0" {
		header.Version = "3"
	}
	scopes := id.Scopes
	if len(scopes) == 0 {
		scopes = []string{tokens.DefaultScope}
	}
	ev := events.CognitoEventUserPoolsPreTokenGenV2_0{
		CognitoEventUserPoolsHeader: header,
		Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
			UserAttributes: eventAttributes(g.user),
			GroupConfiguration: events.GroupConfigurationV2_0{
				GroupsToOverride: groups.GroupsToOverride, IAMRolesToOverride: groups.IAMRolesToOverride, PreferredRole: groups.PreferredRole,
			},
			ClientMetadata: g.metadata, Scopes: slices.Clone(scopes),
		},
	}
	var out events.CognitoEventUserPoolsPreTokenGenV2_0
	if err := s.triggers.Invoke(ctx, triggers.PreTokenGeneration, arn, &ev, &out); err != nil {
		return err
	}
	d := out.Response.ClaimsAndScopeOverrideDetails
	applyIDClaims(id, d.IDTokenGeneration.ClaimsToAddOrOverride, d.IDTokenGeneration.ClaimsToSuppress)
	at := d.AccessTokenGeneration
	for name, v := range at.ClaimsToAddOrOverride {
		if reservedAccessClaims[name] || v == nil {
			continue
		}
		if id.AccessClaims == nil {
			id.AccessClaims = map[string]any{}
		}
		id.AccessClaims[name] = v
	}
	for _, name := range at.ClaimsToSuppress {
		if name == "cognito:groups" {
			id.SuppressAccessGroups = true
		} else if !reservedAccessClaims[name] {
			delete(id.AccessClaims, name)
		}
	}
	if len(at.ScopesToAdd) > 0 || len(at.ScopesToSuppress) > 0 {
		next := slices.Clone(scopes)
		for _, sc := range at.ScopesToAdd {
			if sc != "" && !slices.Contains(next, sc) {
				next = append(next, sc)
			}
		}
		next = slices.DeleteFunc(next, func(sc string) bool { return slices.Contains(at.ScopesToSuppress, sc) })
		id.Scopes = next
		id.NoScopes = len(next) == 0
	}
	applyGroups(id, d.GroupOverrideDetails.GroupsToOverride, d.GroupOverrideDetails.IAMRolesToOverride, d.GroupOverrideDetails.PreferredRole)
	return nil
}

// reservedIDClaims are the ID token's claims a function may neither add,
// override nor suppress: the token's own (Cognito's excluded claims). A
// function that names one is not refused: that one change is dropped.
// cognito:groups, cognito:roles and cognito:preferred_role change through
// groupOverrideDetails only.
var reservedIDClaims = map[string]bool{
	"acr": true, "amr": true, "aud": true, "at_hash": true, "auth_time": true, "azp": true, "c_hash": true,
	"exp": true, "iat": true, "identities": true, "iss": true, "jti": true, "nbf": true, "nonce": true,
	"origin_jti": true, "sub": true, "token_use": true, "event_id": true, "cognito:username": true,
	"cognito:groups": true, "cognito:roles": true, "cognito:preferred_role": true,
}

// reservedAccessClaims are the access token's own claims, which a
// function cannot add or override: scope changes through scopesToAdd and
// scopesToSuppress, cognito:groups through groupOverrideDetails (or
// claimsToSuppress).
var reservedAccessClaims = map[string]bool{
	"acr": true, "amr": true, "aud": true, "auth_time": true, "azp": true, "client_id": true, "device_key": true,
	"event_id": true, "exp": true, "iat": true, "identities": true, "iss": true, "jti": true, "nbf": true,
	"origin_jti": true, "scope": true, "sub": true, "token_use": true, "username": true, "version": true,
	"cognito:username": true, "cognito:groups": true, "cognito:roles": true, "cognito:preferred_role": true,
}

// applyIDClaims adds or overrides the ID token's claims with add and
// removes those in suppress, leaving the reserved ones as they are.
func applyIDClaims(id *tokens.Identity, add map[string]any, suppress []string) {
	if len(add) == 0 && len(suppress) == 0 {
		return
	}
	attrs := make(map[string]any, len(id.IDAttributes)+len(add))
	for k, v := range id.IDAttributes {
		attrs[k] = v
	}
	for name, v := range add {
		if !reservedIDClaims[name] && v != nil {
			attrs[name] = v
		}
	}
	for _, name := range suppress {
		if !reservedIDClaims[name] {
			delete(attrs, name)
		}
	}
	id.IDAttributes = attrs
}

// applyGroups applies groupOverrideDetails: each list the function gives
// (even empty) replaces the identity's; a nil list keeps it.
func applyGroups(id *tokens.Identity, groups, roles []string, preferred *string) {
	if groups != nil {
		id.Groups = slices.Clone(groups)
	}
	if roles != nil {
		id.Roles = slices.Clone(roles)
	}
	if preferred != nil {
		id.PreferredRole = *preferred
	}
}

func stringClaims(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
