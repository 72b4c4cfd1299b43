package identitypool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// IdentityProviderName is the Logins key of the OpenID tokens the identity
// issuer signs (GetOpenIdTokenForDeveloperIdentity's), as in Cognito.
const IdentityProviderName = "cognito-identity.amazonaws.com"

// The messages of NotAuthorizedException for logins.
const (
	msgUnsupportedProvider = "Token is not from a supported provider of this identity pool."
	msgIssuerMismatch      = "Invalid login token. Issuer doesn't match providerName"
	msgInvalidToken        = "Invalid login token. Couldn't verify signed token."
	msgAudience            = "Invalid login token. Incorrect token audience."
	msgUserGone            = "Invalid login token. The user no longer exists."
	msgRevoked             = "Invalid login token. Token has been revoked."
	msgLoginsMismatch      = "Logins don't match. Please include at least one valid login for this identity or identity pool."
	msgInvalidSAML         = "Invalid login token. Couldn't verify the SAML assertion."
)

// providerKind tells how a login's token is verified.
type providerKind int

const (
	kindUserPool providerKind = iota + 1
	kindOIDC
	kindIdentityToken
	kindSAML
)

// login is a verified login: who the token says the user is, at which
// provider.
type login struct {
	kind providerKind
	// Provider is the provider's canonical name: for user pools
	// cognito-idp.<region>.amazonaws.com/<pool ID> whichever name the
	// client used.
	Provider string
	// Subject is the user's ID at the provider (sub).
	Subject string
	// ClientID is the token's audience (for user pools, the app client).
	ClientID string
	// UserPoolID is the user pool of a user-pool login.
	UserPoolID string
	// Claims are the token's claims, for role mapping and principal tags.
	Claims map[string]any
}

// mappingKey is the RoleMappings key that applies to the login: for user
// pools "<provider>:<app client ID>", for other providers the name.
func (l *login) mappingKey() string {
	if l.kind == kindUserPool {
		return l.Provider + ":" + l.ClientID
	}
	return l.Provider
}

// userPoolOfProvider returns the user pool a provider name names:
// cognito-idp.<region>.amazonaws.com/<pool ID>, or cognate's own issuer of
// the pool with or without its scheme.
func (s *Service) userPoolOfProvider(name string) (string, bool) {
	host, pool, ok := cutLast(name, "/")
	if !ok || cognito.RegionOfPoolID(pool) == "" {
		return "", false
	}
	if host == "cognito-idp."+cognito.RegionOfPoolID(pool)+".amazonaws.com" {
		return pool, true
	}
	own := s.issuerURL
	if host == own || host == stripScheme(own) {
		return pool, true
	}
	return "", false
}

// canonicalProvider returns the name a provider's logins are kept under.
func canonicalProvider(s *Service, name string) string {
	if pool, ok := s.userPoolOfProvider(name); ok {
		return "cognito-idp." + cognito.RegionOfPoolID(pool) + ".amazonaws.com/" + pool
	}
	return name
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func stripScheme(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		return rest
	}
	return u
}

// isIdentityProvider reports whether name is the Logins key of the
// identity issuer's own tokens.
func (s *Service) isIdentityProvider(name string) bool {
	return name == IdentityProviderName || name == stripScheme(s.issuer) || name == s.issuer
}

// verifyLogins verifies every login of logins for the pool and returns
// them in provider order. The model bounds the map at ten entries.
func (s *Service) verifyLogins(ctx context.Context, rec *poolRecord, logins map[string]string) ([]*login, error) {
	out := make([]*login, 0, len(logins))
	seen := map[string]bool{}
	for _, name := range sortedKeys(logins) {
		l, err := s.verifyLogin(ctx, rec, name, logins[name])
		if err != nil {
			return nil, err
		}
		if seen[l.Provider] {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Logins name the provider %s twice.", l.Provider))
		}
		seen[l.Provider] = true
		out = append(out, l)
	}
	return out, nil
}

