package userpool

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is the view of pools and app clients that the sign-in engine
// (internal/authflow) and the directory (internal/directory) read: what a
// flow decides by, and what the directory's operations check a client
// against. Everything else stays unexported.

// SignInPool is a user pool as a sign-in flow sees it.
type SignInPool struct {
	// ID is the pool ID; Region is the region it lives in.
	ID, Region string
	// Name is the part of the ID after the underscore, which SRP hashes
	// into every password.
	Name string
	// FirstAuthFactors are the factors choice-based sign-in (USER_AUTH)
	// offers: the pool's SignInPolicy, or PASSWORD without one.
	FirstAuthFactors []idp.AuthFactorType
	// RecordsAuthEvents tells whether threat protection is on, which
	// records authentication events (AdminListUserAuthEvents).
	RecordsAuthEvents bool
	// UsernameAttributes tells whether users sign in with an email address
	// or phone number in place of a username (their internal username is
	// then a UUID).
	UsernameAttributes bool
	// TracksDevices tells whether the pool remembers devices: it has a
	// DeviceConfiguration (any of its members set turns tracking on).
	// DeviceSkipsMFA is its ChallengeRequiredOnNewDevice (a remembered
	// device signs in without MFA); DeviceOnUserPrompt its
	// DeviceOnlyRememberedOnUserPrompt (a confirmed device is remembered
	// only once UpdateDeviceStatus says so).
	TracksDevices, DeviceSkipsMFA, DeviceOnUserPrompt bool
	// MFA is the pool's MFA configuration.
	MFA MFA
	// WebAuthn is the pool's WebAuthnConfiguration (SetUserPoolMfaConfig):
	// RelyingPartyID is "" for the default (the pool's domain), and
	// UserVerification "required" or "preferred".
	WebAuthn WebAuthn

	// p is shared with other requests (readPool): never modified.
	p *idp.UserPoolType
	// mfaEmail is the pool's EmailMfaConfiguration (nil for none).
	mfaEmail *idp.EmailMfaConfigType
}

// WebAuthn is what passkeys read of a pool's WebAuthnConfiguration.
type WebAuthn struct {
	RelyingPartyID, UserVerification string
	// MultiFactor is FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION:
	// a passkey whose authenticator verified the user counts as MFA.
	MultiFactor bool
}

// FoldUsername returns name as the pool compares usernames: lower-cased
// when usernames are case-insensitive.
func (p *SignInPool) FoldUsername(name string) string { return FoldUsername(p.p, name) }

// Config returns the pool's configuration. It is shared with other
// requests (readPool): never modify it.
func (p *SignInPool) Config() *idp.UserPoolType { return p.p }

// RequiredAttributes returns, in schema order, the required attributes
// (other than sub) that attrs (a user's attributes by name) lacks: what
// NEW_PASSWORD_REQUIRED asks for.
func (p *SignInPool) RequiredAttributes(attrs map[string]string) []string {
	return MissingRequired(p.p, attrs)
}

// MissingRequired lists the schema's required attributes (other than sub)
// that attrs lacks, in schema order.
func MissingRequired(p *idp.UserPoolType, attrs map[string]string) []string {
	var out []string
	for _, a := range p.SchemaAttributes {
		name := cognito.Deref(a.Name)
		if name != "sub" && cognito.Deref(a.Required) && attrs[name] == "" {
			out = append(out, name)
		}
	}
	return out
}

// FoldUsername returns the form of a username or alias of pool p used for
// uniqueness and lookup: lower-cased when the pool is case-insensitive.
func FoldUsername(p *idp.UserPoolType, name string) string {
	if p.UsernameConfiguration != nil && !cognito.Deref(p.UsernameConfiguration.CaseSensitive) {
		return strings.ToLower(name)
	}
	return name
}

// ThreatProtectionOn reports whether the pool has threat protection
// (advanced security) in AUDIT or ENFORCED mode, which records
// authentication events.
func ThreatProtectionOn(p *idp.UserPoolType) bool {
	if p.UserPoolAddOns == nil {
		return false
	}
	m := cognito.Deref(p.UserPoolAddOns.AdvancedSecurityMode)
	return m != "" && m != idp.AdvancedSecurityModeTypeOff
}

