package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// App client IDs and generated secrets are lower-case letters and digits,
// as Cognito's are: 26 characters for an ID, 52 for a secret.
const (
	lowerAlnum         = "abcdefghijklmnopqrstuvwxyz0123456789"
	clientIDLength     = 26
	clientSecretLength = 52
)

// Defaults Cognito fills in for an app client.
const (
	defaultRefreshTokenValidity = 30 // in RefreshToken units, days by default
	defaultAccessTokenValidity  = 1  // in AccessToken/IdToken units, hours by default
	defaultAuthSessionValidity  = 3  // minutes
	defaultListClients          = 60
)

// Token validity ranges, in seconds: access and ID tokens last from five
// minutes to one day, refresh tokens from one hour to ten years.
const (
	minAccessValidity  = 5 * 60
	maxAccessValidity  = 24 * 60 * 60
	minRefreshValidity = 60 * 60
	maxRefreshValidity = 10 * 365 * 24 * 60 * 60
)

// standardScopes are the OAuth scopes every pool offers; any other scope
// is "<resource server identifier>/<scope name>".
var standardScopes = []string{"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}

// legacyAuthFlows are the ExplicitAuthFlows names without the ALLOW_
// prefix, which cannot be combined with the ALLOW_ names.
var legacyAuthFlows = []idp.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}

// defaultAuthFlows are the flows a client allows when it was created
// without ExplicitAuthFlows. DescribeUserPoolClient does not list them.
var defaultAuthFlows = []idp.ExplicitAuthFlowsType{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}

// clientRecord is a stored app client (item kind "client", ID = client ID,
// Pool = pool ID). JSON names are part of the stored format.
type clientRecord struct {
	// Client is the description DescribeUserPoolClient returns, without
	// ClientSecret.
	Client idp.UserPoolClientType `json:"client"`
	// Secrets are the active client secrets, oldest first; at most
	// maxClientSecrets. SECRET_HASH and the token endpoint need the secret
	// itself, and Cognito returns it in DescribeUserPoolClient, so it is
	// sealed at rest (clientSecretBox), not hashed.
	Secrets []clientSecret `json:"secrets,omitempty"`
}