// verifyLogin verifies one login: token issued by the provider name for
// the pool.
func (s *Service) verifyLogin(ctx context.Context, rec *poolRecord, name, token string) (*login, error) {
	p := &rec.Pool
	switch {
	case s.isIdentityProvider(name):
		return s.verifyIdentityToken(ctx, rec, token)
	case name == cognito.Deref(p.DeveloperProviderName):
		// Developer logins are asserted by the developer's backend with
		// GetOpenIdTokenForDeveloperIdentity, never by a client.
		return nil, cognito.NotAuthorizedException(msgUnsupportedProvider)
	}
	if pool, ok := s.userPoolOfProvider(name); ok {
		return s.verifyUserPoolLogin(ctx, rec, pool, token)
	}
	for _, arn := range p.SamlProviderARNs {
		if name == arn {
			return s.verifySAMLLogin(ctx, arn, token)
		}
	}
	for _, arn := range p.OpenIdConnectProviderARNs {
		if n, _ := oidcProviderName(arn); n == name {
			conf, ok := s.oidcConf[name]
			if !ok || len(conf.ClientIDs) == 0 {
				s.log.Warn("identity pool names an OpenID Connect provider that is not configured", "provider", name)
				return nil, cognito.InvalidIdentityPoolConfigurationException(fmt.Sprintf("The OpenID Connect provider %s is not configured on this server.", name))
			}
			return s.verifyOIDCLogin(ctx, name, conf, token)
		}
	}
	if appIDs, ok := p.SupportedLoginProviders[name]; ok {
		switch name {
		case "accounts.google.com", "appleid.apple.com":
			conf := s.oidcConf[name]
			conf.ClientIDs = append(slices.Clone(conf.ClientIDs), splitAppIDs(appIDs)...)
			return s.verifyOIDCLogin(ctx, name, conf, token)
		}
		return nil, cognito.NotAuthorizedException(fmt.Sprintf("Invalid login token. cognate cannot verify %s tokens.", name))
	}
	return nil, cognito.NotAuthorizedException(msgUnsupportedProvider)
}

func splitAppIDs(s string) []string {
	var out []string
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// verifyUserPoolLogin verifies an ID token of cognate's user pool poolID:
// signed by the pool's key for an app client the identity pool lists under
// the pool, of a pool whose end users this region serves (Options.EndUsers),
// its user still there, and, for a provider with ServerSideTokenCheck, not
// revoked.
func (s *Service) verifyUserPoolLogin(ctx context.Context, rec *poolRecord, poolID, token string) (*login, error) {
	provider := "cognito-idp." + cognito.RegionOfPoolID(poolID) + ".amazonaws.com/" + poolID
	var entries []int
	for i, cp := range rec.Pool.CognitoIdentityProviders {
		if canonicalProvider(s, cognito.Deref(cp.ProviderName)) == provider {
			entries = append(entries, i)
		}
	}
	if len(entries) == 0 {
		return nil, cognito.NotAuthorizedException(msgUnsupportedProvider)
	}
	var unverified struct {
		Aud string `json:"aud"`
	}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		if raw, err := decodeSegment(parts[1]); err == nil {
			_ = json.Unmarshal(raw, &unverified)
		}
	}
	claims, err := s.tokens.VerifyIDToken(ctx, token, unverified.Aud)
	if err != nil {
		return nil, err
	}
	if iss, _ := claims["iss"].(string); iss != s.tokens.Issuer(poolID) {
		return nil, cognito.NotAuthorizedException(msgIssuerMismatch)
	}
	aud, _ := claims["aud"].(string)
	sub, _ := claims["sub"].(string)
	var entry *int
	for _, i := range entries {
		if cognito.Deref(rec.Pool.CognitoIdentityProviders[i].ClientId) == aud {
			entry = &i
			break
		}
	}
	if entry == nil {
		return nil, cognito.NotAuthorizedException(msgAudience)
	}
	// A pool whose replica in this region serves no end users (CREATING,
	// INACTIVE) has its logins refused here as its sign-ins are.
	if s.endUsers != nil {
		if err := s.endUsers(ctx, poolID); err != nil {
			return nil, err
		}
	}
	// The user must still exist: deleting a user deletes its logins, and
	// an ID token it still holds must not link a new one.
	region := cognito.RegionOfPoolID(poolID)
	up, err := s.pools.SignInPool(ctx, cognito.Caller{Region: region}, poolID)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgIssuerMismatch).WithCause(err)
	}
	if _, err := s.users.UserBySub(ctx, up, sub); err != nil {
		var ce *cognito.Error
		if errors.As(err, &ce) && ce.Code == cognito.CodeUserNotFoundException {
			return nil, cognito.NotAuthorizedException(msgUserGone)
		}
		return nil, err
	}
	if cognito.Deref(rec.Pool.CognitoIdentityProviders[*entry].ServerSideTokenCheck) {
		if s.revoked == nil {
			return nil, cognito.NotAuthorizedException(msgRevoked)
		}
		origin, _ := claims["origin_jti"].(string)
		if err := s.revoked.CheckIDToken(ctx, poolID, sub, origin); err != nil {
			var ce *cognito.Error
			if errors.As(err, &ce) && ce.Code != cognito.CodeInternalErrorException {
				return nil, cognito.NotAuthorizedException(msgRevoked).WithCause(err)
			}
			return nil, err
		}
	}
	return &login{kind: kindUserPool, Provider: provider, Subject: sub, ClientID: aud, UserPoolID: poolID, Claims: claims}, nil
}