// signInPool describes p, whose MFA settings are m, for sign-in.
func signInPool(p *idp.UserPoolType, m *poolMFA) *SignInPool {
	id := cognito.Deref(p.Id)
	_, name, _ := strings.Cut(id, "_")
	out := &SignInPool{
		ID: id, Region: cognito.RegionOfPoolID(id), Name: name,
		FirstAuthFactors:   []idp.AuthFactorType{idp.AuthFactorTypePassword},
		RecordsAuthEvents:  ThreatProtectionOn(p),
		UsernameAttributes: len(p.UsernameAttributes) > 0,
		MFA:                signInMFA(p, m),
		WebAuthn:           WebAuthn{UserVerification: "preferred"},
		p:                  p, mfaEmail: m.Email,
	}
	if w := m.WebAuthn; w != nil {
		out.WebAuthn.RelyingPartyID = cognito.Deref(w.RelyingPartyId)
		if v := cognito.Deref(w.UserVerification); v != "" {
			out.WebAuthn.UserVerification = string(v)
		}
		out.WebAuthn.MultiFactor = cognito.Deref(w.FactorConfiguration) == idp.WebAuthnFactorConfigurationTypeMultiFactorWithUserVerification
	}
	if d := p.DeviceConfiguration; d != nil {
		out.TracksDevices = true
		out.DeviceSkipsMFA = cognito.Deref(d.ChallengeRequiredOnNewDevice)
		out.DeviceOnUserPrompt = cognito.Deref(d.DeviceOnlyRememberedOnUserPrompt)
	}
	if p.Policies != nil && p.Policies.SignInPolicy != nil && len(p.Policies.SignInPolicy.AllowedFirstAuthFactors) > 0 {
		out.FirstAuthFactors = slices.Clone(p.Policies.SignInPolicy.AllowedFirstAuthFactors)
	}
	return out
}

// SignInPool returns the pool poolID as sign-in sees it, or
// ResourceNotFoundException when the caller's region has no such pool.
func (s *Service) SignInPool(ctx context.Context, c cognito.Caller, poolID string) (*SignInPool, error) {
	p, m, err := s.readPoolMFA(ctx, c, poolID)
	if err != nil {
		return nil, err
	}
	return signInPool(p, m), nil
}

// SignInClient is an app client as a sign-in flow sees it.
type SignInClient struct {
	PoolID, ClientID string
	// HasSecret tells whether the client is confidential: every sign-in
	// request then carries a SECRET_HASH or the client secret.
	HasSecret bool
	// PreventUserExistenceErrors is true when the client hides whether a
	// user exists (PreventUserExistenceErrors ENABLED).
	PreventUserExistenceErrors bool
	// TokenRevocation is EnableTokenRevocation.
	TokenRevocation bool
	// RefreshTokenRotation is true when GetTokensFromRefreshToken issues a
	// new refresh token each time; RetryGracePeriod is how long the token
	// it replaced keeps working.
	RefreshTokenRotation bool
	RetryGracePeriod     time.Duration
	// AuthSessionValidity is how long a Session (and SECRET_BLOCK) lasts.
	AuthSessionValidity time.Duration
	// AccessTokenValidity, IDTokenValidity and RefreshTokenValidity are the
	// token lifetimes.
	AccessTokenValidity, IDTokenValidity, RefreshTokenValidity time.Duration

	// rec is shared with other requests (decodeCache): never modified.
	rec *clientRecord
}

// AllowsAuthFlow reports whether the client's ExplicitAuthFlows permit an
// InitiateAuth or AdminInitiateAuth AuthFlow.
func (c *SignInClient) AllowsAuthFlow(flow idp.AuthFlowType) bool { return c.rec.allowsAuthFlow(flow) }

// CheckSecretHash reports, in constant time, whether secretHash is the
// SECRET_HASH of username made with one of the client's secrets.
func (c *SignInClient) CheckSecretHash(username, secretHash string) bool {
	return checkSecretHash(c.rec, username, secretHash)
}

// CheckClientSecret reports, in constant time, whether secret is one of
// the client's secrets.
func (c *SignInClient) CheckClientSecret(secret string) bool { return checkClientSecret(c.rec, secret) }

// ReadableAttributes returns the attributes of attrs (a user's, by name)
// the client may read, as stored (strings): those in its ReadAttributes,
// or every attribute but the developer-only ones when it lists none. sub
// is not among them.
func (c *SignInClient) ReadableAttributes(attrs map[string]string) map[string]string {
	read := c.rec.Client.ReadAttributes
	out := make(map[string]string, len(attrs))
	for name, v := range attrs {
		if name == "sub" || strings.HasPrefix(name, "dev:") {
			continue
		}
		if read != nil && !slices.Contains(read, name) {
			continue
		}
		out[name] = v
	}
	return out
}

