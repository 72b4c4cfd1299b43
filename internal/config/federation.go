package config

import (
	"log/slog"
	"maps"
	"net/url"
	"slices"
)

// FederationConfig configures sign-in through the pools' identity
// providers (docs/federation.md).
type FederationConfig struct {
	// Endpoints replace the documented endpoints of the social providers,
	// by provider type (Google, Facebook, LoginWithAmazon,
	// SignInWithApple) and endpoint (authorize_url, token_url,
	// attributes_url, oidc_issuer, jwks_uri), for private deployments and
	// tests. Facebook's URLs may hold {v}, its api_version.
	Endpoints map[string]map[string]string `yaml:"endpoints,omitempty"`
}

// federationEndpoints are, per social provider type, the endpoints
// federation.endpoints may replace.
var federationEndpoints = map[string][]string{
	"Google":          {"authorize_url", "token_url", "attributes_url", "oidc_issuer", "jwks_uri"},
	"Facebook":        {"authorize_url", "token_url", "attributes_url"},
	"LoginWithAmazon": {"authorize_url", "token_url", "attributes_url"},
	"SignInWithApple": {"authorize_url", "token_url", "oidc_issuer", "jwks_uri"},
}

func (c *FederationConfig) validate(add func(key, format string, args ...any)) {
	for _, typ := range slices.Sorted(maps.Keys(c.Endpoints)) {
		allowed, ok := federationEndpoints[typ]
		if !ok {
			add("federation.endpoints."+typ, "is not a social provider type: use Google, Facebook, LoginWithAmazon or SignInWithApple")
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(c.Endpoints[typ])) {
			key := "federation.endpoints." + typ + "." + name
			if !slices.Contains(allowed, name) {
				add(key, "is not an endpoint of %s: use one of %v", typ, allowed)
				continue
			}
			v := c.Endpoints[typ][name]
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
				add(key, "must be an http(s) URL without a fragment, not %q", v)
			}
		}
	}
}

func (c FederationConfig) logValue() slog.Value {
	var attrs []slog.Attr
	for _, typ := range slices.Sorted(maps.Keys(c.Endpoints)) {
		var eps []any
		for _, name := range slices.Sorted(maps.Keys(c.Endpoints[typ])) {
			eps = append(eps, slog.String(name, c.Endpoints[typ][name]))
		}
		attrs = append(attrs, slog.Group(typ, eps...))
	}
	return slog.GroupValue(slog.Attr{Key: "endpoints", Value: slog.GroupValue(attrs...)})
}

// clone returns a deep copy.
func (c FederationConfig) clone() FederationConfig {
	if c.Endpoints == nil {
		return c
	}
	out := FederationConfig{Endpoints: map[string]map[string]string{}}
	for typ, eps := range c.Endpoints {
		out.Endpoints[typ] = maps.Clone(eps)
	}
	return out
}