// oidcVerifier verifies the ID tokens of one OpenID Connect issuer.
type oidcVerifier struct {
	v *oidc.IDTokenVerifier
}

// verifier returns the cached verifier of issuer, reading its discovery
// document on first use. A failure is not cached.
func (s *Service) verifier(ctx context.Context, issuer string) (*oidc.IDTokenVerifier, error) {
	s.oidcMu.Lock()
	v := s.verifiers[issuer]
	s.oidcMu.Unlock()
	if v != nil {
		return v.v, nil
	}
	// The provider keeps the context for fetching keys later, after this
	// request has ended: give it one that does not end, with the client.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), s.http)
	p, err := oidc.NewProvider(pctx, issuer)
	if err != nil {
		return nil, err
	}
	v = &oidcVerifier{v: p.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: s.clock})}
	s.oidcMu.Lock()
	s.verifiers[issuer] = v
	s.oidcMu.Unlock()
	return v.v, nil
}

// verifyOIDCLogin verifies an ID token of the OpenID Connect provider
// name through its discovery document and JWKS: issuer, signature, expiry,
// and an audience among conf.ClientIDs.
func (s *Service) verifyOIDCLogin(ctx context.Context, name string, conf OIDCProvider, token string) (*login, error) {
	issuer := conf.Issuer
	if issuer == "" {
		issuer = "https://" + name
	}
	if u, err := url.Parse(issuer); err != nil || u.Host == "" {
		return nil, cognito.InvalidIdentityPoolConfigurationException(fmt.Sprintf("The OpenID Connect provider %s has no valid issuer URL.", name))
	}
	v, err := s.verifier(ctx, issuer)
	if err != nil {
		return nil, cognito.ExternalServiceException(fmt.Sprintf("The OpenID Connect provider %s could not be reached.", name)).WithCause(err)
	}
	idt, err := v.Verify(oidc.ClientContext(ctx, s.http), token)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, cognito.NotAuthorizedException(fmt.Sprintf("Invalid login token. Token expired: %d >= %d",
				s.clock().Unix(), expired.Expiry.Unix())).WithCause(err)
		}
		return nil, cognito.NotAuthorizedException(msgInvalidToken).WithCause(err)
	}
	aud := ""
	for _, a := range idt.Audience {
		if slices.Contains(conf.ClientIDs, a) {
			aud = a
			break
		}
	}
	if aud == "" {
		return nil, cognito.NotAuthorizedException(msgAudience)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidToken).WithCause(err)
	}
	if idt.Subject == "" {
		return nil, cognito.NotAuthorizedException("Invalid login token. Missing a required claim: sub")
	}
	return &login{kind: kindOIDC, Provider: name, Subject: idt.Subject, ClientID: aud, Claims: claims}, nil
}

// verifyIdentityToken verifies an OpenID token this service signed for an
// identity of the pool (GetOpenIdTokenForDeveloperIdentity's, presented by
// the client under cognito-identity.amazonaws.com).
func (s *Service) verifyIdentityToken(ctx context.Context, rec *poolRecord, token string) (*login, error) {
	c, err := s.parseOpenIDToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.Aud != cognito.Deref(rec.Pool.IdentityPoolId) {
		return nil, cognito.NotAuthorizedException(msgAudience)
	}
	if !slices.Contains(c.AMR, "authenticated") {
		return nil, cognito.NotAuthorizedException(msgInvalidToken)
	}
	claims := map[string]any{"sub": c.Sub, "aud": c.Aud, "amr": c.AMR}
	if c.Tags != nil {
		claims[tagsClaim] = c.Tags
	}
	return &login{kind: kindIdentityToken, Provider: IdentityProviderName, Subject: c.Sub, ClientID: c.Aud, Claims: claims}, nil
}

// keySet is the key set of the identity issuer.
const keySet = tokens.IdentityKeySet

func decodeSegment(seg string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(seg) }