// clientSecret is one active secret of a confidential app client.
type clientSecret struct {
	ID string `json:"id"`
	// Value is the secret in the clear. It is never stored: encoding seals
	// it into Sealed and decoding opens it from there.
	Value string `json:"-"`
	// Sealed is Value sealed with the client-secret key for this client
	// and secret ID (clientSecretBox.seal), base64.
	Sealed string `json:"sealed,omitempty"`
	// Plain is the value as stores written before secrets were sealed
	// kept it, in the clear; decoding still reads it, encoding never
	// writes it, and SealClientSecrets re-seals every such record.
	Plain     string    `json:"value,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// description returns the client as DescribeUserPoolClient returns it: with
// the oldest active secret as ClientSecret.
func (r *clientRecord) description() *idp.UserPoolClientType {
	d := r.Client
	if len(r.Secrets) > 0 {
		d.ClientSecret = cognito.Ptr(r.Secrets[0].Value)
	}
	return &d
}

// authFlows returns the ExplicitAuthFlows the client allows, with
// Cognito's defaults when it was created without any.
func (r *clientRecord) authFlows() []idp.ExplicitAuthFlowsType {
	if r.Client.ExplicitAuthFlows == nil {
		return slices.Clone(defaultAuthFlows)
	}
	return slices.Clone(r.Client.ExplicitAuthFlows)
}

// allowsAuthFlow reports whether the client permits an InitiateAuth or
// AdminInitiateAuth AuthFlow. With the legacy flow names, SRP and refresh
// were always allowed and custom authentication was allowed unless
// CUSTOM_AUTH_FLOW_ONLY restricted the client to it.
func (r *clientRecord) allowsAuthFlow(flow idp.AuthFlowType) bool {
	flows := r.authFlows()
	has := func(f idp.ExplicitAuthFlowsType) bool { return slices.Contains(flows, f) }
	legacy := slices.ContainsFunc(flows, func(f idp.ExplicitAuthFlowsType) bool { return slices.Contains(legacyAuthFlows, f) })
	if legacy {
		customOnly := has("CUSTOM_AUTH_FLOW_ONLY")
		switch flow {
		case "CUSTOM_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
			return true
		case "USER_SRP_AUTH":
			return !customOnly
		case "ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH":
			return !customOnly && has("ADMIN_NO_SRP_AUTH")
		case "USER_PASSWORD_AUTH":
			return !customOnly && has("USER_PASSWORD_AUTH")
		}
		return false
	}
	switch flow {
	case "USER_SRP_AUTH":
		return has("ALLOW_USER_SRP_AUTH")
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return has("ALLOW_REFRESH_TOKEN_AUTH")
	case "CUSTOM_AUTH":
		return has("ALLOW_CUSTOM_AUTH")
	case "USER_PASSWORD_AUTH":
		return has("ALLOW_USER_PASSWORD_AUTH")
	case "ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH":
		return has("ALLOW_ADMIN_USER_PASSWORD_AUTH")
	case "USER_AUTH":
		return has("ALLOW_USER_AUTH")
	}
	return false
}

// tokenValidity returns how long the client's access, ID and refresh
// tokens last.
func (r *clientRecord) tokenValidity() (access, id, refresh time.Duration) {
	c := &r.Client
	units := c.TokenValidityUnits
	if units == nil {
		units = &idp.TokenValidityUnitsType{}
	}
	a := validitySeconds(c.AccessTokenValidity, defaultAccessTokenValidity, units.AccessToken, "hours")
	i := validitySeconds(c.IdTokenValidity, defaultAccessTokenValidity, units.IdToken, "hours")
	f := validitySeconds(c.RefreshTokenValidity, defaultRefreshTokenValidity, units.RefreshToken, "days")
	return time.Duration(a) * time.Second, time.Duration(i) * time.Second, time.Duration(f) * time.Second
}

// clientNotFound is the exception for an app client that does not exist,
// or that belongs to another pool or region.
func clientNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("User pool client %s does not exist.", id))
}

// decodeClient decodes a client item and opens its secrets.
func (s *Service) decodeClient(it *storage.Item) (*clientRecord, error) {
	var r clientRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode client %q: %w", it.ID, err))
	}
	if err := s.secrets.open(&r); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode client %q: %w", it.ID, err))
	}
	return &r, nil
}

// clientItem returns the storage item of r, with its secrets sealed.
func (s *Service) clientItem(r *clientRecord, version int64) (*storage.Item, error) {
	stored := *r
	stored.Secrets = s.secrets.seal(r)
	data, err := json.Marshal(&stored)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode client: %w", err))
	}
	return &storage.Item{
		Kind: kindClient, ID: cognito.Deref(r.Client.ClientId), Pool: cognito.Deref(r.Client.UserPoolId), Data: data,
		CreatedAt: r.Client.CreationDate.Time, UpdatedAt: r.Client.LastModifiedDate.Time, Version: version,
	}, nil
}

// clientByIDFrom finds an app client by its ID alone, as InitiateAuth and the
// OAuth endpoints must: a client whose pool lives in another region than
// the caller's is reported as missing.
func (s *Service) clientByIDFrom(ctx context.Context, r storage.ItemReader, c cognito.Caller, id string) (*storage.Item, *clientRecord, error) {
	it, err := clientItemByID(ctx, r, c, id)
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.decodeClient(it)
	return it, rec, err
}

// clientItemByID reads the stored app client with clientByID's checks,
// without decoding it.
func clientItemByID(ctx context.Context, r storage.ItemReader, c cognito.Caller, id string) (*storage.Item, error) {
	if err := CheckText("clientId", ruleClientID, id); err != nil {
		return nil, err
	}
	it, err := r.GetItem(ctx, kindClient, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, clientNotFound(id)
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get client %q: %w", id, err))
	}
	if cognito.RegionOfPoolID(it.Pool) != c.Region {
		return nil, clientNotFound(id)
	}
	return it, nil
}

// clientByID is clientByIDFrom reading the store.
func (s *Service) clientByID(ctx context.Context, c cognito.Caller, id string) (*clientRecord, error) {
	_, rec, err := s.clientByIDFrom(ctx, s.store, c, id)
	return rec, err
}

// poolClient finds an app client of pool poolID.
func (s *Service) poolClient(ctx context.Context, r storage.ItemReader, c cognito.Caller, poolID, id string) (*storage.Item, *clientRecord, error) {
	it, rec, err := s.clientByIDFrom(ctx, r, c, id)
	if err != nil {
		return nil, nil, err
	}
	if it.Pool != poolID {
		return nil, nil, clientNotFound(id)
	}
	return it, rec, nil
}

// clientSettings are the members CreateUserPoolClient and
// UpdateUserPoolClient share.
type clientSettings struct {
	RefreshTokenValidity                     *int32
	AccessTokenValidity                      *int32
	IdTokenValidity                          *int32
	TokenValidityUnits                       *idp.TokenValidityUnitsType
	ReadAttributes                           []string
	WriteAttributes                          []string
	ExplicitAuthFlows                        []idp.ExplicitAuthFlowsType
	SupportedIdentityProviders               []string
	CallbackURLs                             []string
	LogoutURLs                               []string
	DefaultRedirectURI                       *string
	AllowedOAuthFlows                        []idp.OAuthFlowType
	AllowedOAuthScopes                       []string
	AllowedOAuthFlowsUserPoolClient          *bool
	AnalyticsConfiguration                   *idp.AnalyticsConfigurationType
	PreventUserExistenceErrors               *idp.PreventUserExistenceErrorTypes
	EnableTokenRevocation                    *bool
	EnablePropagateAdditionalUserContextData *bool
	AuthSessionValidity                      *int32
	RefreshTokenRotation                     *idp.RefreshTokenRotationType
}

// clientSettingsOf copies the shared members out of a CreateUserPoolClient
// or UpdateUserPoolClient request; both name them alike.
func clientSettingsOf(req any) (clientSettings, error) {
	var out clientSettings
	b, err := json.Marshal(req)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return out, cognito.Internal(fmt.Errorf("copy client settings: %w", err))
	}
	return out, nil
}

// clientEnv is what checking a client's settings needs besides the
// settings themselves.
type clientEnv struct {
	// Pool is the client's pool.
	Pool *idp.UserPoolType
	// Region is the pool's region.
	Region string
	// HasSecret tells whether the client is confidential.
	HasSecret bool
	// Verb is "creating" or "updating", as Cognito words its attribute
	// errors.
	Verb string
	// ScopeExists reports whether a resource server of the pool defines a
	// custom scope "<identifier>/<name>".
	ScopeExists func(identifier, name string) (bool, error)
	// ProviderExists reports whether the pool has an identity provider of
	// that name.
	ProviderExists func(name string) (bool, error)
}

// apply checks the settings with Cognito's rules and sets every member of c
// they cover, filling in Cognito's default for each member left out.
// UpdateUserPoolClient has the same rule: a member left out returns to its
// default.
func (in clientSettings) apply(c *idp.UserPoolClientType, env clientEnv) error {
	flows, err := explicitAuthFlows(in.ExplicitAuthFlows, env.Pool)
	if err != nil {
		return err
	}
	if err := in.checkTokenValidity(); err != nil {
		return err
	}
	read, write, err := clientAttributes(env.Pool, in.ReadAttributes, in.WriteAttributes, env.Verb)
	if err != nil {
		return err
	}
	providers, err := identityProviders(env, in.SupportedIdentityProviders)
	if err != nil {
		return err
	}
	callbacks, err := redirectURLs(in.CallbackURLs, true)
	if err != nil {
		return err
	}
	logouts, err := redirectURLs(in.LogoutURLs, false)
	if err != nil {
		return err
	}
	if in.DefaultRedirectURI != nil {
		d := *in.DefaultRedirectURI
		if err := checkRedirectURL(d, true); err != nil {
			return err
		}
		if !slices.Contains(callbacks, d) {
			return cognito.InvalidParameterException(fmt.Sprintf("The default redirect URI %s is not in the callback URIs list.", d))
		}
	}
	oauthFlows, scopes, err := in.checkOAuth(callbacks, env)
	if err != nil {
		return err
	}
	if cognito.Deref(in.EnablePropagateAdditionalUserContextData) && !env.HasSecret {
		return cognito.InvalidParameterException("Client Secret is required to set EnablePropagateAdditionalUserContextData as true")
	}
	if err := checkAnalytics(in.AnalyticsConfiguration, env.Region); err != nil {
		return err
	}

	c.ExplicitAuthFlows = flows
	c.RefreshTokenValidity = cognito.Ptr(int32(defaultRefreshTokenValidity))
	if v := cognito.Deref(in.RefreshTokenValidity); v != 0 {
		c.RefreshTokenValidity = cognito.Ptr(v)
	}
	c.AccessTokenValidity = copyPtr(in.AccessTokenValidity)
	c.IdTokenValidity = copyPtr(in.IdTokenValidity)
	c.TokenValidityUnits = &idp.TokenValidityUnitsType{}
	if u := in.TokenValidityUnits; u != nil {
		c.TokenValidityUnits = &idp.TokenValidityUnitsType{
			AccessToken: copyPtr(u.AccessToken), IdToken: copyPtr(u.IdToken), RefreshToken: copyPtr(u.RefreshToken),
		}
	}
	c.ReadAttributes, c.WriteAttributes = read, write
	c.SupportedIdentityProviders = providers
	c.CallbackURLs, c.LogoutURLs = callbacks, logouts
	c.DefaultRedirectURI = copyPtr(in.DefaultRedirectURI)
	c.AllowedOAuthFlows, c.AllowedOAuthScopes = oauthFlows, scopes
	c.AllowedOAuthFlowsUserPoolClient = cognito.Ptr(cognito.Deref(in.AllowedOAuthFlowsUserPoolClient))
	c.AnalyticsConfiguration = nil
	if a := in.AnalyticsConfiguration; a != nil {
		cp := *a
		c.AnalyticsConfiguration = &cp
	}
	c.PreventUserExistenceErrors = copyPtr(in.PreventUserExistenceErrors)
	c.EnableTokenRevocation = cognito.Ptr(true)
	if in.EnableTokenRevocation != nil {
		c.EnableTokenRevocation = cognito.Ptr(*in.EnableTokenRevocation)
	}
	c.EnablePropagateAdditionalUserContextData = cognito.Ptr(cognito.Deref(in.EnablePropagateAdditionalUserContextData))
	c.AuthSessionValidity = cognito.Ptr(int32(defaultAuthSessionValidity))
	if in.AuthSessionValidity != nil {
		c.AuthSessionValidity = cognito.Ptr(*in.AuthSessionValidity)
	}
	c.RefreshTokenRotation = nil
	if r := in.RefreshTokenRotation; r != nil {
		c.RefreshTokenRotation = &idp.RefreshTokenRotationType{Feature: copyPtr(r.Feature), RetryGracePeriodSeconds: copyPtr(r.RetryGracePeriodSeconds)}
	}
	return nil
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// explicitAuthFlows checks ExplicitAuthFlows: the legacy names cannot be
// mixed with the ALLOW_ names, and choice-based sign-in (ALLOW_USER_AUTH)
// needs the Essentials tier or higher. It returns nil when none are given,
// which DescribeUserPoolClient shows as no ExplicitAuthFlows at all.
func explicitAuthFlows(in []idp.ExplicitAuthFlowsType, p *idp.UserPoolType) ([]idp.ExplicitAuthFlowsType, error) {
	if len(in) == 0 {
		return nil, nil
	}
	flows := dedupe(in)
	legacy, allow := false, false
	for _, f := range flows {
		if slices.Contains(legacyAuthFlows, f) {
			legacy = true
		} else {
			allow = true
		}
	}
	if legacy && allow {
		return nil, cognito.InvalidParameterException("Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names.")
	}
	if slices.Contains(flows, "ALLOW_USER_AUTH") && cognito.Deref(p.UserPoolTier) == "LITE" {
		return nil, cognito.FeatureUnavailableInTierException("The following feature is not available for the LITE pricing tier configured: Choice-based authentication")
	}
	return flows, nil
}

// unitSeconds is the length of each TimeUnitsType in seconds.
var unitSeconds = map[idp.TimeUnitsType]int64{"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}

// validitySeconds returns a token validity in seconds: the value (or def
// when left out or zero) in unit (or defUnit when left out).
func validitySeconds(v *int32, def int64, unit *idp.TimeUnitsType, defUnit idp.TimeUnitsType) int64 {
	n := int64(cognito.Deref(v))
	if n == 0 {
		n = def
	}
	u := defUnit
	if unit != nil {
		u = *unit
	}
	return n * unitSeconds[u]
}

// checkTokenValidity checks the token lifetimes: access and ID tokens last
// from five minutes to a day, refresh tokens from an hour to ten years, and
// neither access nor ID tokens may outlive refresh tokens. A unit given
// without its value applies to the default value (one, or 30 for refresh
// tokens), as on Cognito.
func (in clientSettings) checkTokenValidity() error {
	units := in.TokenValidityUnits
	if units == nil {
		units = &idp.TokenValidityUnitsType{}
	}
	access := validitySeconds(in.AccessTokenValidity, defaultAccessTokenValidity, units.AccessToken, "hours")
	id := validitySeconds(in.IdTokenValidity, defaultAccessTokenValidity, units.IdToken, "hours")
	refresh := validitySeconds(in.RefreshTokenValidity, defaultRefreshTokenValidity, units.RefreshToken, "days")
	for _, v := range []int64{access, id} {
		if v < minAccessValidity || v > maxAccessValidity {
			return cognito.InvalidParameterException("Invalid range for token validity.")
		}
	}
	if refresh < minRefreshValidity || refresh > maxRefreshValidity {
		return cognito.InvalidParameterException("Invalid range for token validity.")
	}
	if access > refresh || id > refresh {
		return cognito.InvalidParameterException("Access and Id Token expiration times must be less than or equal to refresh token expiration times.")
	}
	return nil
}

// unwritableAttributes are attributes no app client may write: Cognito
// sets them itself.
var unwritableAttributes = []string{"sub", "email_verified", "phone_number_verified"}

// clientAttributes checks ReadAttributes and WriteAttributes. Each must be
// an attribute of the pool's schema that is not developer-only; clients
// cannot write sub or the verified flags; and a client that lists write
// attributes must be able to write every required attribute. Lists left
// out stay nil: the client then reads and writes every attribute it may,
// and DescribeUserPoolClient does not list them.
func clientAttributes(p *idp.UserPoolType, read, write []string, verb string) ([]string, []string, error) {
	inSchema := func(name string) bool {
		if strings.HasPrefix(name, "dev:") {
			return false
		}
		for _, a := range p.SchemaAttributes {
			if cognito.Deref(a.Name) == name {
				return true
			}
		}
		return false
	}
	badRead := cognito.InvalidParameterException("Invalid read attributes specified while " + verb + " a client")
	badWrite := cognito.InvalidParameterException("Invalid write attributes specified while " + verb + " a client")
	var outRead, outWrite []string
	if read != nil {
		for _, a := range read {
			if !inSchema(a) {
				return nil, nil, badRead
			}
		}
		outRead = dedupe(read)
	}
	if write != nil {
		for _, a := range write {
			if !inSchema(a) || slices.Contains(unwritableAttributes, a) {
				return nil, nil, badWrite
			}
		}
		for _, a := range p.SchemaAttributes {
			name := cognito.Deref(a.Name)
			if cognito.Deref(a.Required) && name != "sub" && !slices.Contains(write, name) {
				return nil, nil, badWrite
			}
		}
		outWrite = dedupe(write)
	}
	return outRead, outWrite, nil
}

// identityProviders checks SupportedIdentityProviders: COGNITO, or an
// identity provider of the pool.
func identityProviders(env clientEnv, in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	for _, name := range in {
		if name == "COGNITO" {
			continue
		}
		ok := false
		if env.ProviderExists != nil {
			var err error
			if ok, err = env.ProviderExists(name); err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("The provider %s does not exist for User Pool %s", name, cognito.Deref(env.Pool.Id)))
		}
	}
	return dedupe(in), nil
}

// redirectURLs checks a list of callback or logout URLs.
func redirectURLs(in []string, callback bool) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	for _, u := range in {
		if err := checkRedirectURL(u, callback); err != nil {
			return nil, err
		}
	}
	return dedupe(in), nil
}

// checkRedirectURL checks one callback or logout URL: an absolute URI,
// with no fragment when it is a callback, that uses HTTPS unless it is
// plain HTTP to the local machine (localhost, 127.0.0.1 or [::1]). Other
// schemes, such as myapp://, are app links and allowed.
func checkRedirectURL(raw string, callback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		return cognito.InvalidParameterException(fmt.Sprintf("%s is not a valid URL.", raw))
	}
	if callback && strings.Contains(raw, "#") {
		return cognito.InvalidParameterException(fmt.Sprintf("%s cannot use fragment", raw))
	}
	if strings.EqualFold(u.Scheme, "http") {
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
		default:
			return cognito.InvalidParameterException(fmt.Sprintf("%s cannot use the HTTP protocol.", raw))
		}
	}
	return nil
}

// checkOAuth checks the OAuth settings and returns the flows and scopes to
// store.
func (in clientSettings) checkOAuth(callbacks []string, env clientEnv) ([]idp.OAuthFlowType, []string, error) {
	enabled := cognito.Deref(in.AllowedOAuthFlowsUserPoolClient)
	if enabled && (len(in.AllowedOAuthFlows) == 0 || len(in.AllowedOAuthScopes) == 0) {
		return nil, nil, cognito.InvalidParameterException("AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.")
	}
	var flows []idp.OAuthFlowType
	if len(in.AllowedOAuthFlows) > 0 {
		flows = dedupe(in.AllowedOAuthFlows)
	}
	var scopes []string
	if len(in.AllowedOAuthScopes) > 0 {
		scopes = dedupe(in.AllowedOAuthScopes)
	}
	credentials := slices.Contains(flows, "client_credentials")
	interactive := slices.Contains(flows, "code") || slices.Contains(flows, "implicit")
	if credentials && interactive {
		return nil, nil, cognito.InvalidOAuthFlowException("client_credentials flow can not be selected along with code flow or implicit flow.")
	}
	if credentials && !env.HasSecret {
		return nil, nil, cognito.InvalidOAuthFlowException("client_credentials flow can not be selected if client does not have a client secret.")
	}
	if credentials {
		for _, sc := range scopes {
			if slices.Contains(standardScopes, sc) {
				return nil, nil, cognito.InvalidOAuthFlowException(fmt.Sprintf("%s is not supported with client_credentials flow", sc))
			}
		}
	}
	if enabled && interactive && len(callbacks) == 0 {
		return nil, nil, cognito.InvalidOAuthFlowException("CallbackUrls can not be empty when code flow or implicit flow is selected")
	}
	for _, sc := range scopes {
		if slices.Contains(standardScopes, sc) {
			continue
		}
		i := strings.LastIndex(sc, "/")
		ok := false
		if i > 0 && env.ScopeExists != nil {
			var err error
			if ok, err = env.ScopeExists(sc[:i], sc[i+1:]); err != nil {
				return nil, nil, err
			}
		}
		if !ok {
			return nil, nil, cognito.ScopeDoesNotExistException(fmt.Sprintf("Invalid scope requested: %s", sc))
		}
	}
	return flows, scopes, nil
}

// checkAnalytics checks an Amazon Pinpoint analytics configuration: either
// a project ARN in the pool's region, or a project ID with a role.
func checkAnalytics(a *idp.AnalyticsConfigurationType, region string) error {
	if a == nil {
		return nil
	}
	bad := cognito.InvalidParameterException("Invalid analytics configuration given, either <application arn> or <application id, role arn, external id> are valid")
	arn := cognito.Deref(a.ApplicationArn)
	if arn != "" {
		if a.ApplicationId != nil || a.RoleArn != nil || a.ExternalId != nil {
			return bad
		}
		if parsed, ok := cognito.ParseARN(arn); ok && parsed.Region != region {
			return cognito.InvalidParameterException(fmt.Sprintf("The integration with Pinpoint is not supported for the requested %s region.", parsed.Region))
		}
		return nil
	}
	if cognito.Deref(a.ApplicationId) == "" || cognito.Deref(a.RoleArn) == "" {
		return bad
	}
	return nil
}

// scopeLookup returns a ClientEnv.ScopeExists that reads the resource
// servers of pool through r.
func scopeLookup(ctx context.Context, r storage.ItemReader, pool string) func(identifier, name string) (bool, error) {
	return func(identifier, name string) (bool, error) {
		if !cognito.ValidText(identifier) {
			return false, nil
		}
		it, err := r.GetItem(ctx, kindResourceServer, resourceServerID(pool, identifier))
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, cognito.Internal(fmt.Errorf("get resource server %q: %w", identifier, err))
		}
		rs, err := decodeResourceServer(it)
		if err != nil {
			return false, err
		}
		for _, sc := range rs.Scopes {
			if cognito.Deref(sc.ScopeName) == name {
				return true, nil
			}
		}
		return false, nil
	}
}

// CreateUserPoolClient creates an app client.
func (s *Service) CreateUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.CreateUserPoolClientRequest) (*idp.CreateUserPoolClientResponse, error) {
	settings, err := clientSettingsOf(in)
	if err != nil {
		return nil, err
	}
	generate := cognito.Deref(in.GenerateSecret)
	if in.ClientSecret != nil && !generate {
		return nil, cognito.InvalidParameterException("ClientSecret can only be set when GenerateSecret is true.")
	}
	poolID := cognito.Deref(in.UserPoolId)
	var out *clientRecord
	err = s.runTx(ctx, func(tx storage.Tx) error {
		_, p, err := loadPoolFrom(ctx, tx, c, poolID)
		if err != nil {
			return err
		}
		now := s.now()
		rec := &clientRecord{Client: idp.UserPoolClientType{
			UserPoolId:       cognito.Ptr(poolID),
			ClientName:       cognito.Ptr(cognito.Deref(in.ClientName)),
			ClientId:         cognito.Ptr(cognito.RandomString(clientIDLength, lowerAlnum)),
			LastModifiedDate: &cognito.Timestamp{Time: now},
			CreationDate:     &cognito.Timestamp{Time: now},
		}}
		if generate {
			rec.Secrets = []clientSecret{newClientSecret(cognito.Deref(in.ClientSecret), now)}
		}
		env := clientEnv{Pool: p, Region: c.Region, HasSecret: generate, Verb: "creating", ScopeExists: scopeLookup(ctx, tx, poolID), ProviderExists: providerExistsIn(ctx, tx, poolID)}
		if err := settings.apply(&rec.Client, env); err != nil {
			return err
		}
		it, err := s.clientItem(rec, 0)
		if err != nil {
			return err
		}
		if err := tx.CreateItem(ctx, it); err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.CreateUserPoolClientResponse{UserPoolClient: out.description()}, nil
}

// DescribeUserPoolClient returns an app client's settings.
func (s *Service) DescribeUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.DescribeUserPoolClientRequest) (*idp.DescribeUserPoolClientResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := s.poolClient(ctx, s.store, c, poolID, cognito.Deref(in.ClientId))
	if err != nil {
		return nil, err
	}
	return &idp.DescribeUserPoolClientResponse{UserPoolClient: rec.description()}, nil
}

// UpdateUserPoolClient changes an app client. As on Cognito, every setting
// the request leaves out returns to its default; the name (unless
// ClientName is given) and the secrets are kept.
func (s *Service) UpdateUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.UpdateUserPoolClientRequest) (*idp.UpdateUserPoolClientResponse, error) {
	settings, err := clientSettingsOf(in)
	if err != nil {
		return nil, err
	}
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId)
	var out *clientRecord
	err = s.runTx(ctx, func(tx storage.Tx) error {
		_, p, err := loadPoolFrom(ctx, tx, c, poolID)
		if err != nil {
			return err
		}
		it, rec, err := s.poolClient(ctx, tx, c, poolID, id)
		if err != nil {
			return err
		}
		if in.ClientName != nil {
			rec.Client.ClientName = cognito.Ptr(*in.ClientName)
		}
		env := clientEnv{Pool: p, Region: c.Region, HasSecret: len(rec.Secrets) > 0, Verb: "updating", ScopeExists: scopeLookup(ctx, tx, poolID), ProviderExists: providerExistsIn(ctx, tx, poolID)}
		if err := settings.apply(&rec.Client, env); err != nil {
			return err
		}
		rec.Client.LastModifiedDate = &cognito.Timestamp{Time: s.now()}
		upd, err := s.clientItem(rec, it.Version)
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, upd); err != nil {
			return fmt.Errorf("update client: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.UpdateUserPoolClientResponse{UserPoolClient: out.description()}, nil
}

// DeleteUserPoolClient deletes an app client with its UI customization,
// managed login style and terms documents.
func (s *Service) DeleteUserPoolClient(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolClientRequest) (*cognito.Empty, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId)
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, _, err := s.poolClient(ctx, tx, c, poolID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteItem(ctx, kindClient, it.ID, it.Version); err != nil {
			return fmt.Errorf("delete client: %w", err)
		}
		if err := deleteClientBranding(ctx, tx, poolID, id); err != nil {
			return err
		}
		if err := deleteClientTerms(ctx, tx, poolID, id); err != nil {
			return err
		}
		if err := deleteClientRiskConfiguration(ctx, tx, poolID, id, s.now()); err != nil {
			return err
		}
		return deleteUICustomization(ctx, tx, poolID, id)
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListUserPoolClients lists a pool's app clients in client ID order.
func (s *Service) ListUserPoolClients(ctx context.Context, c cognito.Caller, in *idp.ListUserPoolClientsRequest) (*idp.ListUserPoolClientsResponse, error) {
	q := PoolItemsQuery{
		Op: "ListUserPoolClients", Kind: kindClient, Pool: cognito.Deref(in.UserPoolId),
		Token: in.NextToken, Limit: in.MaxResults, DefaultLimit: defaultListClients,
	}
	clients, next, err := ListPoolItems(ctx, s, c, q, s.decodeClient, func(r *clientRecord) idp.UserPoolClientDescription {
		return idp.UserPoolClientDescription{ClientId: r.Client.ClientId, UserPoolId: r.Client.UserPoolId, ClientName: r.Client.ClientName}
	})
	if err != nil {
		return nil, err
	}
	return &idp.ListUserPoolClientsResponse{UserPoolClients: clients, NextToken: next}, nil
}
