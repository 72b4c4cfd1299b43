package identitypool

import (
	"context"
	"fmt"
	"maps"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
)

// defaultPrincipalTags is the default attribute map of
// SetPrincipalTagAttributeMap's UseDefaults: the tag "username" from the
// token's sub and "client" from its aud.
var defaultPrincipalTags = map[string]string{"username": "sub", "client": "aud"}

// principalTagProvider returns the provider name a principal-tag map is
// kept under: user pools by their canonical name.
func (s *Service) principalTagProvider(name string) string { return canonicalProvider(s, name) }

// SetPrincipalTagAttributeMap sets which token claims become which
// principal tags (session tags of the credentials) for one provider.
func (s *Service) SetPrincipalTagAttributeMap(ctx context.Context, region string, in *identity.SetPrincipalTagAttributeMapInput) (*identity.SetPrincipalTagAttributeMapResponse, error) {
	provider := s.principalTagProvider(cognito.Deref(in.IdentityProviderName))
	m := principalTagMap{UseDefaults: cognito.Deref(in.UseDefaults), Tags: maps.Clone(in.PrincipalTags)}
	if m.UseDefaults && len(m.Tags) > 0 && !maps.Equal(m.Tags, defaultPrincipalTags) {
		return nil, cognito.InvalidParameterException("PrincipalTags cannot be set when UseDefaults is true.")
	}
	_, err := s.updatePool(ctx, region, cognito.Deref(in.IdentityPoolId), func(rec *poolRecord) error {
		if !s.poolHasProvider(rec, provider) {
			return cognito.InvalidParameterException(fmt.Sprintf("The identity provider %s is not configured on the identity pool.", cognito.Deref(in.IdentityProviderName)))
		}
		if rec.PrincipalTags == nil {
			rec.PrincipalTags = map[string]principalTagMap{}
		}
		rec.PrincipalTags[provider] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &identity.SetPrincipalTagAttributeMapResponse{
		IdentityPoolId: in.IdentityPoolId, IdentityProviderName: in.IdentityProviderName,
		UseDefaults: cognito.Ptr(m.UseDefaults), PrincipalTags: m.effective(),
	}, nil
}

// effective returns the attribute map in force: the defaults, or the
// custom map.
func (m principalTagMap) effective() map[string]string {
	if m.UseDefaults {
		return maps.Clone(defaultPrincipalTags)
	}
	if m.Tags == nil {
		return map[string]string{}
	}
	return maps.Clone(m.Tags)
}

// GetPrincipalTagAttributeMap returns a provider's principal-tag map.
func (s *Service) GetPrincipalTagAttributeMap(ctx context.Context, region string, in *identity.GetPrincipalTagAttributeMapInput) (*identity.GetPrincipalTagAttributeMapResponse, error) {
	_, rec, err := s.loadPool(ctx, s.store, region, cognito.Deref(in.IdentityPoolId))
	if err != nil {
		return nil, err
	}
	provider := s.principalTagProvider(cognito.Deref(in.IdentityProviderName))
	if !s.poolHasProvider(rec, provider) {
		return nil, cognito.ResourceNotFoundException(fmt.Sprintf("The identity provider %s is not configured on the identity pool.", cognito.Deref(in.IdentityProviderName)))
	}
	m := rec.PrincipalTags[provider]
	return &identity.GetPrincipalTagAttributeMapResponse{
		IdentityPoolId: in.IdentityPoolId, IdentityProviderName: in.IdentityProviderName,
		UseDefaults: cognito.Ptr(m.UseDefaults), PrincipalTags: m.effective(),
	}, nil
}

// poolHasProvider reports whether the pool accepts logins of provider.
func (s *Service) poolHasProvider(rec *poolRecord, provider string) bool {
	p := &rec.Pool
	for _, cp := range p.CognitoIdentityProviders {
		if canonicalProvider(s, cognito.Deref(cp.ProviderName)) == provider {
			return true
		}
	}
	for _, arn := range p.OpenIdConnectProviderARNs {
		if n, _ := oidcProviderName(arn); n == provider {
			return true
		}
	}
	for _, arn := range p.SamlProviderARNs {
		if arn == provider {
			return true
		}
	}
	_, ok := p.SupportedLoginProviders[provider]
	return ok
}

// maxPrincipalTags is how many session tags STS takes in one request.
const maxPrincipalTags = 50

// principalTags returns the principal tags of an identity authenticated by
// logins: for each login whose provider has a map, each tag's claim value
// (a string claim, or the first of a list). A developer identity's token
// carries its tags already.
func (s *Service) principalTags(rec *poolRecord, logins []*login) (map[string]string, error) {
	tags := map[string]string{}
	for _, l := range logins {
		if l.kind == kindIdentityToken {
			if t, ok := l.Claims[tagsClaim].(*sessionTags); ok {
				maps.Copy(tags, t.flat())
			}
			continue
		}
		m, ok := rec.PrincipalTags[l.Provider]
		if !ok {
			continue
		}
		for tag, claim := range m.effective() {
			if v := claimStrings(l.Claims[claim]); len(v) > 0 && v[0] != "" {
				tags[tag] = v[0]
			}
		}
	}
	if len(tags) > maxPrincipalTags {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("At most %d principal tags are allowed.", maxPrincipalTags))
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}