// CanWriteAttribute reports whether the client may set attribute name:
// it is in its WriteAttributes, or it lists none.
func (c *SignInClient) CanWriteAttribute(name string) bool {
	w := c.rec.Client.WriteAttributes
	return w == nil || slices.Contains(w, name)
}

// MayWrite reports whether the client may write attribute name through
// the operations users call (sign-up, their own attributes): one its
// WriteAttributes lists, or without that list any attribute an app client
// may write at all (not a developer-only attribute, not sub, not the
// verified flags).
func (c *SignInClient) MayWrite(name string) bool {
	if c.rec.Client.WriteAttributes != nil {
		return slices.Contains(c.rec.Client.WriteAttributes, name)
	}
	return !strings.HasPrefix(name, "dev:") && !slices.Contains(unwritableAttributes, name)
}

// Reads reports whether the client may read attribute name. Without
// ReadAttributes a client reads every attribute but the developer-only
// ones; sub is always returned, as it names the user.
func (c *SignInClient) Reads(name string) bool {
	if name == "sub" {
		return true
	}
	if c.rec.Client.ReadAttributes == nil {
		return !strings.HasPrefix(name, "dev:")
	}
	return slices.Contains(c.rec.Client.ReadAttributes, name)
}

// SecretHash returns the SECRET_HASH of username made with the client's
// newest secret, or nil for a client without one: the hosted UI's pages
// are the pool's own and run the operations that require it for the user.
func (c *SignInClient) SecretHash(username string) *string {
	if len(c.rec.Secrets) == 0 {
		return nil
	}
	secret := c.rec.Secrets[len(c.rec.Secrets)-1].Value
	return cognito.Ptr(base64.StdEncoding.EncodeToString(secretHashMAC(secret, username, c.ClientID)))
}

// signInClient describes rec for sign-in.
func signInClient(rec *clientRecord) *SignInClient {
	c := &rec.Client
	access, id, refresh := rec.tokenValidity()
	out := &SignInClient{
		PoolID: cognito.Deref(c.UserPoolId), ClientID: cognito.Deref(c.ClientId),
		HasSecret:                  len(rec.Secrets) > 0,
		PreventUserExistenceErrors: cognito.Deref(c.PreventUserExistenceErrors) == idp.PreventUserExistenceErrorTypesEnabled,
		TokenRevocation:            c.EnableTokenRevocation == nil || *c.EnableTokenRevocation,
		AuthSessionValidity:        time.Duration(defaultAuthSessionValidity) * time.Minute,
		AccessTokenValidity:        access, IDTokenValidity: id, RefreshTokenValidity: refresh,
		rec: rec,
	}
	if v := cognito.Deref(c.AuthSessionValidity); v > 0 {
		out.AuthSessionValidity = time.Duration(v) * time.Minute
	}
	if r := c.RefreshTokenRotation; r != nil && cognito.Deref(r.Feature) == idp.FeatureTypeEnabled {
		out.RefreshTokenRotation = true
		out.RetryGracePeriod = time.Duration(cognito.Deref(r.RetryGracePeriodSeconds)) * time.Second
	}
	return out
}

// SignInClient returns the app client clientID and its pool as sign-in
// sees them. poolID, when not empty, is the pool the request names
// (AdminInitiateAuth), which the client must belong to. A caller without a
// region (an unsigned request that names only a client) accepts the
// client's pool wherever it lives; one with a region sees only its pools.
// A missing client is ResourceNotFoundException.
func (s *Service) SignInClient(ctx context.Context, c cognito.Caller, poolID, clientID string) (*SignInPool, *SignInClient, error) {
	if err := CheckText("clientId", ruleClientID, clientID); err != nil {
		return nil, nil, err
	}
	it, err := s.store.GetItem(ctx, kindClient, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, clientNotFound(clientID)
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get client %q: %w", clientID, err))
	}
	region := cognito.RegionOfPoolID(it.Pool)
	if (c.Region != "" && region != c.Region) || (poolID != "" && it.Pool != poolID) {
		return nil, nil, clientNotFound(clientID)
	}
	rec, err := s.decodedClients.decode(clientID, it.Data, func() (*clientRecord, error) { return s.decodeClient(it) })
	if err != nil {
		return nil, nil, err
	}
	p, m, err := s.readPoolMFA(ctx, cognito.Caller{Region: region}, it.Pool)
	if err != nil {
		return nil, nil, err
	}
	return signInPool(p, m), signInClient(rec), nil
}
